#include "broker/setup_check.h"

#include <unistd.h>

#include <filesystem>

#include "broker/postgres_mailbox_store.h"
#include "broker/trust_source.h"
#include "common/wire/client.h"

namespace tayori::broker {
namespace {

Status Bad(const std::string& detail) { return InvalidArgument("config_invalid", detail); }

// DIR exists and the broker may write in it, or its nearest existing
// ancestor lets the broker create it.
Status CheckWritableDir(const std::string& dir, std::vector<std::string>* notes) {
  std::error_code ec;
  std::filesystem::path p(dir);
  if (std::filesystem::exists(p, ec)) {
    if (!std::filesystem::is_directory(p, ec)) return Bad("data_dir " + dir + " is not a folder");
    if (::access(dir.c_str(), W_OK | X_OK) != 0) return Bad("data_dir " + dir + " is not writable by this user");
    for (const char* key : {"server.key", "admin.key"}) {
      const std::string path = dir + "/" + key;
      if (std::filesystem::exists(path, ec) && ::access(path.c_str(), R_OK) != 0) {
        return Bad(path + " is not readable by this user");
      }
    }
    notes->push_back("data_dir " + dir + ": writable");
    return Status::Ok();
  }
  for (p = p.parent_path(); !p.empty(); p = p.parent_path()) {
    if (!std::filesystem::exists(p, ec)) continue;
    if (!std::filesystem::is_directory(p, ec)) {
      return Bad("data_dir " + dir + " cannot be created: " + p.string() + " is not a folder");
    }
    if (::access(p.c_str(), W_OK | X_OK) != 0) {
      return Bad("data_dir " + dir + " does not exist and " + p.string() + " is not writable by this user");
    }
    notes->push_back("data_dir " + dir + ": will be created");
    return Status::Ok();
  }
  return Bad("data_dir " + dir + " cannot be created");
}

}  // namespace

Status CheckBrokerSetup(const BrokerOptions& options, std::vector<std::string>* notes) {
  notes->push_back("endpoint " + options.endpoint + ", admin " + options.admin_endpoint + ", metrics " +
                   (options.metrics_endpoint.empty() ? "off" : options.metrics_endpoint));
  const std::string advertised = options.public_endpoint.empty() ? options.endpoint : options.public_endpoint;
  // Port 0 is chosen at start; only the host decides here.
  const bool any_port = advertised.size() > 2 && advertised.compare(advertised.size() - 2, 2, ":0") == 0;
  const bool loopback = advertised.rfind("tcp://127.", 0) == 0 || advertised.rfind("tcp://localhost:", 0) == 0;
  if (loopback) {
    notes->push_back("warning: broker.info tells offices to connect to " + advertised +
                     ", this machine only: set public_endpoint before handing it to offices elsewhere");
  } else if (wire::ConnectableEndpoint(any_port ? advertised.substr(0, advertised.size() - 1) + "1" : advertised)) {
    notes->push_back("broker.info tells offices to connect to " + advertised);
  } else {
    notes->push_back("warning: broker.info would tell offices to connect to " + advertised +
                     ", which no agent can reach: set public_endpoint before handing it out");
  }
  if (options.data_dir.empty() || options.data_dir.front() != '/') {
    return Bad("data_dir must be an absolute path, got '" + options.data_dir + "'");
  }
  RETURN_IF_ERROR(CheckWritableDir(options.data_dir, notes));
  if (!options.store.empty()) {
    // Connects, and creates the tables if the database has none yet.
    auto store = PostgresMailboxStore::Open(options.store);
    if (!store.ok()) return store.status();
    notes->push_back("store: PostgreSQL reachable and writable, schema " +
                     std::to_string(PostgresMailboxStore::kSchemaVersion));
  }
  TrustSource trust(options.ca_cert, options.ca_crl);
  auto store = trust.Get();
  if (store.ok()) {
    notes->push_back("CA " + options.ca_cert + " and CRL " + options.ca_crl + ": valid");
  } else if (store.status().reason() == "no_trust_anchor") {
    notes->push_back("warning: no CA certificate at " + options.ca_cert +
                     " yet; the broker starts but refuses enrolment until it is in place");
  } else {
    return store.status();
  }
  return Status::Ok();
}

}  // namespace tayori::broker
