#include "broker/heap_release.h"

#include <algorithm>

namespace tayori::broker {

void HeapRelease::Released(int64_t now_ms, uint64_t before, uint64_t after) {
  const uint64_t given_back = before - std::min(before, after);
  interval_ms_ = given_back < kLittleBytes ? std::min(2 * interval_ms_, kMaxIntervalMs) : kMinIntervalMs;
  next_ms_ = now_ms + interval_ms_;
}

}  // namespace tayori::broker
