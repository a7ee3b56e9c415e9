#include "common/wire/client.h"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "common/wire/codec.h"

namespace tayori::wire {
namespace {

int64_t MonoMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

StatusOr<std::unique_ptr<Client>> Client::Connect(const ClientOptions& options) {
  std::unique_ptr<Client> c(new Client(options));
  try {
    c->socket_ = zmq::socket_t(c->context_, zmq::socket_type::dealer);
    c->socket_.set(zmq::sockopt::curve_serverkey, options.server_key);
    c->socket_.set(zmq::sockopt::curve_publickey, options.public_key);
    c->socket_.set(zmq::sockopt::curve_secretkey, options.secret_key);
    c->socket_.set(zmq::sockopt::linger, 0);
    c->socket_.set(zmq::sockopt::reconnect_ivl, 100);
    c->socket_.set(zmq::sockopt::reconnect_ivl_max, 2000);
    c->socket_.set(zmq::sockopt::heartbeat_ivl, 2000);
    c->socket_.set(zmq::sockopt::heartbeat_timeout, 6000);
    c->socket_.set(zmq::sockopt::heartbeat_ttl, 6000);
    c->socket_.set(zmq::sockopt::maxmsgsize, options.max_frame);
    c->socket_.set(zmq::sockopt::sndtimeo, options.attempt_timeout_ms);
    const bool several = options.endpoint.find(',') != std::string::npos;
    // Several brokers: queue requests only to connections that are up, so
    // none wait behind a broker that is down.
    if (several) c->socket_.set(zmq::sockopt::immediate, 1);
    for (size_t at = 0; at <= options.endpoint.size();) {
      const size_t comma = std::min(options.endpoint.find(',', at), options.endpoint.size());
      c->socket_.connect(options.endpoint.substr(at, comma - at));
      at = comma + 1;
    }
  } catch (const zmq::error_t& e) {
    return InvalidArgument("config_invalid", "cannot connect to '" + options.endpoint + "': " + e.what());
  }
  // Ids start at a random point so replies meant for an earlier process
  // using the same key are never mistaken for ours.
  c->next_id_ = (static_cast<uint64_t>(randombytes_random()) << 20) + 1;
  return c;
}

StatusOr<uint64_t> Client::Post(pb::Request request, std::string_view data, bool has_data) {
  const uint64_t id = next_id_++;
  request.set_req_id(id);
  std::string head = Serialize(request);
  try {
    auto flags = has_data ? zmq::send_flags::sndmore : zmq::send_flags::none;
    if (!socket_.send(zmq::buffer(head), flags)) {
      return Status(Code::kUnavailable, "unavailable", "send timed out: " + options_.endpoint);
    }
    if (has_data && !socket_.send(zmq::buffer(data.data(), data.size()), zmq::send_flags::none)) {
      return Status(Code::kUnavailable, "unavailable", "send timed out: " + options_.endpoint);
    }
  } catch (const zmq::error_t& e) {
    return Status(Code::kUnavailable, "unavailable", e.what());
  }
  return id;
}

StatusOr<Reply> Client::Receive(int timeout_ms) {
  try {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms)) == 0) {
      return Status(Code::kDeadlineExceeded, "unavailable", "no answer from " + options_.endpoint);
    }
    std::vector<zmq::message_t> frames = RecvAll(socket_);
    Reply reply;
    if (frames.empty() || frames.size() > 2 ||
        !reply.response.ParseFromArray(frames[0].data(), static_cast<int>(frames[0].size()))) {
      return InvalidArgument("bad_request", "malformed reply from the broker");
    }
    if (frames.size() == 2) reply.data = frames[1].to_string();
    return reply;
  } catch (const zmq::error_t& e) {
    return Status(Code::kUnavailable, "unavailable", e.what());
  }
}

StatusOr<Reply> Client::Call(pb::Request request, const std::string& data) {
  const int64_t deadline = MonoMillis() + options_.deadline_ms;
  const bool has_data = !data.empty();
  Status last;  // the broker's last "unavailable", if it answered so
  while (true) {
    auto id = Post(request, data, has_data);
    if (id.ok()) {
      const int64_t attempt_end = std::min(deadline, MonoMillis() + options_.attempt_timeout_ms);
      while (true) {
        int64_t left = attempt_end - MonoMillis();
        if (left <= 0) break;
        auto reply = Receive(static_cast<int>(left));
        if (!reply.ok()) {
          if (reply.status().code() == Code::kDeadlineExceeded) break;
          return reply.status();
        }
        if (reply->response.req_id() != *id) continue;  // a late answer to an earlier attempt
        Status answered = StatusFromResponse(reply->response);
        if (answered.code() != Code::kUnavailable) {
          RETURN_IF_ERROR(answered);
          return reply;
        }
        // The broker cannot reach its store now (a database failing over):
        // ask again after a pause, until the deadline.
        last = std::move(answered);
        std::this_thread::sleep_for(
            std::chrono::milliseconds(std::clamp<int64_t>(deadline - MonoMillis(), 0, options_.unavailable_pause_ms)));
        break;
      }
    }
    if (MonoMillis() >= deadline) {
      if (!last.ok()) return last;
      return Status(Code::kUnavailable, "unavailable",
                    "no answer from the broker at " + options_.endpoint + " within " +
                        std::to_string(options_.deadline_ms / 1000) + "s");
    }
  }
}

bool ConnectableEndpoint(const std::string& endpoint) {
  const std::string scheme = "tcp://";
  for (size_t at = 0; at <= endpoint.size();) {
    const size_t comma = std::min(endpoint.find(',', at), endpoint.size());
    const std::string one = endpoint.substr(at, comma - at);
    at = comma + 1;
    const size_t colon = one.rfind(':');
    if (one.rfind(scheme, 0) != 0 || colon <= scheme.size() || colon + 1 >= one.size()) return false;
    const std::string host = one.substr(scheme.size(), colon - scheme.size());
    const std::string port = one.substr(colon + 1);
    if (host.find_first_of("[]:*") != std::string::npos || host.find_first_not_of("0.") == std::string::npos) {
      return false;  // IPv6, a wildcard, or 0.0.0.0 in any spelling
    }
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return false;
    const int number = std::stoi(port);
    if (number <= 0 || number >= 65536) return false;
  }
  return true;
}

}  // namespace tayori::wire
