#include "agent/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "common/env.h"
#include "common/ids.h"
#include "common/port/port.h"
#include "common/wire/client.h"

namespace tayori::agent {
namespace {

Status Bad(const std::string& key, const std::string& why) {
  return InvalidArgument("config_invalid", "agent config key '" + key + "': " + why);
}

}  // namespace

std::string DefaultAgentHome() { return DefaultStateDir() + "/agent"; }

Lang LocaleLang() {
  for (const char* var : {"LC_ALL", "LC_MESSAGES", "LANG"}) {
    const char* v = std::getenv(var);
    if (v == nullptr || *v == '\0') continue;
    return std::string(v).rfind("en", 0) == 0 ? Lang::kEn : Lang::kJa;
  }
  return Lang::kJa;
}

// The handoff: map of agent.yaml (config/agent.yaml).
Status ParseHandoff(const YAML::Node& node, AgentConfig::Handoff* h) {
  if (!node.IsMap()) return Bad("handoff", "must be a map (see config/agent.yaml)");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (key == "export_dir") {
      h->export_dir = v.as<std::string>();
    } else if (key == "import_dir") {
      h->import_dir = v.as<std::string>();
    } else if (key == "import_kinds") {
      if (!v.IsSequence()) return Bad("handoff.import_kinds", "must be a list of registration, deletion, other");
      h->import_kinds.clear();
      for (const auto& k : v) {
        const std::string kind = k.as<std::string>();
        if (kind != "registration" && kind != "deletion" && kind != "other") {
          return Bad("handoff.import_kinds", "must be a list of registration, deletion, other");
        }
        h->import_kinds.insert(kind);
      }
    } else if (key == "quiet_s") {
      h->quiet_s = v.as<int>();
    } else if (key == "unit_wait_s") {
      h->unit_wait_s = v.as<int>();
    } else {
      return Bad("handoff." + key, "unknown key (see config/agent.yaml)");
    }
  }
  for (const std::string* dir : {&h->export_dir, &h->import_dir}) {
    if (!dir->empty() && (*dir)[0] != '/') return Bad("handoff", "export_dir and import_dir must be absolute paths");
  }
  if (!h->export_dir.empty() && h->export_dir == h->import_dir) {
    return Bad("handoff", "export_dir and import_dir must be different folders");
  }
  if (h->quiet_s < 1 || h->quiet_s > 3600) return Bad("handoff.quiet_s", "1 to 3600");
  if (h->unit_wait_s < h->quiet_s || h->unit_wait_s > 86400) return Bad("handoff.unit_wait_s", "quiet_s to 86400");
  return Status::Ok();
}

