// Runner: the hand-off on a thread of its own while `tayori-agent serve`
// runs, with its own Agent (so the screens are never kept waiting): the
// Exporter every second, the Importer when new mail is pushed and after the
// service (re)connects. Works whether or not a browser is open.
//
// Construct, then any thread may call MailArrived and State; the destructor
// stops and joins.
#ifndef TAYORI_AGENT_HANDOFF_RUNNER_H_
#define TAYORI_AGENT_HANDOFF_RUNNER_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "agent/handoff/exporter.h"
#include "agent/handoff/importer.h"

namespace tayori::agent::handoff {

// What the ホーム screen shows of the hand-off.
struct HandoffState {
  std::string export_dir, import_dir;  // "" where that side is off
  ExportCounts exported;
  ImportCounts imported;
};

class Runner {
 public:
  using OpenAgent = std::function<StatusOr<std::unique_ptr<Agent>>()>;

  Runner(std::string home, AgentConfig::Handoff config, Env* env, OpenAgent open_agent);
  ~Runner();

  // New mail was pushed, or the service (re)connected: import soon.
  void MailArrived();
  HandoffState State();

 private:
  void Loop();
  void Logged(const char* side, const Status& st, std::string* last);

  const AgentConfig::Handoff config_;
  const OpenAgent open_agent_;
  Exporter exporter_;                            // used by the loop only
  Importer importer_;                            // used by the loop only
  std::string export_problem_, import_problem_;  // last logged; the loop only
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;       // guarded by mu_
  bool import_due_ = true;  // guarded by mu_; at start, what came while away
  HandoffState state_;      // guarded by mu_
  std::thread thread_;
};

}  // namespace tayori::agent::handoff

#endif  // TAYORI_AGENT_HANDOFF_RUNNER_H_
