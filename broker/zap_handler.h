// ZapHandler: the ZeroMQ authentication handler (ZAP, RFC 27) of both
// CURVE sockets, on a thread of its own. It maps a client's CURVE key to
// the User-Id of broker/identity.h: an enrolled terminal's office, an
// anonymous key (office channel only) or the admin (admin channel only).
//
// Must be started before any CURVE socket binds: libzmq 4.3 lets every key
// in when no handler answers. Borrows the context and the store (which is
// thread-safe); both must outlive it. Start/destroy from one thread.
#ifndef TAYORI_BROKER_ZAP_HANDLER_H_
#define TAYORI_BROKER_ZAP_HANDLER_H_

#include <atomic>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "broker/mailbox_store.h"
#include "common/status.h"

namespace tayori::broker {

constexpr char kOfficeDomain[] = "tayori";
constexpr char kAdminDomain[] = "tayori-admin";

class ZapHandler {
 public:
  ZapHandler(zmq::context_t* context, MailboxStore* store, std::string admin_public_raw)
      : context_(context), store_(store), admin_public_raw_(std::move(admin_public_raw)) {}
  ~ZapHandler();

  // Binds the handler's socket and starts its thread.
  Status Start();

 private:
  void Loop();
  void Answer(std::vector<zmq::message_t>& request);

  zmq::context_t* const context_;
  MailboxStore* const store_;
  const std::string admin_public_raw_;  // 32 bytes
  zmq::socket_t socket_;                // the handler's thread only, once started
  std::thread thread_;
  std::atomic<bool> stop_{false};
};

}  // namespace tayori::broker

#endif  // TAYORI_BROKER_ZAP_HANDLER_H_
