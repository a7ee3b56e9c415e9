// Sweeper: retention. Walks the store's expiry index in bounded batches:
// a message never downloaded expires (payload deleted, the sender told),
// and what is at the end of its time, or an upload never committed, is
// purged. Keeps a cursor so a sweep never re-walks its own tombstones.
//
// Borrows the ServerContext, which must outlive it; serving thread only.
#ifndef TAYORI_BROKER_SWEEPER_H_
#define TAYORI_BROKER_SWEEPER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "broker/context.h"
#include "common/status.h"

namespace tayori::broker {

struct SweepCounts {
  uint64_t expired = 0;
  uint64_t purged = 0;
};

class Sweeper {
 public:
  // Messages handled per turn of the serving loop: small, so a request
  // waits for at most one batch however much is due.
  static constexpr size_t kBatch = 100;

  explicit Sweeper(ServerContext* ctx) : ctx_(ctx) {}

  // One batch if a sweep is due (every sweep_interval, by the injected
  // clock; at once again while batches come back full).
  void RunIfDue();
  // One pass over at most LIMIT due messages.
  StatusOr<SweepCounts> SweepOnce(size_t limit);
  // Sweeps until nothing is due (tayori-admin sweep).
  StatusOr<SweepCounts> SweepAll();

 private:
  ServerContext* const ctx_;
  int64_t next_sweep_ = 0;
  std::string cursor_;  // where the sweep in progress has got to
};

}  // namespace tayori::broker

#endif  // TAYORI_BROKER_SWEEPER_H_
