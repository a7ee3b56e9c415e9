// HeapRelease: when the broker hands the heap's free pages back to the
// system. A burst of requests can leave the heap keeping far more free than
// the broker needs again soon (README, Benchmark: a burst before the soak).
// A release walks every free block (tens of ms for a few hundred MiB), so it
// is due only when the heap keeps much free and what is resident exceeds
// the heap in use by as much (code, stacks and mapped files are some tens
// of MiB), at most once a minute, and less often, up to once an hour, while
// each release gives back little. Plain arithmetic on the figures it is
// given; the Server's serving thread owns one and calls it from
// SampleMemory.
#ifndef TAYORI_BROKER_HEAP_RELEASE_H_
#define TAYORI_BROKER_HEAP_RELEASE_H_

#include <cstdint>

namespace tayori::broker {

class HeapRelease {
 public:
  // Free heap and resident excess above which a release is worth its walk.
  static constexpr uint64_t kWorthBytes = uint64_t{64} << 20;
  // A release giving back less than this doubles the interval.
  static constexpr uint64_t kLittleBytes = kWorthBytes / 4;
  static constexpr int64_t kMinIntervalMs = 60 * 1000;
  static constexpr int64_t kMaxIntervalMs = 60 * kMinIntervalMs;

  // Whether the heap keeps enough free at NOW_MS (monotonic) for a release
  // to be considered. 0 bytes in use means the heap could not be measured.
  bool Wanted(int64_t now_ms, uint64_t heap_in_use, uint64_t heap_free) const {
    return now_ms >= next_ms_ && heap_in_use > 0 && heap_free > kWorthBytes;
  }
  // Wanted, and RESIDENT exceeds the heap in use by enough: release now.
  bool Due(int64_t now_ms, uint64_t heap_in_use, uint64_t heap_free, uint64_t resident) const {
    return Wanted(now_ms, heap_in_use, heap_free) && resident > heap_in_use + kWorthBytes;
  }
  // A release at NOW_MS took the resident bytes from BEFORE to AFTER: sets
  // when the next may be due.
  void Released(int64_t now_ms, uint64_t before, uint64_t after);

  int64_t interval_ms() const { return interval_ms_; }

 private:
  int64_t next_ms_ = 0;
  int64_t interval_ms_ = kMinIntervalMs;
};

}  // namespace tayori::broker

#endif  // TAYORI_BROKER_HEAP_RELEASE_H_
