#include "broker/backlog_guard.h"

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <optional>
#include <vector>

#include "broker/log.h"

#if defined(__linux__)
#include <arpa/inet.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#endif

namespace tayori::broker {
namespace {

#if defined(__linux__)
// Bytes the kernel has received on the TCP socket FD, or nothing if FD is
// not one (closed, reused for a file) or the kernel does not count them.
std::optional<uint64_t> BytesReceived(int fd) {
  struct tcp_info info {};
  socklen_t len = sizeof info;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return std::nullopt;
  if (len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof info.tcpi_bytes_received) return std::nullopt;
  return info.tcpi_bytes_received;
}

uint64_t ReceiveBuffer(int fd) {
  int size = 0;
  socklen_t len = sizeof size;
  if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, &len) != 0 || size < 0) return 0;
  return static_cast<uint64_t>(size);
}

// "address:port" of FD's peer; empty if it has none.
std::string PeerOf(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "";
  char host[INET6_ADDRSTRLEN] = {};
  int port = 0;
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    port = ntohs(a->sin6_port);
  } else {
    return "";
  }
  return std::string(host) + ":" + std::to_string(port);
}
#endif

}  // namespace

BacklogGuard::BacklogGuard(zmq::context_t* context, zmq::socket_t* socket, uint64_t limit, int scan_ms,
                           Metrics* metrics)
    : context_(context), socket_(socket), limit_(limit), scan_ms_(scan_ms), metrics_(metrics) {
  char name[64];
  std::snprintf(name, sizeof name, "inproc://tayori-backlog-%p", static_cast<void*>(this));
  monitor_endpoint_ = name;
}

BacklogGuard::~BacklogGuard() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

Status BacklogGuard::Start() {
#if defined(__linux__)
  const int events = ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CLOSED;
  if (zmq_socket_monitor(socket_->handle(), monitor_endpoint_.c_str(), events) != 0) {
    return Status(Code::kInternal, "internal", std::string("cannot monitor connections: ") + zmq_strerror(zmq_errno()));
  }
  try {
    zmq::socket_t monitor(*context_, zmq::socket_type::pair);
    monitor.set(zmq::sockopt::linger, 0);
    monitor.connect(monitor_endpoint_);
    thread_ = std::thread([this, m = std::move(monitor)]() mutable { Loop(std::move(m)); });
  } catch (const zmq::error_t& e) {
    return Status(Code::kInternal, "internal", std::string("cannot monitor connections: ") + e.what());
  }
#endif
  return Status::Ok();
}

void BacklogGuard::TookRequest(int fd) {
#if defined(__linux__)
  if (fd < 0) return;
  const std::optional<uint64_t> bytes = BytesReceived(fd);
  if (!bytes) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = connections_.find(fd);
  if (it != connections_.end()) it->second.mark = *bytes;
#else
  (void)fd;
#endif
}

void BacklogGuard::Loop(zmq::socket_t monitor) {
  auto next_scan = std::chrono::steady_clock::now();
  while (!stop_.load()) {
    zmq::pollitem_t item{monitor.handle(), 0, ZMQ_POLLIN, 0};
    try {
      zmq::poll(&item, 1, std::chrono::milliseconds(scan_ms_));
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
      next_scan = std::chrono::steady_clock::now() + std::chrono::milliseconds(scan_ms_);
    }
  }
}

void BacklogGuard::OnEvent(uint16_t event, int fd) {
#if defined(__linux__)
  if (event == ZMQ_EVENT_ACCEPTED) {
    Connection c;
    c.mark = BytesReceived(fd).value_or(0);
    c.peer = PeerOf(fd);
    std::lock_guard<std::mutex> lock(mu_);
    connections_[fd] = c;
  } else {
    std::lock_guard<std::mutex> lock(mu_);
    connections_.erase(fd);
  }
#else
  (void)event, (void)fd;
#endif
}

void BacklogGuard::Scan() {
#if defined(__linux__)
  std::vector<std::pair<int, Connection>> snapshot;
  {
    std::lock_guard<std::mutex> lock(mu_);
    snapshot.assign(connections_.begin(), connections_.end());
  }
  for (const auto& [fd, c] : snapshot) {
    const std::optional<uint64_t> bytes = BytesReceived(fd);
    if (!bytes || *bytes <= c.mark || *bytes - c.mark <= limit_) continue;
    const uint64_t backlog = *bytes - c.mark;
    // What sits in the kernel's buffer is not the broker's memory.
    if (backlog <= limit_ + ReceiveBuffer(fd)) continue;
    // The descriptor may have been closed and reused since the snapshot.
    if (c.peer.empty() || PeerOf(fd) != c.peer) continue;
    shutdown(fd, SHUT_RDWR);
    {
      std::lock_guard<std::mutex> lock(mu_);
      connections_.erase(fd);
    }
    metrics_->ConnectionCut();
    Log("warn", "connection_cut",
        {{"peer", c.peer},
         {"backlog_bytes", backlog},
         {"detail", "sent more than max_connection_backlog_bytes without finishing a request"}});
  }
#endif
}

}  // namespace tayori::broker
