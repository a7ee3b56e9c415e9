// Pushed events: which connections of which office subscribed, and the one
// builder of the Event messages pushed to them (docs/protocol.md,
// "Subscribe"). A subscription lasts 60 seconds of the monotonic clock and
// is renewed by the terminal every 20.
//
// Subscriptions borrows the office ROUTER socket and the Env, which must
// outlive it; it is used from the serving thread only.
#ifndef TAYORI_BROKER_EVENTS_H_
#define TAYORI_BROKER_EVENTS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <zmq.hpp>

#include "common/env.h"
#include "tayori.pb.h"

namespace tayori::broker {

enum class EventKind {
  kNewMail,     // to the recipient: a send was accepted
  kDownloaded,  // to the sender: the recipient downloaded it
  kExpired,     // to the sender: it expired undownloaded
};

// "new_mail", "downloaded", "expired": Event.kind on the wire.
const char* EventKindName(EventKind kind);

// The event about message RECORD, for the party that is not OTHER_OFFICE:
// OTHER_OFFICE (with its NAME) is the other party; AT is when it happened.
pb::Event MakeEvent(EventKind kind, const pb::MessageRecord& record, const std::string& other_office,
                    const std::string& other_name, int64_t at_unix);

class Subscriptions {
 public:
  static constexpr int64_t kLeaseMillis = 60'000;

  Subscriptions(zmq::socket_t* router, Env* env) : router_(router), env_(env) {}

  // Subscribes (or renews) the connection ROUTING_ID of OFFICE, whose
  // terminal has the CURVE key CURVE_PK.
  void Subscribe(const std::string& office, const std::string& routing_id, const std::string& curve_pk);
  // Pushes EVENT to every live subscription of OFFICE whose terminal
  // ALLOWED still admits (removed or revoked ones are forgotten); forgets
  // lapsed ones and connections that are gone.
  void Notify(const std::string& office, const pb::Event& event,
              const std::function<bool(const std::string& curve_pk)>& allowed);

 private:
  zmq::socket_t* const router_;
  Env* const env_;
  struct Subscriber {
    int64_t until_ms;  // end of the subscription, monotonic
    std::string curve_pk;
  };
  // office -> routing id -> subscriber
  std::map<std::string, std::map<std::string, Subscriber>> subscribers_;
};

}  // namespace tayori::broker

#endif  // TAYORI_BROKER_EVENTS_H_