StatusOr<AgentConfig> ParseAgentConfig(const std::string& yaml_text) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return InvalidArgument("config_invalid",
                           std::string("agent config is not YAML: ") + e.what() +
                               " (put a value that begins with a sign, such as the broker key, in double quotes)");
  }
  if (!root.IsMap()) return InvalidArgument("config_invalid", "agent config must be a YAML map");
  static const std::set<std::string> kKeys = {"broker",    "broker_key", "office",       "user_id",
                                              "lang",      "chunk_size", "window",       "attempt_timeout_s",
                                              "timeout_s", "listen",     "download_dir", "handoff"};
  AgentConfig c;
  std::string lang;
  for (const auto& kv : root) {
    std::string key;
    try {
      key = kv.first.as<std::string>();
      if (!kKeys.count(key)) return Bad(key, "unknown key (see config/agent.yaml)");
      const YAML::Node& v = kv.second;
      if (key == "broker") {
        // One endpoint, or several (a YAML list, or comma-separated).
        if (v.IsSequence()) {
          for (const auto& e : v) c.broker += (c.broker.empty() ? "" : ",") + e.as<std::string>();
        } else {
          c.broker = v.as<std::string>();
        }
      }
      if (key == "broker_key") c.broker_key = v.as<std::string>();
      if (key == "office") c.office = v.as<std::string>();
      if (key == "user_id") c.user_id = v.as<std::string>();
      if (key == "lang") lang = v.as<std::string>();
      if (key == "chunk_size") c.chunk_size = v.as<uint32_t>();
      if (key == "window") c.window = v.as<uint32_t>();
      if (key == "attempt_timeout_s") c.attempt_timeout_s = v.as<int>();
      if (key == "timeout_s") c.timeout_s = v.as<int>();
      if (key == "listen") c.listen = v.as<std::string>();
      if (key == "download_dir") c.download_dir = v.as<std::string>();
      if (key == "handoff") RETURN_IF_ERROR(ParseHandoff(v, &c.handoff));
    } catch (const YAML::Exception&) {
      return Bad(key, "has the wrong type");
    }
  }
  if (!wire::ConnectableEndpoint(c.broker)) {
    return Bad("broker",
               "must be tcp://HOST:PORT with the broker's name or address, or a list of them "
               "(brokers sharing one store)");
  }
  if (std::count(c.broker.begin(), c.broker.end(), ',') >= 16) return Bad("broker", "lists more than 16 endpoints");
  if (c.broker_key.size() != 40) return Bad("broker_key", "must be the broker's 40-character key");
  if (!IsOfficeNumber(c.office)) return Bad("office", "must be 10 digits");
  if (!IsUserId(c.user_id)) return Bad("user_id", "must be KJ + 12 digits");
  if (!lang.empty()) {
    auto l = ParseLang(lang);
    if (!l.ok()) return Bad("lang", "must be ja or en");
    c.lang = *l;
  }
  if (c.chunk_size < 4096 || c.chunk_size > (16u << 20)) return Bad("chunk_size", "4096 to 16777216");
  if (c.window < 1 || c.window > 256) return Bad("window", "1 to 256");
  if (c.attempt_timeout_s < 1 || c.timeout_s < 1) return Bad("timeout_s", "must be positive");
  if (!ParseListen(c.listen).ok()) return Bad("listen", "must be 127.0.0.1:PORT or localhost:PORT");
  if (!c.download_dir.empty() && c.download_dir[0] != '/') return Bad("download_dir", "must be an absolute path");
  return c;
}

StatusOr<std::pair<std::string, int>> ParseListen(const std::string& text) {
  const size_t colon = text.rfind(':');
  const std::string host = colon == std::string::npos ? "" : text.substr(0, colon);
  const std::string port = colon == std::string::npos ? "" : text.substr(colon + 1);
  if ((host != "127.0.0.1" && host != "localhost") || port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535) {
    return InvalidArgument("usage", "listen takes 127.0.0.1:PORT (loopback only), got '" + text + "'");
  }
  return std::make_pair(std::string("127.0.0.1"), std::stoi(port));
}

std::string DefaultDownloadDir() { return port::HomeDir() + "/Downloads/tayori"; }

std::string FormatAgentConfig(const AgentConfig& c) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "broker" << YAML::Value << c.broker;
  out << YAML::Key << "broker_key" << YAML::Value << YAML::DoubleQuoted << c.broker_key;
  out << YAML::Key << "office" << YAML::Value << YAML::DoubleQuoted << c.office;
  out << YAML::Key << "user_id" << YAML::Value << c.user_id;
  if (c.lang) out << YAML::Key << "lang" << YAML::Value << (*c.lang == Lang::kJa ? "ja" : "en");
  out << YAML::Key << "chunk_size" << YAML::Value << c.chunk_size;
  out << YAML::Key << "window" << YAML::Value << c.window;
  out << YAML::Key << "attempt_timeout_s" << YAML::Value << c.attempt_timeout_s;
  out << YAML::Key << "timeout_s" << YAML::Value << c.timeout_s;
  out << YAML::Key << "listen" << YAML::Value << c.listen;
  if (!c.download_dir.empty()) out << YAML::Key << "download_dir" << YAML::Value << c.download_dir;
  const AgentConfig::Handoff& h = c.handoff;
  if (!h.export_dir.empty() || !h.import_dir.empty()) {
    out << YAML::Key << "handoff" << YAML::Value << YAML::BeginMap;
    if (!h.export_dir.empty()) out << YAML::Key << "export_dir" << YAML::Value << h.export_dir;
    if (!h.import_dir.empty()) out << YAML::Key << "import_dir" << YAML::Value << h.import_dir;
    out << YAML::Key << "import_kinds" << YAML::Value << YAML::Flow
        << std::vector<std::string>(h.import_kinds.begin(), h.import_kinds.end());
    out << YAML::Key << "quiet_s" << YAML::Value << h.quiet_s;
    out << YAML::Key << "unit_wait_s" << YAML::Value << h.unit_wait_s;
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace tayori::agent
