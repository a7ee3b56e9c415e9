// EventHub: what the agent pushes to open screens (Server-Sent Events):
// new mail and download status from the broker, bulk progress from this
// agent. Each open event stream is a Subscription with its own queue.
// Thread-safe; Subscriptions may outlive the hub's publishers.
#ifndef TAYORI_AGENT_SERVE_EVENT_HUB_H_
#define TAYORI_AGENT_SERVE_EVENT_HUB_H_

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace tayori::agent::serve {

class EventHub {
 public:
  // Events a slow page has not taken yet; beyond this the oldest go (the
  // page reloads its lists on reconnect anyway).
  static constexpr size_t kMaxQueued = 256;

  class Subscription {
   public:
    // The next event as SSE text ("event: NAME\ndata: JSON\n\n"), or "" if
    // none came within TIMEOUT_MS or the hub closed.
    std::string Next(int timeout_ms);

   private:
    friend class EventHub;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::string> queue_;  // guarded by mu_
    bool closed_ = false;            // guarded by mu_
  };

  ~EventHub() { Close(); }

  std::shared_ptr<Subscription> Subscribe();
  void Unsubscribe(const std::shared_ptr<Subscription>& sub);
  // Sends event NAME with DATA (one line of JSON) to every subscription.
  void Publish(const std::string& name, const std::string& data);
  // Wakes every subscription for good (the server is stopping).
  void Close();

 private:
  std::mutex mu_;
  std::set<std::shared_ptr<Subscription>> subs_;  // guarded by mu_
};

}  // namespace tayori::agent::serve

#endif  // TAYORI_AGENT_SERVE_EVENT_HUB_H_
