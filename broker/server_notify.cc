// Server: pushed events (subscriptions) and notices. See server.h.
#include <chrono>

#include "broker/server.h"
#include "common/wire/codec.h"

namespace tayori::broker {

// ------------------------------------------------------------------ notifications and notices

namespace {
// Subscriptions are about live connections, so they run on the monotonic
// clock, not on the (injectable) calendar clock of retention and licences.
int64_t MonotonicSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

Status Server::Subscribe(const Caller& c) {
  // Terminals renew every 20 seconds; a lapsed subscription is dropped.
  subscribers_[c.office][c.routing_id] = MonotonicSeconds() + 60;
  return Status::Ok();
}

void Server::Notify(const std::string& office, const pb::Event& event) {
  auto it = subscribers_.find(office);
  if (it == subscribers_.end()) return;
  pb::Response push;
  *push.mutable_event() = event;
  const std::string bytes = wire::Serialize(push);
  const int64_t now = MonotonicSeconds();
  for (auto sub = it->second.begin(); sub != it->second.end();) {
    bool keep = sub->second >= now;
    if (keep) {
      try {
        router_.send(zmq::buffer(sub->first), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
        router_.send(zmq::buffer(bytes), zmq::send_flags::dontwait);
      } catch (const zmq::error_t&) {
        keep = false;  // gone (router_mandatory): forget it
      }
    }
    sub = keep ? std::next(sub) : it->second.erase(sub);
  }
  if (it->second.empty()) subscribers_.erase(it);
}

Status Server::Notices(bool include_withdrawn, pb::Response* out) {
  ASSIGN_OR_RETURN(auto notices, store_->ListNotices());
  pb::NoticesResponse* resp = out->mutable_notices();
  bool maintenance = false;
  const int64_t now = Now();
  for (auto it = notices.rbegin(); it != notices.rend(); ++it) {  // newest first
    const bool active = !it->withdrawn() && (it->until_unix() == 0 || it->until_unix() >= now);
    if (!active && !include_withdrawn) continue;
    if (active && it->kind() == "maintenance") maintenance = true;
    *resp->add_notices() = *it;
  }
  resp->set_system_status(maintenance ? "maintenance_announced" : "normal");
  return Status::Ok();
}

}  // namespace tayori::broker
