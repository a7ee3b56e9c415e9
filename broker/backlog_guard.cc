#include "broker/backlog_guard.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <system_error>
#include <tuple>
#include <vector>

#include "broker/log.h"
#include "common/port/port.h"

namespace tayori::broker {
namespace {

// Accounted for with each request taken, besides its own bytes: the
// handshake and what else carries no request.
constexpr uint64_t kTakeAllowance = 4096;
// Accounted for every second: heartbeats both ways (about 40 bytes a second
// arrive on an idle connection).
constexpr uint64_t kIdleBytesPerSecond = 256;
// Below this a connection's received bytes are counted as held without
// asking the kernel what it still holds unread.
constexpr uint64_t kSmallBacklog = 64 << 10;
// Over the total, only connections holding at least this are cut: more than
// an idle connection's handshake and heartbeats.
constexpr uint64_t kCutFloor = 4 << 10;

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
  port::CloseDescriptor(slot_);
  port::CloseDescriptor(parked_);
}

Status BacklogGuard::Start() {
  if (!port::TcpByteCountsAvailable()) {
    Log("warn", "backlog_guard_unavailable",
        {{"detail",
          "this system does not count a socket's bytes; max_connection_backlog_bytes, max_total_backlog_bytes, "
          "max_connections and max_connections_per_address are not enforced"}});
    return Status::Ok();
  }
  slot_ = port::OpenSpareDescriptor();
  parked_ = port::OpenSpareDescriptor();
  if (slot_ < 0 || parked_ < 0) return Internal("cannot open the descriptors a cut needs");
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
  it->second.last_take = std::chrono::steady_clock::now();
}

void BacklogGuard::Loop(zmq::socket_t monitor) {
  auto next_scan = std::chrono::steady_clock::now();
  while (!stop_.load()) {
    zmq::pollitem_t item{monitor.handle(), 0, ZMQ_POLLIN, 0};
    try {
      zmq::poll(&item, 1, std::chrono::milliseconds(limits_.scan_ms));
      // An event is two frames: {uint16 event, uint32 value} and the endpoint.
      zmq::message_t head;
      while (monitor.recv(head, zmq::recv_flags::dontwait)) {
        zmq::message_t address;
        if (head.more()) (void)monitor.recv(address);
        if (head.size() < 6) continue;
        uint16_t event = 0;
        uint32_t value = 0;
        std::memcpy(&event, head.data(), sizeof event);
        std::memcpy(&value, static_cast<const char*>(head.data()) + 2, sizeof value);
        OnEvent(event, static_cast<int>(value), address.to_string_view());
      }
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) return;
      if (e.num() != EINTR) {
        if (last_error_ != e.what()) Log("error", "backlog_monitor_failed", {{"detail", e.what()}});
        last_error_ = e.what();
        std::this_thread::sleep_for(std::chrono::milliseconds(limits_.scan_ms));
      }
    }
    if (std::chrono::steady_clock::now() >= next_scan) {
      Scan();
      LogRefused();
      next_scan = std::chrono::steady_clock::now() + std::chrono::milliseconds(limits_.scan_ms);
    }
  }
}

void BacklogGuard::OnEvent(uint16_t event, int fd, std::string_view endpoint) {
  if (event != ZMQ_EVENT_ACCEPTED) {
    std::lock_guard<std::mutex> lock(mu_);
    ForgetLocked(fd);
    return;
  }
  // Gone already (a quick connect and close): nothing to watch. Gone, and
  // the descriptor reused by another socket of the broker's (admin,
  // metrics, the store's) before the event was read: not this listener's.
  const std::optional<uint64_t> received = port::TcpBytesReceived(fd);
  if (!received) return;
  // (An event without its address is taken as this listener's.)
  const size_t colon = endpoint.rfind(':');
  if (colon != std::string_view::npos && std::to_string(port::SocketLocalPort(fd)) != endpoint.substr(colon + 1)) {
    return;
  }
  Connection c;
  c.mark = *received;
  c.peer = port::SocketPeer(fd);
  c.network = port::PeerNetwork(c.peer);
  c.last_take = std::chrono::steady_clock::now();
  bool per_address = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // An entry for FD already is a connection whose drop was seen before
    // its own ACCEPTED (libzmq may send them in that order): this one
    // takes its place.
    ForgetLocked(fd);
    // (A peer without an address has gone already, and is not counted.)
    auto from = c.network.empty() ? per_network_.end() : per_network_.find(c.network);
    const bool full = connections_.size() >= limits_.max_connections;
    per_address = !full && from != per_network_.end() && from->second >= limits_.max_connections_per_address;
    if (!full && !per_address) {
      if (!c.network.empty()) ++per_network_[c.network];
      connections_[fd] = c;
      return;
    }
  }
  Refuse(fd, c.peer, per_address);
}

