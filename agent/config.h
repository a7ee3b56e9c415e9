// AgentConfig: the agent's settings, kept in HOME/agent.yaml (written by
// `tayori-agent init`; config/agent.yaml shows every key with its default).
// The only code that reads the agent's config file or environment.
#ifndef TAYORI_AGENT_CONFIG_H_
#define TAYORI_AGENT_CONFIG_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "common/messages.h"
#include "common/status.h"

namespace tayori::agent {

struct AgentConfig {
  // The broker: endpoint and CURVE public key (Z85), as it printed them.
  // Several brokers sharing one store (docs/scale.md) are listed
  // comma-separated (agent.yaml: a list); they share the key pair, and the
  // agent spreads requests over those that answer.
  std::string broker;
  std::string broker_key;
  // This terminal's office, from its certificate at init.
  std::string office;
  std::string user_id;
  // Language of messages: ja or en. Unset: from the locale (LC_ALL,
  // LC_MESSAGES, LANG: English if it starts with "en"), else Japanese.
  std::optional<Lang> lang;
  // Plaintext bytes per uploaded chunk (at most the broker's max_chunk_bytes).
  uint32_t chunk_size = 1 << 20;
  // Chunks in flight at once, in either direction.
  uint32_t window = 8;
  // Seconds to wait for one answer before asking again, and seconds without
  // any answer (e.g. while the broker restarts) before a command gives up.
  // A long transfer that keeps making progress never times out.
  int attempt_timeout_s = 3;
  int timeout_s = 60;
  // `tayori-agent serve`: where the staff screens and the local API listen
  // (127.0.0.1 only; port 0 picks a free one), and the folder downloads are
  // saved into. Empty download_dir: DefaultDownloadDir().
  std::string listen = "127.0.0.1:7780";
  std::string download_dir;
  // Hand-off with the care software (agent/handoff/), while `serve` runs.
  struct Handoff {
    // Watched: complete files the care software writes here are checked
    // and sent, then moved into 送信済/ or エラー/. Empty: not watched.
    std::string export_dir;
    // Where new mail is downloaded as it arrives. Empty: not downloaded.
    std::string import_dir;
    // Which mail is downloaded: registration, deletion, other (PDFs etc.).
    std::set<std::string> import_kinds = {"registration", "deletion", "other"};
    // A file unchanged (size and time) for this long is complete.
    int quiet_s = 5;
    // A send unit still missing files after this long is refused (into
    // エラー/) instead of waited for.
    int unit_wait_s = 300;
  } handoff;
};

StatusOr<AgentConfig> ParseAgentConfig(const std::string& yaml_text);
std::string FormatAgentConfig(const AgentConfig& config);

// $XDG_STATE_HOME/tayori/agent, or ~/.local/state/tayori/agent.
std::string DefaultAgentHome();
// ~/Downloads/tayori: where the screens save downloads unless agent.yaml
// says otherwise.
std::string DefaultDownloadDir();
// HOST:PORT of a listen setting, loopback only (127.0.0.1 or localhost).
StatusOr<std::pair<std::string, int>> ParseListen(const std::string& text);

// English if the locale asks for it (LC_ALL, LC_MESSAGES, LANG), else Japanese.
Lang LocaleLang();

}  // namespace tayori::agent

#endif  // TAYORI_AGENT_CONFIG_H_
