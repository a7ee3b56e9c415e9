#include "broker/backlog_guard.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <system_error>
#include <vector>

#include "broker/log.h"
#include "common/port/port.h"

namespace tayori::broker {
namespace {

// A connection holding less than this is left out of the total: it costs
// a look at its buffer, and cutting it would free little.
constexpr uint64_t kSmallBacklog = 1 << 20;
// Accounted for with each request taken, besides its own bytes: heartbeats
// and the handshake, which carry no request.
constexpr uint64_t kTakeAllowance = 4096;

}  // namespace

BacklogGuard::BacklogGuard(zmq::context_t* context, zmq::socket_t* socket, BacklogLimits limits, Metrics* metrics)
    : context_(context), socket_(socket), limits_(limits), metrics_(metrics) {
  char name[64];
  std::snprintf(name, sizeof name, "inproc://tayori-backlog-%p", static_cast<void*>(this));
  monitor_endpoint_ = name;
}

BacklogGuard::~BacklogGuard() {
  // Stop the events first: libzmq blocks on a monitor no one reads.
  if (monitoring_) zmq_socket_monitor(socket_->handle(), nullptr, 0);
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

Status BacklogGuard::Start() {
  if (zmq_socket_monitor(socket_->handle(), monitor_endpoint_.c_str(), ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED) !=
      0) {
    return Internal(std::string("cannot watch connections: ") + zmq_strerror(zmq_errno()));
  }
  monitoring_ = true;
  try {
    zmq::socket_t monitor(*context_, zmq::socket_type::pair);
    monitor.set(zmq::sockopt::linger, 0);
    monitor.set(zmq::sockopt::rcvhwm, 0);  // never hold libzmq's threads up
    monitor.connect(monitor_endpoint_);
    thread_ = std::thread([this, m = std::move(monitor)]() mutable { Loop(std::move(m)); });
  } catch (const zmq::error_t& e) {
    return Internal(std::string("cannot watch connections: ") + e.what());
  } catch (const std::system_error& e) {
    return Internal(std::string("cannot watch connections: ") + e.what());
  }
  return Status::Ok();
}

void BacklogGuard::TookRequest(int fd, uint64_t wire_bytes) {
  if (fd < 0) return;
  const std::optional<uint64_t> received = port::TcpBytesReceived(fd);
  if (!received) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = connections_.find(fd);
  if (it == connections_.end()) return;
  // Only what this request cost: the bytes of requests still waiting, and
  // of the one under way, stay in the backlog.
  it->second.mark = std::min(*received, it->second.mark + wire_bytes + kTakeAllowance);
}

void BacklogGuard::Loop(zmq::socket_t monitor) {
  auto next_scan = std::chrono::steady_clock::now();
  while (!stop_.load()) {
    zmq::pollitem_t item{monitor.handle(), 0, ZMQ_POLLIN, 0};
    try {
      zmq::poll(&item, 1, std::chrono::milliseconds(limits_.scan_ms));
      // An event is two frames: {uint16 event, uint32 value} and the endpoint.
      zmq::message_t head, address;
      while (monitor.recv(head, zmq::recv_flags::dontwait)) {
        if (head.more()) (void)monitor.recv(address);
        if (head.size() < 6) continue;
        uint16_t event = 0;
        uint32_t value = 0;
        std::memcpy(&event, head.data(), sizeof event);
        std::memcpy(&value, static_cast<const char*>(head.data()) + 2, sizeof value);
        OnEvent(event, static_cast<int>(value));
      }
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) return;
      if (e.num() != EINTR) Log("error", "backlog_monitor_failed", {{"detail", e.what()}});
    }
    if (std::chrono::steady_clock::now() >= next_scan) {
      Scan();
      next_scan = std::chrono::steady_clock::now() + std::chrono::milliseconds(limits_.scan_ms);
    }
  }
}

void BacklogGuard::OnEvent(uint16_t event, int fd) {
  if (event != ZMQ_EVENT_ACCEPTED) {
    std::lock_guard<std::mutex> lock(mu_);
    connections_.erase(fd);
    return;
  }
  const std::optional<uint64_t> received = port::TcpBytesReceived(fd);
  if (!received) {
    if (!unavailable_logged_) {
      Log("warn", "backlog_guard_unavailable",
          {{"detail", "this system does not count a socket's bytes; max_connection_backlog_bytes is not enforced"}});
    }
    unavailable_logged_ = true;
    return;
  }
  Connection c;
  c.mark = *received;
  c.peer = port::SocketPeer(fd);
  std::lock_guard<std::mutex> lock(mu_);
  connections_[fd] = std::move(c);
}

void BacklogGuard::Scan() {
  std::vector<std::pair<int, uint64_t>> marks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    marks.reserve(connections_.size());
    for (const auto& [fd, c] : connections_) marks.emplace_back(fd, c.mark);
  }
  std::vector<Backlog> large;
  uint64_t total = 0;
  for (const auto& [fd, mark] : marks) {
    const std::optional<uint64_t> received = port::TcpBytesReceived(fd);
    if (!received || *received <= mark + kSmallBacklog) continue;
    const uint64_t bytes = *received - mark;
    const uint64_t buffer = port::SocketReceiveBuffer(fd);
    if (bytes > limits_.limit + buffer) {
      Cut(fd, false);
      continue;
    }
    const uint64_t held = bytes > buffer ? bytes - buffer : 0;
    large.push_back({fd, bytes, held});
    total += held;
  }
  if (total <= limits_.total_limit) return;
  std::sort(large.begin(), large.end(), [](const Backlog& a, const Backlog& b) { return a.held > b.held; });
  for (const Backlog& b : large) {
    if (total <= limits_.total_limit) break;
    Cut(b.fd, true);
    total -= b.held;
  }
}

void BacklogGuard::Cut(int fd, bool total) {
  Connection c;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = connections_.find(fd);
    if (it == connections_.end()) return;
    c = it->second;
  }
  // Looked at again: a request taken meanwhile moves the mark, and the
  // descriptor may have been closed and reused.
  const std::optional<uint64_t> received = port::TcpBytesReceived(fd);
  if (!received || *received <= c.mark) return;
  const uint64_t bytes = *received - c.mark;
  const uint64_t buffer = port::SocketReceiveBuffer(fd);
  if (total ? bytes <= buffer : bytes <= limits_.limit + buffer) return;
  if (c.peer.empty() || port::SocketPeer(fd) != c.peer) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    connections_.erase(fd);
  }
  metrics_->ConnectionCut();
  Log("warn", "connection_cut",
      {{"peer", c.peer},
       {"backlog_bytes", bytes},
       {"limit", total ? "max_total_backlog_bytes" : "max_connection_backlog_bytes"},
       {"detail", total ? "connections together held more than the limit; this one held the most"
                        : "sent more than the limit without finishing a request"}});
  port::ShutdownSocket(fd);
}

}  // namespace tayori::broker
