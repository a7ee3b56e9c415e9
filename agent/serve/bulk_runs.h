// BulkRuns: the bulk sends (一括送信) of the screens: each planned from an
// upload, then run in the background on its own connections, with every
// group's progress published as a "bulk" event. Failed and interrupted
// groups stay as drafts, as with the CLI. A bulk send is forgotten (and its
// upload released) once no group is left to send, or a day after it was
// planned. Thread-safe.
#ifndef TAYORI_AGENT_SERVE_BULK_RUNS_H_
#define TAYORI_AGENT_SERVE_BULK_RUNS_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "agent/bulk.h"
#include "agent/serve/event_hub.h"

namespace tayori::agent::serve {

class BulkRuns {
 public:
  using OpenAgent = std::function<StatusOr<std::unique_ptr<Agent>>()>;
  // Called (without locks held) with the upload of a bulk send that has
  // nothing left to send.
  using ReleaseUpload = std::function<void(const std::string& upload)>;

  BulkRuns(std::string home, Env* env, EventHub* events, OpenAgent open_agent, ReleaseUpload release)
      : home_(std::move(home)),
        env_(env),
        events_(events),
        open_agent_(std::move(open_agent)),
        release_(std::move(release)) {}
  ~BulkRuns();  // interrupts and joins what runs

  // Plans OPTIONS (files of upload UPLOAD) with AGENT (look-ups); returns
  // the new bulk's id.
  StatusOr<std::string> Plan(Agent* agent, const BulkOptions& options, const std::string& upload);
  // The groups of bulk ID as they stand.
  StatusOr<std::vector<BulkGroup>> Groups(const std::string& id);
  // Starts sending the groups at INDEXES (all waiting ones if empty).
  Status Start(const std::string& id, const std::vector<size_t>& indexes);
  Status Cancel(const std::string& id);
  // Forgets bulk ID (the page planned anew) and releases its upload;
  // bulk_running while it sends.
  Status Discard(const std::string& id);
  // The uploads of bulk sends with groups still to send.
  std::set<std::string> UploadsInUse();

 private:
  struct Run {
    std::string upload;
    int64_t planned_ms = 0;
    std::vector<BulkGroup> groups;  // guarded by BulkRuns::mu_
    std::atomic<bool> cancel{false};
    std::thread thread;
    bool running = false;  // guarded by BulkRuns::mu_
  };
  // Whether RUN has a group that may still go (REQUIRES mu_).
  static bool HasWork(const Run& run);
  // Forgets finished and day-old bulk sends that are not running.
  void Prune();
  void Send(const std::string& id, Run* run, std::vector<size_t> indexes);

  const std::string home_;
  Env* const env_;
  EventHub* const events_;
  const OpenAgent open_agent_;
  const ReleaseUpload release_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Run>> runs_;  // guarded by mu_
};

}  // namespace tayori::agent::serve

#endif  // TAYORI_AGENT_SERVE_BULK_RUNS_H_
