#include "broker/config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <set>

#include "broker/log.h"
#include "common/wire/client.h"
#include "common/wire/limits.h"

namespace tayori::broker {
namespace {

Status Bad(const std::string& key, const std::string& why) {
  return InvalidArgument("config_invalid", "broker config key '" + key + "': " + why);
}

template <typename T>
Status Read(const YAML::Node& node, const std::string& key, T* out) {
  try {
    *out = node.as<T>();
  } catch (const YAML::Exception&) {
    return Bad(key, "has the wrong type");
  }
  return Status::Ok();
}

}  // namespace

void ApplyDefaultPaths(BrokerOptions* o) {
  const std::string state = DefaultStateDir();
  if (o->data_dir.empty()) o->data_dir = state + "/broker";
  if (o->ca_cert.empty()) o->ca_cert = state + "/ca/ca.pem";
  if (o->ca_crl.empty()) o->ca_crl = state + "/ca/crl.pem";
}

StatusOr<BrokerOptions> ParseBrokerConfig(const std::string& yaml_text) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return InvalidArgument("config_invalid", std::string("broker config is not YAML: ") + e.what());
  }
  BrokerOptions o;
  if (root.IsNull()) return o;
  if (!root.IsMap()) return InvalidArgument("config_invalid", "broker config must be a YAML map");
  static const std::set<std::string> kKeys = {"endpoint",
                                              "public_endpoint",
                                              "admin_endpoint",
                                              "data_dir",
                                              "store",
                                              "ca_cert",
                                              "ca_crl",
                                              "max_chunk_bytes",
                                              "min_chunk_bytes",
                                              "max_send_bytes",
                                              "max_files",
                                              "max_uploads_per_office",
                                              "max_upload_bytes_per_office",
                                              "max_connection_backlog_bytes",
                                              "max_total_backlog_bytes",
                                              "max_connections",
                                              "max_connections_per_address",
                                              "io_threads",
                                              "retention",
                                              "expired_keep",
                                              "upload_timeout",
                                              "sweep_interval",
                                              "lease",
                                              "metrics_endpoint",
                                              "log_level"};
  for (const auto& kv : root) {
    std::string key;
    try {
      key = kv.first.as<std::string>();
    } catch (const YAML::Exception&) {
      return InvalidArgument("config_invalid", "broker config has a non-text key");
    }
    if (!kKeys.count(key)) return Bad(key, "unknown key (see config/broker.yaml)");
    const YAML::Node& v = kv.second;
    if (key == "endpoint") RETURN_IF_ERROR(Read(v, key, &o.endpoint));
    if (key == "public_endpoint") RETURN_IF_ERROR(Read(v, key, &o.public_endpoint));
    if (key == "admin_endpoint") RETURN_IF_ERROR(Read(v, key, &o.admin_endpoint));
    if (key == "data_dir") RETURN_IF_ERROR(Read(v, key, &o.data_dir));
    if (key == "store") RETURN_IF_ERROR(Read(v, key, &o.store));
    if (key == "ca_cert") RETURN_IF_ERROR(Read(v, key, &o.ca_cert));
    if (key == "ca_crl") RETURN_IF_ERROR(Read(v, key, &o.ca_crl));
    if (key == "max_chunk_bytes") RETURN_IF_ERROR(Read(v, key, &o.max_chunk_bytes));
    if (key == "min_chunk_bytes") RETURN_IF_ERROR(Read(v, key, &o.min_chunk_bytes));
    if (key == "max_send_bytes") RETURN_IF_ERROR(Read(v, key, &o.max_send_bytes));
    if (key == "max_files") RETURN_IF_ERROR(Read(v, key, &o.max_files));
    if (key == "max_uploads_per_office") RETURN_IF_ERROR(Read(v, key, &o.max_uploads_per_office));
    if (key == "max_upload_bytes_per_office") RETURN_IF_ERROR(Read(v, key, &o.max_upload_bytes_per_office));
    if (key == "max_connection_backlog_bytes") RETURN_IF_ERROR(Read(v, key, &o.max_connection_backlog_bytes));
    if (key == "max_total_backlog_bytes") RETURN_IF_ERROR(Read(v, key, &o.max_total_backlog_bytes));
    if (key == "max_connections") RETURN_IF_ERROR(Read(v, key, &o.max_connections));
    if (key == "max_connections_per_address") RETURN_IF_ERROR(Read(v, key, &o.max_connections_per_address));
    if (key == "io_threads") RETURN_IF_ERROR(Read(v, key, &o.io_threads));
    if (key == "metrics_endpoint") RETURN_IF_ERROR(Read(v, key, &o.metrics_endpoint));
    if (key == "log_level") RETURN_IF_ERROR(Read(v, key, &o.log_level));
    for (auto [name, field] :
         {std::pair{"retention", &o.retention_seconds}, std::pair{"expired_keep", &o.expired_keep_seconds},
          std::pair{"upload_timeout", &o.upload_timeout_seconds},
          std::pair{"sweep_interval", &o.sweep_interval_seconds}, std::pair{"lease", &o.lease_seconds}}) {
      if (key != name) continue;
      std::string text;
      RETURN_IF_ERROR(Read(v, key, &text));
      auto seconds = ParseDuration(text);
      if (!seconds.ok() || *seconds <= 0) return Bad(key, "must be a positive duration such as 90d, 12h or 3s");
      *field = *seconds;
    }
  }
  if (o.endpoint.rfind("tcp://", 0) != 0) return Bad("endpoint", "must be tcp://HOST:PORT");
  if (!o.public_endpoint.empty() && !wire::ConnectableEndpoint(o.public_endpoint)) {
    return Bad("public_endpoint", "must be tcp://HOST:PORT with the host name or address offices connect to");
  }
  if (o.admin_endpoint.rfind("tcp://", 0) != 0) return Bad("admin_endpoint", "must be tcp://HOST:PORT");
  if (o.max_chunk_bytes < wire::kMinChunkBytes || o.max_chunk_bytes > wire::kMaxChunkBytes) {
    return Bad("max_chunk_bytes", "must be between 4096 and 16777216");
  }
  if (o.min_chunk_bytes < wire::kMinChunkBytes || o.min_chunk_bytes > o.max_chunk_bytes) {
    return Bad("min_chunk_bytes", "must be between 4096 and max_chunk_bytes");
  }
  if (o.max_send_bytes == 0 || o.max_send_bytes > wire::kMaxSendBytes)
    return Bad("max_send_bytes", "must be 1 to 2^40");
  if (o.max_files == 0 || o.max_files > wire::kMaxFiles) return Bad("max_files", "must be 1 to 1000");
  if (o.max_uploads_per_office == 0) return Bad("max_uploads_per_office", "must be positive");
  if (o.max_upload_bytes_per_office < o.max_send_bytes) {
    return Bad("max_upload_bytes_per_office", "must be at least max_send_bytes");
  }
  if (o.max_connection_backlog_bytes == 0) return Bad("max_connection_backlog_bytes", "must be positive");
  if (o.max_connections == 0) return Bad("max_connections", "must be positive");
  if (o.max_connections_per_address == 0) return Bad("max_connections_per_address", "must be positive");
  if (o.max_total_backlog_bytes < o.max_connection_backlog_bytes) {
    return Bad("max_total_backlog_bytes", "must be at least max_connection_backlog_bytes");
  }
  if (o.io_threads < 1 || o.io_threads > 64) return Bad("io_threads", "must be 1 to 64");
  if (!o.metrics_endpoint.empty() && o.metrics_endpoint.find(':') == std::string::npos) {
    return Bad("metrics_endpoint", "must be HOST:PORT");
  }
  if (!SetLogLevel(o.log_level, /*apply=*/false)) return Bad("log_level", "must be debug, info, warn or error");
  return o;
}

StatusOr<BrokerOptions> LoadBrokerConfig(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) {
    return InvalidArgument("config_invalid", "cannot read broker config " + path);
  }
  return ParseBrokerConfig(*text);
}

}  // namespace tayori::broker
