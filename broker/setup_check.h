// CheckBrokerSetup: what `tayori-broker --check` verifies of a loaded
// config without serving: that the broker could start with it (and after a
// change of the CA files, that it would accept them). Called from main only.
#ifndef TAYORI_BROKER_SETUP_CHECK_H_
#define TAYORI_BROKER_SETUP_CHECK_H_

#include <string>
#include <vector>

#include "broker/options.h"
#include "common/status.h"

namespace tayori::broker {

// OPTIONS has its default paths applied. An error names the first thing
// that would stop the broker. *NOTES gets one line for each thing checked,
// and a warning for what does not stop the broker but needs the operator
// (no CA certificate yet: enrolment is refused until it is in place).
Status CheckBrokerSetup(const BrokerOptions& options, std::vector<std::string>* notes);

}  // namespace tayori::broker

#endif  // TAYORI_BROKER_SETUP_CHECK_H_
