// Exporter: the export side of the hand-off with the care software (R23).
// Each Pass() looks at the export folder. Files the care software has
// finished writing (size and time unchanged for quiet_s) are grouped into
// sends exactly as bulk groups them, checked, and sent; each file then moves
// into 送信済/, or into エラー/ beside a .txt that says in Japanese what was
// wrong and what to do. A send is recorded in HOME/handoff/ before it
// begins, so after a crash the next Pass finishes it with the same send id:
// nothing is sent twice and nothing is deleted.
//
// Borrows ENV; the Agent is lent to each Pass. One thread.
#ifndef TAYORI_AGENT_HANDOFF_EXPORTER_H_
#define TAYORI_AGENT_HANDOFF_EXPORTER_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "agent/config.h"

namespace tayori::agent::handoff {

inline constexpr char kSentFolder[] = "送信済";
inline constexpr char kErrorFolder[] = "エラー";

struct ExportCounts {
  int waiting = 0;            // files seen, not yet sent or refused
  int errors = 0;             // files in エラー/
  int sent = 0;               // sends made since the service started
  int64_t last_activity = 0;  // Unix seconds of the last send or refusal
  std::string last_problem;   // why the last try failed for now (Japanese), "" if it did not
};

class Exporter {
 public:
  Exporter(std::string home, AgentConfig::Handoff config, Env* env);

  // One look at the folder, sending what is ready with AGENT. An error is
  // what stopped this pass (the broker unreachable, say); the next pass
  // tries again.
  Status Pass(Agent* agent);
  const ExportCounts& counts() const { return counts_; }

 private:
  struct Seen {
    uint64_t size = 0;
    int64_t mtime = 0;
    int64_t stable_since = 0;  // monotonic ms
    int64_t first_seen = 0;    // monotonic ms
  };
  Status PassOnce(Agent* agent);
  // Finishes the recorded send REC (sends it, or moves its files); keeps the
  // record when the failure may pass.
  // CHECKED: what SendGroup's check passed, when it has just run.
  Status Finish(Agent* agent, pb::HandoffSend rec, std::optional<CheckedFiles> checked = std::nullopt);
  // Files of the export folder complete by now, not claimed by a record.
  std::vector<std::string> Ready(const std::set<std::string>& claimed);
  Status SendGroup(Agent* agent, const std::vector<std::string>& files, const std::string& office);
  // Moves FILES into エラー/ with a .txt each saying LINES.
  void Refuse(const std::vector<std::string>& files, const std::vector<std::string>& lines);
  Status MoveInto(const std::string& folder, const std::vector<std::string>& files);
  void CountErrors();
  std::string RecordPath(const std::string& send_id) const;

  const std::string journal_dir_;
  const AgentConfig::Handoff config_;
  Env* const env_;
  std::map<std::string, Seen> seen_;  // by path
  ExportCounts counts_;
};

}  // namespace tayori::agent::handoff

#endif  // TAYORI_AGENT_HANDOFF_EXPORTER_H_
