// BacklogGuard: bounds what one connection can make the broker hold before
// its request is whole.
//
// libzmq hands a multipart message to the broker only once its last frame
// has arrived, and holds every frame before that in memory: a peer that
// sends frame after frame (each under maxmsgsize) and never the last grows
// the broker without limit, before any request is read or authorised. The
// guard watches, for each connection of one ROUTER socket, the bytes the
// kernel has received on it (TCP_INFO) beyond what it had received when the
// broker last took a whole request from it. A connection more than `limit`
// bytes (plus its socket's receive buffer) past that point is cut: its
// socket is shut down, libzmq drops the connection and frees the partial
// message. A well-behaved peer is never near it: the socket's receive
// high-water mark holds it to a few whole requests.
//
// Owns one thread and a libzmq monitor of the socket (connections accepted
// and closed). Linux only (TCP_INFO); elsewhere Start() does nothing.
#ifndef TAYORI_BROKER_BACKLOG_GUARD_H_
#define TAYORI_BROKER_BACKLOG_GUARD_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "broker/metrics.h"
#include "common/status.h"

namespace tayori::broker {

class BacklogGuard {
 public:
  // Watches SOCKET (a bound ROUTER of CONTEXT). Cuts a connection more than
  // LIMIT bytes past its last whole request; looks every SCAN_MS.
  BacklogGuard(zmq::context_t* context, zmq::socket_t* socket, uint64_t limit, int scan_ms, Metrics* metrics);
  ~BacklogGuard();  // stops the thread
  BacklogGuard(const BacklogGuard&) = delete;
  BacklogGuard& operator=(const BacklogGuard&) = delete;

  // Starts the monitor and the thread. Called from the thread that owns
  // SOCKET, before it serves.
  Status Start();

  // The socket's owner took a whole request that arrived on connection FD
  // (the message's "__fd" property). Thread-safe.
  void TookRequest(int fd);

 private:
  struct Connection {
    uint64_t mark = 0;  // bytes received when the last whole request was taken
    std::string peer;   // address, to tell a reused descriptor from this one
  };

  void Loop(zmq::socket_t monitor);
  void OnEvent(uint16_t event, int fd);
  void Scan();

  zmq::context_t* context_;
  zmq::socket_t* socket_;
  const uint64_t limit_;
  const int scan_ms_;
  Metrics* metrics_;
  std::string monitor_endpoint_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::map<int, Connection> connections_;  // guarded by mu_
};

}  // namespace tayori::broker

#endif  // TAYORI_BROKER_BACKLOG_GUARD_H_
