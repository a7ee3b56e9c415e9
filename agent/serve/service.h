// Service: `tayori-agent serve`, the agent as a long-running program. Owns
// the Agent requests are served from (one request at a time holds it), a
// second Agent that watches the broker's pushed events, the HTTP server on
// 127.0.0.1 with its sign-in and sessions (agent/serve/auth.h), the event
// hub that feeds open screens, uploads from the browser and bulk sends.
// The routes (agent/serve/routes_*.cc) borrow it while it runs.
//
// Start, Run and the destructor from one thread; everything else from the
// HTTP server's threads.
#ifndef TAYORI_AGENT_SERVE_SERVICE_H_
#define TAYORI_AGENT_SERVE_SERVICE_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "agent/agent.h"
#include "agent/handoff/runner.h"
#include "agent/serve/auth.h"
#include "agent/serve/bulk_runs.h"
#include "agent/serve/event_hub.h"
#include "agent/serve/uploads.h"

namespace httplib {
class Server;
}

namespace tayori::agent::serve {

struct ServeOptions {
  std::string home;
  // 127.0.0.1:PORT; empty: the listen setting of agent.yaml.
  std::string listen;
  Env* env = Env::Default();
};

class Service {
 public:
  static StatusOr<std::unique_ptr<Service>> Start(const ServeOptions& options);
  ~Service();

  int port() const { return port_; }
  // A fresh one-time sign-in address.
  std::string SignInUrl();
  // Serves until *STOP becomes true.
  void Run(const std::atomic<bool>* stop);

  // ---- for the routes
  // Runs FN with the serving Agent, one caller at a time.
  // The agent learns revocations (the CRL) again when it was last told
  // more than ten minutes ago, so that a service running for weeks refuses
  // a signer revoked since it started.
  template <typename Fn>
  auto WithAgent(Fn&& fn) {
    std::lock_guard<std::mutex> lock(agent_mu_);
    RefreshRevocationsLocked();
    return fn(*agent_);
  }
  Auth& auth() { return *auth_; }
  EventHub& events() { return events_; }
  Uploads& uploads() { return uploads_; }
  BulkRuns& bulks() { return *bulks_; }
  // The hand-off with the care software; null when agent.yaml sets no folder.
  handoff::Runner* handoff() { return handoff_.get(); }
  Env* env() const { return options_.env; }
  const std::string& home() const { return options_.home; }
  std::string DownloadDir() const;
  // Removes upload ID unless a draft or a bulk send still refers to it
  // (after a send: the agent keeps no copies, R13). Held by the caller
  // while it makes a draft refer to an upload, so that no release races it.
  void ReleaseUpload(const std::string& id);
  std::unique_lock<std::mutex> LockUploadRefs() { return std::unique_lock<std::mutex>(upload_refs_mu_); }
  bool broker_reachable() const { return broker_reachable_; }

 private:
  explicit Service(ServeOptions options);
  Status Init();
  void WatchLoop(const std::atomic<bool>* stop);
  void RefreshRevocationsLocked();  // REQUIRES agent_mu_
  // The uploads drafts and bulk sends refer to (REQUIRES upload_refs_mu_).
  std::set<std::string> UploadsInUse();

  const ServeOptions options_;
  std::unique_ptr<Agent> agent_;  // guarded by agent_mu_
  std::mutex agent_mu_;
  int64_t revocations_learned_ms_ = 0;  // monotonic; guarded by agent_mu_
  std::unique_ptr<Auth> auth_;
  EventHub events_;
  Uploads uploads_;
  std::mutex upload_refs_mu_;
  std::unique_ptr<BulkRuns> bulks_;
  std::unique_ptr<handoff::Runner> handoff_;
  std::unique_ptr<httplib::Server> http_;
  std::thread http_thread_;
  std::atomic<bool> http_ended_{false};
  int port_ = 0;
  std::atomic<bool> broker_reachable_{false};
};

}  // namespace tayori::agent::serve

#endif  // TAYORI_AGENT_SERVE_SERVICE_H_
