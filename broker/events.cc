#include "broker/events.h"

#include "common/wire/codec.h"

namespace tayori::broker {

const char* EventKindName(EventKind kind) {
  switch (kind) {
    case EventKind::kNewMail:
      return "new_mail";
    case EventKind::kDownloaded:
      return "downloaded";
    case EventKind::kExpired:
      return "expired";
  }
  return "";
}

pb::Event MakeEvent(EventKind kind, const pb::MessageRecord& record, const std::string& other_office,
                    const std::string& other_name, int64_t at_unix) {
  pb::Event event;
  event.set_kind(EventKindName(kind));
  event.set_message_id(record.message_id());
  event.set_office(other_office);
  event.set_name(other_name);
  event.set_at_unix(at_unix);
  pb::Manifest m;
  if (m.ParseFromString(record.signed_().manifest())) event.set_files(static_cast<uint32_t>(m.files_size()));
  return event;
}

void Subscriptions::Subscribe(const std::string& office, const std::string& routing_id, const std::string& curve_pk) {
  subscribers_[office][routing_id] = Subscriber{env_->MonotonicMillis() + kLeaseMillis, curve_pk};
}

void Subscriptions::Notify(const std::string& office, const pb::Event& event,
                           const std::function<bool(const std::string& curve_pk)>& allowed) {
  auto it = subscribers_.find(office);
  if (it == subscribers_.end()) return;
  pb::Response push;
  *push.mutable_event() = event;
  const std::string bytes = wire::Serialize(push);
  const int64_t now = env_->MonotonicMillis();
  for (auto sub = it->second.begin(); sub != it->second.end();) {
    bool keep = sub->second.until_ms >= now && allowed(sub->second.curve_pk);
    if (keep) {
      try {
        router_->send(zmq::buffer(sub->first), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
        router_->send(zmq::buffer(bytes), zmq::send_flags::dontwait);
      } catch (const zmq::error_t&) {
        keep = false;  // gone (router_mandatory): forget it
      }
    }
    sub = keep ? std::next(sub) : it->second.erase(sub);
  }
  if (it->second.empty()) subscribers_.erase(it);
}

}  // namespace tayori::broker
