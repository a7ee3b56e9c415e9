// Metrics: the broker's counters and gauges, and the HTTP endpoint that
// serves them in Prometheus text format (GET /metrics). Counters are
// updated by the serving thread and read by the HTTP thread; all methods
// are thread-safe. Owns the HTTP server thread.
#ifndef TAYORI_BROKER_METRICS_H_
#define TAYORI_BROKER_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"

namespace httplib {
class Server;
}

namespace tayori::broker {

class Metrics {
 public:
  Metrics();
  ~Metrics();

  // Starts serving on HOST:PORT (port 0: any). Returns the bound address.
  StatusOr<std::string> Serve(const std::string& host_port);

  void SendAccepted(uint64_t bytes, double commit_seconds);
  void Refused(const std::string& reason);
  void Downloaded(uint64_t bytes);
  void Expired(uint64_t bytes);
  void Purged(uint64_t n);
  // A connection cut for sending too much without finishing a request
  // (BacklogGuard).
  void ConnectionCut();
  // A connection refused: max_connections were open, or
  // max_connections_per_address from its address (PER_ADDRESS)
  // (BacklogGuard).
  void ConnectionRefused(bool per_address);
  void SetPending(int64_t messages, int64_t bytes);
  void AddPending(int64_t messages, int64_t bytes);
  // Where the broker's memory goes (Server, about once a second): the
  // store's parts (MailboxStore::MemoryUsage) and the C heap (port::HeapBytes;
  // both 0 if unknown).
  struct MemoryFigures {
    uint64_t memtables = 0, block_cache = 0, table_readers = 0;
    uint64_t heap_in_use = 0, heap_free = 0;
  };
  void SetMemory(const MemoryFigures& m);

  // The Prometheus text exposition.
  std::string Render() const;

 private:
  // Connections served at once; an idle one is dropped after a second.
  static constexpr size_t kHttpWorkers = 32;
  static constexpr std::array<double, 10> kBuckets = {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0};
  std::atomic<uint64_t> sends_{0}, send_bytes_{0}, downloads_{0}, download_bytes_{0};
  std::atomic<uint64_t> expiries_{0}, expired_bytes_{0}, purges_{0}, connections_cut_{0};
  std::atomic<uint64_t> connections_refused_{0};  // by max_connections
  std::atomic<uint64_t> connections_refused_per_address_{0};
  std::atomic<int64_t> pending_messages_{0}, pending_bytes_{0};
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> refusals_;                    // guarded by mu_
  std::array<uint64_t, kBuckets.size() + 1> commit_buckets_{};  // guarded by mu_
  MemoryFigures memory_;                                        // guarded by mu_
  double commit_sum_ = 0;                                       // guarded by mu_
  std::unique_ptr<httplib::Server> http_;
  std::thread http_thread_;
};

}  // namespace tayori::broker

#endif  // TAYORI_BROKER_METRICS_H_
