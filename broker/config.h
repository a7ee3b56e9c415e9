// Loading BrokerOptions from YAML. The only code that reads the broker's
// config file or environment variables.
#ifndef TAYORI_BROKER_CONFIG_H_
#define TAYORI_BROKER_CONFIG_H_

#include <string>

#include "broker/options.h"
#include "common/status.h"

namespace tayori::broker {

// Parses YAML text. Unknown keys, wrong types and bad values are
// config_invalid errors naming the key.
StatusOr<BrokerOptions> ParseBrokerConfig(const std::string& yaml_text);
StatusOr<BrokerOptions> LoadBrokerConfig(const std::string& path);

// Fills empty paths with the defaults under the user's state directory.
void ApplyDefaultPaths(BrokerOptions* options);

}  // namespace tayori::broker

#endif  // TAYORI_BROKER_CONFIG_H_
