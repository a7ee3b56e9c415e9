// Server: the broker process's core. Owns the mailbox store, the CURVE key
// pairs, the ZAP handler, the two ROUTER sockets (offices, admin), the
// metrics endpoint, the subscriptions and the sweeper, and serves every
// verb of docs/protocol.md through the verb table (broker/verbs.h).
//
// Identity comes only from ZAP (broker/identity.h), and every request is
// authorised from that, never from ids inside the payload. Run() is called
// from one thread; Start() and the accessors from the same thread.
#ifndef TAYORI_BROKER_SERVER_H_
#define TAYORI_BROKER_SERVER_H_

#include <atomic>
#include <memory>
#include <string>
#include <zmq.hpp>

#include "broker/backlog_guard.h"
#include "broker/context.h"
#include "broker/events.h"
#include "broker/heap_release.h"
#include "broker/mailbox_store.h"
#include "broker/metrics.h"
#include "broker/options.h"
#include "broker/sweeper.h"
#include "broker/trust_source.h"
#include "broker/zap_handler.h"
#include "common/status.h"

namespace tayori::broker {

class Server {
 public:
  static StatusOr<std::unique_ptr<Server>> Start(BrokerOptions options);
  ~Server();

  // Endpoints as bound (a port 0 in the options is replaced by the real one).
  const std::string& endpoint() const { return endpoint_; }
  const std::string& admin_endpoint() const { return admin_endpoint_; }
  const std::string& metrics_endpoint() const { return metrics_endpoint_; }
  const std::string& public_key() const { return public_key_; }

  // Serves until *STOP becomes true (checked at least every 200 ms). Runs
  // the sweeper every sweep_interval and samples memory for the metrics
  // every second (by the injected clock).
  void Run(const std::atomic<bool>* stop);

 private:
  explicit Server(BrokerOptions options);
  Status Init();
  Status OpenStore();
  Status BindSockets(const std::string& secret_key);
  void ServeOne(zmq::socket_t& socket, bool admin_channel);
  Status CountPending();
  // Metrics of where memory goes, once a second of the injected clock.
  void SampleMemory();

  // Constant after Start().
  BrokerOptions options_;
  std::string endpoint_;
  std::string admin_endpoint_;
  std::string metrics_endpoint_;
  std::string public_key_;

  std::unique_ptr<MailboxStore> store_;  // thread-safe; shared with the ZAP thread
  TrustSource trust_;
  Metrics metrics_;
  zmq::context_t context_;
  std::unique_ptr<ZapHandler> zap_;
  zmq::socket_t router_;                 // Run() thread only
  zmq::socket_t admin_;                  // Run() thread only
  std::unique_ptr<BacklogGuard> guard_;  // of router_; its own thread
  Subscriptions events_;                 // Run() thread only
  ServerContext ctx_;                    // Run() thread only
  Sweeper sweeper_;                      // Run() thread only
  int64_t next_memory_sample_ = 0;       // Run() thread only
  HeapRelease heap_release_;             // Run() thread only
};

}  // namespace tayori::broker

#endif  // TAYORI_BROKER_SERVER_H_
