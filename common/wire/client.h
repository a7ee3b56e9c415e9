// Client: one CurveZMQ DEALER connection to a broker (office or admin
// channel), with request/response matching, resend on timeout and a deadline.
//
// Every tayori verb is idempotent (sends carry a client-chosen id, chunk
// writes and acknowledgements are repeatable), so a request whose answer is
// lost is simply sent again; ZeroMQ reconnects underneath when the broker
// restarts. So is one the broker answers "unavailable" (its store cannot be
// reached, e.g. while the database fails over), after a pause. A Client owns its ZeroMQ context and socket; one thread
// at a time.
#ifndef TAYORI_COMMON_WIRE_CLIENT_H_
#define TAYORI_COMMON_WIRE_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <zmq.hpp>

#include "common/status.h"
#include "tayori.pb.h"

namespace tayori::wire {

struct ClientOptions {
  // tcp://host:port, or several comma-separated: brokers sharing one store
  // and one key pair. Requests go round-robin to those connected; one that
  // stops answering is left to the resend, which goes to the next.
  std::string endpoint;
  std::string server_key;  // broker public key, Z85
  std::string public_key;  // ours, Z85
  std::string secret_key;  // ours, Z85
  // How long to wait for one answer before sending the request again.
  int attempt_timeout_ms = 3000;
  // How long Call() keeps trying before giving up with "unavailable" (or
  // the broker's last "unavailable" answer).
  int deadline_ms = 60000;
  // How long to wait before asking again what the broker answered
  // "unavailable".
  int unavailable_pause_ms = 500;
  // Largest frame accepted from the broker.
  int64_t max_frame = 4 << 20;
};

struct Reply {
  pb::Response response;
  std::string data;
};

class Client {
 public:
  static StatusOr<std::unique_ptr<Client>> Connect(const ClientOptions& options);

  // Sends REQUEST (req_id is assigned here) with optional DATA frame and
  // returns its reply. A reply carrying an error comes back as that Status.
  StatusOr<Reply> Call(pb::Request request, const std::string& data = "");

  // Pipelined use: Post() sends without waiting and returns the req_id;
  // Receive() returns the next reply (any req_id) or deadline_exceeded
  // after TIMEOUT_MS. Replies to unknown ids are the caller's to ignore.
  StatusOr<uint64_t> Post(pb::Request request, std::string_view data, bool has_data);
  StatusOr<Reply> Receive(int timeout_ms);

  const ClientOptions& options() const { return options_; }

 private:
  explicit Client(ClientOptions options) : options_(std::move(options)) {}

  ClientOptions options_;
  zmq::context_t context_{1};
  zmq::socket_t socket_;
  uint64_t next_id_ = 1;
};

// True if ENDPOINT is tcp://HOST:PORT, or a comma-separated list of them,
// that a client can connect to: HOST a name or IPv4 address, not a
// wildcard a server listens on (0.0.0.0, *) nor an IPv6 literal (clients
// do not enable IPv6), and PORT 1-65535.
bool ConnectableEndpoint(const std::string& endpoint);

}  // namespace tayori::wire

#endif  // TAYORI_COMMON_WIRE_CLIENT_H_
