// BulkRuns: the bulk sends (一括送信) of the screens: each planned from an
// upload, then run in the background on its own connections, with every
// group's progress published as a "bulk" event. Failed and interrupted
// groups stay as drafts, as with the CLI. Thread-safe.
#ifndef TAYORI_AGENT_SERVE_BULK_RUNS_H_
#define TAYORI_AGENT_SERVE_BULK_RUNS_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/bulk.h"
#include "agent/serve/event_hub.h"

namespace tayori::agent::serve {

class BulkRuns {
 public:
  using OpenAgent = std::function<StatusOr<std::unique_ptr<Agent>>()>;

  BulkRuns(std::string home, Env* env, EventHub* events, OpenAgent open_agent)
      : home_(std::move(home)), env_(env), events_(events), open_agent_(std::move(open_agent)) {}
  ~BulkRuns();  // interrupts and joins what runs

  // Plans OPTIONS with AGENT (look-ups); returns the new bulk's id.
  StatusOr<std::string> Plan(Agent* agent, const BulkOptions& options);
  // The groups of bulk ID as they stand.
  StatusOr<std::vector<BulkGroup>> Groups(const std::string& id);
  // Starts sending the groups at INDEXES (all waiting ones if empty).
  Status Start(const std::string& id, const std::vector<size_t>& indexes);
  Status Cancel(const std::string& id);

 private:
  struct Run {
    std::vector<BulkGroup> groups;  // guarded by BulkRuns::mu_
    std::atomic<bool> cancel{false};
    std::thread thread;
    bool running = false;  // guarded by BulkRuns::mu_
  };
  void Send(const std::string& id, Run* run, std::vector<size_t> indexes);

  const std::string home_;
  Env* const env_;
  EventHub* const events_;
  const OpenAgent open_agent_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Run>> runs_;  // guarded by mu_
};

}  // namespace tayori::agent::serve

#endif  // TAYORI_AGENT_SERVE_BULK_RUNS_H_