void BacklogGuard::ForgetLocked(int fd) {
  auto it = connections_.find(fd);
  if (it == connections_.end()) return;
  auto from = it->second.network.empty() ? per_network_.end() : per_network_.find(it->second.network);
  if (from != per_network_.end() && --from->second == 0) per_network_.erase(from);
  connections_.erase(it);
}

void BacklogGuard::Refuse(int fd, const std::string& peer, bool per_address) {
  if (!port::ShutdownSocket(fd, peer, slot_, parked_)) return;
  metrics_->ConnectionRefused(per_address);
  ++refused_unlogged_[per_address ? 1 : 0];
  refused_last_peer_ = peer;
  LogRefused();
}

void BacklogGuard::LogRefused() {
  // Under a flood, one line every ten seconds at most, with the count.
  const auto now = std::chrono::steady_clock::now();
  const uint64_t refused = refused_unlogged_[0] + refused_unlogged_[1];
  if (refused == 0 || now - refused_logged_ < std::chrono::seconds(10)) return;
  nlohmann::json fields = {{"refused", refused},
                           {"last_peer", refused_last_peer_},
                           {"max_connections", limits_.max_connections},
                           {"max_connections_per_address", limits_.max_connections_per_address}};
  // By the limit that refused them, those there were.
  if (refused_unlogged_[0] != 0) fields["refused_max_connections"] = refused_unlogged_[0];
  if (refused_unlogged_[1] != 0) fields["refused_max_connections_per_address"] = refused_unlogged_[1];
  Log("warn", "connections_refused", std::move(fields));
  refused_unlogged_[0] = refused_unlogged_[1] = 0;
  refused_logged_ = now;
}

uint64_t BacklogGuard::HeldBy(int fd, uint64_t received, uint64_t mark) {
  if (received <= mark) return 0;
  const uint64_t beyond = received - mark;
  if (beyond <= kSmallBacklog) return beyond;
  const uint64_t unread = port::SocketUnread(fd);
  return beyond > unread ? beyond - unread : 0;
}

void BacklogGuard::Scan() {
  const auto now = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(now - last_scan_).count();
  last_scan_ = now;
  credit_carry_ += std::min(seconds, 3600.0) * kIdleBytesPerSecond;
  const uint64_t idle_credit = static_cast<uint64_t>(credit_carry_);
  credit_carry_ -= static_cast<double>(idle_credit);
  std::vector<std::tuple<int, uint64_t, std::chrono::steady_clock::time_point>> seen;  // fd, mark, last take
  {
    std::lock_guard<std::mutex> lock(mu_);
    seen.reserve(connections_.size());
    for (const auto& [fd, c] : connections_) seen.emplace_back(fd, c.mark, c.last_take);
  }
  std::vector<Held> held;
  uint64_t total = 0;
  for (const auto& [fd, seen_mark, last_take] : seen) {
    uint64_t mark = seen_mark;
    const std::optional<uint64_t> received = port::TcpBytesReceived(fd);
    if (!received) continue;
    // Heartbeats' credit, never beyond what was received.
    if (mark < *received) {
      mark = std::min(*received, mark + idle_credit);
      std::lock_guard<std::mutex> lock(mu_);
      auto it = connections_.find(fd);
      if (it != connections_.end()) it->second.mark = std::max(it->second.mark, mark);
    }
    const uint64_t bytes = HeldBy(fd, *received, mark);
    if (bytes == 0) continue;
    if (bytes > limits_.limit && Cut(fd, limits_.limit, "max_connection_backlog_bytes")) continue;
    held.push_back({fd, bytes, last_take});
    total += bytes;
  }
  if (total <= limits_.total_limit) return;
  // A peer that has had no request taken for longest is cut first.
  std::sort(held.begin(), held.end(), [](const Held& a, const Held& b) {
    return a.last_take != b.last_take ? a.last_take < b.last_take : a.bytes > b.bytes;
  });
  for (const Held& h : held) {
    if (total <= limits_.total_limit) return;
    if (h.bytes >= kCutFloor && Cut(h.fd, kCutFloor - 1, "max_total_backlog_bytes")) total -= h.bytes;
  }
}

bool BacklogGuard::Cut(int fd, uint64_t over, const char* limit) {
  // Looked at again, the kernel's count before the mark: a request taken
  // meanwhile moves the mark, and errs towards leaving the connection be.
  const std::optional<uint64_t> received = port::TcpBytesReceived(fd);
  if (!received) return false;
  Connection c;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = connections_.find(fd);
    if (it == connections_.end()) return false;
    c = it->second;
  }
  const uint64_t bytes = HeldBy(fd, *received, c.mark);
  if (bytes <= over) return false;
  if (!port::ShutdownSocket(fd, c.peer, slot_, parked_)) return false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ForgetLocked(fd);
  }
  metrics_->ConnectionCut();
  Log("warn", "connection_cut",
      {{"peer", c.peer},
       {"held_bytes", bytes},
       {"limit", limit},
       {"detail", "held more than the limit with a request it had not finished"}});
  return true;
}

}  // namespace tayori::broker
