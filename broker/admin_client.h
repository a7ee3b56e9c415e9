// Connecting tayori-admin to a broker's admin channel. The broker writes
// DATA_DIR/broker.info (endpoints, public key) and DATA_DIR/admin.key (the
// admin CURVE secret, 0600) on start; whoever can read the broker's data
// folder can administer it, and nobody else.
#ifndef TAYORI_BROKER_ADMIN_CLIENT_H_
#define TAYORI_BROKER_ADMIN_CLIENT_H_

#include <memory>
#include <string>

#include "common/status.h"
#include "common/wire/client.h"

namespace tayori::broker {

struct BrokerInfo {
  std::string endpoint;
  std::string public_key;
  std::string admin_endpoint;
};

StatusOr<BrokerInfo> ReadBrokerInfo(const std::string& data_dir);
StatusOr<std::unique_ptr<wire::Client>> ConnectAdmin(const std::string& data_dir, int deadline_ms);

}  // namespace tayori::broker

#endif  // TAYORI_BROKER_ADMIN_CLIENT_H_
