#include "agent/serve/event_hub.h"

#include <chrono>

namespace tayori::agent::serve {

std::string EventHub::Subscription::Next(int timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this] { return closed_ || !queue_.empty(); });
  if (queue_.empty()) return "";
  std::string event = std::move(queue_.front());
  queue_.pop_front();
  return event;
}

std::shared_ptr<EventHub::Subscription> EventHub::Subscribe() {
  auto sub = std::make_shared<Subscription>();
  std::lock_guard<std::mutex> lock(mu_);
  subs_.insert(sub);
  return sub;
}

void EventHub::Unsubscribe(const std::shared_ptr<Subscription>& sub) {
  std::lock_guard<std::mutex> lock(mu_);
  subs_.erase(sub);
}

void EventHub::Publish(const std::string& name, const std::string& data) {
  const std::string text = "event: " + name + "\ndata: " + data + "\n\n";
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& sub : subs_) {
    {
      std::lock_guard<std::mutex> sub_lock(sub->mu_);
      if (sub->queue_.size() >= kMaxQueued) sub->queue_.pop_front();
      sub->queue_.push_back(text);
    }
    sub->cv_.notify_one();
  }
}

void EventHub::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& sub : subs_) {
    {
      std::lock_guard<std::mutex> sub_lock(sub->mu_);
      sub->closed_ = true;
    }
    sub->cv_.notify_all();
  }
  subs_.clear();
}

}  // namespace tayori::agent::serve
