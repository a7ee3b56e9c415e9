// BacklogGuard: bounds what connections can make the broker hold before
// their requests are whole.
//
// libzmq hands a multipart message to the broker only once its last frame
// has arrived, and holds every frame before that in memory: a peer that
// sends frame after frame (each under maxmsgsize) and never the last grows
// the broker without limit, before any request is read or authorised. The
// guard keeps, for each connection of one ROUTER socket, a mark: the bytes
// on the wire the broker has accounted for, advanced by the wire size of
// each whole request it takes and by 256 bytes a second for heartbeats.
// What the kernel has received on the connection (TCP_INFO) beyond the mark
// and beyond what still waits unread in the kernel is what the connection
// makes the broker hold: requests waiting and the one under way. A
// connection is cut (its socket shut down; libzmq drops it and frees the
// partial message) when
//   - it holds more than `limit`, or
//   - all connections together hold more than `total_limit`: of those
//     holding at least 4 KiB (more than an idle connection's handshake and
//     heartbeats), the ones that have gone longest without a request taken
//     are cut first, until they no longer do.
// It also bounds the number of connections: one accepted while
// `max_connections` are open, or while `max_connections_per_address` are
// open from the same address (port::AddressNetwork), is shut down at once
// (each costs a descriptor and buffers; a flood of them must not leave the
// broker without descriptors for its own files, nor one address hold every
// place).
//
// The guard looks every `scan_ms`, so a peer may overshoot by what it can
// send in that time. A well-behaved peer stays far below: the socket's
// receive high-water mark holds it to a few whole requests.
//
// Owns one thread, a libzmq monitor of the socket (connections accepted
// and dropped), and the table of open connections with their count by
// address. The context, the socket and the metrics must outlive the
// guard; the owner of the socket calls Start() once, before the socket
// binds, and destroys the guard before closing the socket. Where the system
// does not count a socket's bytes (port::TcpByteCountsAvailable), Start()
// logs so and the guard does nothing.
#ifndef TAYORI_BROKER_BACKLOG_GUARD_H_
#define TAYORI_BROKER_BACKLOG_GUARD_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <zmq.hpp>

#include "broker/metrics.h"
#include "common/status.h"

namespace tayori::broker {

struct BacklogLimits {
  uint64_t limit = 64ull << 20;                 // what one connection may make the broker hold
  uint64_t total_limit = 1ull << 30;            // what all may, together
  int scan_ms = 50;                             // how often the connections are looked at
  uint64_t max_connections = 20000;             // open at once; one more is refused
  uint64_t max_connections_per_address = 1000;  // the same, from one address
};

class BacklogGuard {
 public:
  BacklogGuard(zmq::context_t* context, zmq::socket_t* socket, BacklogLimits limits, Metrics* metrics);
  ~BacklogGuard();  // stops the monitor (owner's thread) and the thread
  BacklogGuard(const BacklogGuard&) = delete;
  BacklogGuard& operator=(const BacklogGuard&) = delete;

  // Starts the monitor and the thread.
  Status Start();

  // The socket's owner took a whole request of WIRE_BYTES (the sum of
  // WireBytes of its frames) that came over connection FD (the message's
  // "__fd" property). Thread-safe.
  void TookRequest(int fd, uint64_t wire_bytes);

  // Bytes on the wire of a frame of PAYLOAD bytes: the CURVE message command
  // ("\x07MESSAGE", nonce, tag, flags: 33 bytes) in a ZMTP frame header.
  static uint64_t WireBytes(uint64_t payload) {
    const uint64_t command = payload + 33;
    return command + (command > 255 ? 9 : 2);
  }

 private:
  struct Connection {
    uint64_t mark = 0;                                // bytes accounted for
    std::string peer;                                 // address, to tell a reused descriptor from this one
    std::string network;                              // what per-address counts go by (port::PeerNetwork)
    std::chrono::steady_clock::time_point last_take;  // of a request, or accepted
  };
  struct Held {
    int fd;
    uint64_t bytes;  // received beyond the mark and read from the kernel
    std::chrono::steady_clock::time_point last_take;
  };

  void Loop(zmq::socket_t monitor);
  // An event of the monitor: EVENT on connection FD of the listener bound
  // at ENDPOINT.
  void OnEvent(uint16_t event, int fd, std::string_view endpoint);
  // Shuts FD (just accepted, from PEER) down: max_connections are open, or
  // max_connections_per_address from its address (PER_ADDRESS).
  void Refuse(int fd, const std::string& peer, bool per_address);
  // Forgets connection FD (mu_ held).
  void ForgetLocked(int fd);
  // Logs the connections refused since the last line, at most every 10 s.
  void LogRefused();
  void Scan();
  // What connection FD, with RECEIVED bytes received, makes the broker hold
  // beyond MARK.
  static uint64_t HeldBy(int fd, uint64_t received, uint64_t mark);
  // Cuts FD if it is still the connection seen and, looked at again, holds
  // more than OVER bytes; LIMIT names the limit for the log. True if cut.
  bool Cut(int fd, uint64_t over, const char* limit);

  zmq::context_t* context_;
  zmq::socket_t* socket_;
  const BacklogLimits limits_;
  Metrics* metrics_;
  std::string monitor_endpoint_;
  bool monitoring_ = false;
  // The thread's:
  std::chrono::steady_clock::time_point last_scan_ = std::chrono::steady_clock::now();
  double credit_carry_ = 0;  // heartbeat credit short of a whole byte
  std::string last_error_;   // of the monitor, logged once
  std::string refused_last_peer_;
  // Connections refused since the last log line: by max_connections, and
  // by max_connections_per_address.
  uint64_t refused_unlogged_[2] = {0, 0};
  std::chrono::steady_clock::time_point refused_logged_{};
  // Spare descriptors for port::ShutdownSocket (Start() to the destructor).
  int slot_ = -1, parked_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::map<int, Connection> connections_;        // guarded by mu_
  std::map<std::string, uint64_t> per_network_;  // connections_ by network; guarded by mu_
};

}  // namespace tayori::broker

#endif  // TAYORI_BROKER_BACKLOG_GUARD_H_
