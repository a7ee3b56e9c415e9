#include "broker/admin_client.h"

#include <yaml-cpp/yaml.h>

#include "common/crypto/curve.h"
#include "common/env.h"

namespace tayori::broker {

StatusOr<BrokerInfo> ReadBrokerInfo(const std::string& data_dir) {
  const std::string path = data_dir + "/broker.info";
  auto text = ReadFile(path);
  if (!text.ok()) {
    return Status(Code::kUnavailable, "unavailable",
                  "no " + path + ": start tayori-broker first, or pass --broker-dir");
  }
  try {
    YAML::Node n = YAML::Load(*text);
    BrokerInfo info{n["endpoint"].as<std::string>(), n["public_key"].as<std::string>(),
                    n["admin_endpoint"].as<std::string>()};
    return info;
  } catch (const YAML::Exception& e) {
    return InvalidArgument("config_invalid", path + " is corrupt: " + e.what());
  }
}

StatusOr<std::unique_ptr<wire::Client>> ConnectAdmin(const std::string& data_dir, int deadline_ms) {
  ASSIGN_OR_RETURN(BrokerInfo info, ReadBrokerInfo(data_dir));
  auto secret = ReadFile(data_dir + "/admin.key");
  if (!secret.ok()) {
    return PermissionDenied("usage", "cannot read " + data_dir + "/admin.key: run tayori-admin as the broker's user");
  }
  std::string sk = *secret;
  while (!sk.empty() && (sk.back() == '\n' || sk.back() == '\r')) sk.pop_back();
  ASSIGN_OR_RETURN(std::string pk, crypto::CurvePublicFromSecret(sk));
  wire::ClientOptions o;
  o.endpoint = info.admin_endpoint;
  o.server_key = info.public_key;
  o.public_key = pk;
  o.secret_key = sk;
  o.deadline_ms = deadline_ms;
  return wire::Client::Connect(o);
}

}  // namespace tayori::broker
