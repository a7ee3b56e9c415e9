// When the broker hands free heap back to the system (broker/heap_release.h).
#include "broker/heap_release.h"

#include <gtest/gtest.h>

#include <vector>

namespace tayori::broker {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr int64_t kMinute = HeapRelease::kMinIntervalMs;

TEST(HeapReleaseTest, DueOnlyWhenMuchIsFreeAndResidentExceedsTheHeapInUse) {
  HeapRelease r;
  // After a burst: 150 MiB in use, 130 MiB free, 250 MiB resident.
  EXPECT_TRUE(r.Due(0, 150 * kMiB, 130 * kMiB, 250 * kMiB));
  // Little free: nothing worth the walk.
  EXPECT_FALSE(r.Wanted(0, 150 * kMiB, 64 * kMiB));
  EXPECT_FALSE(r.Due(0, 150 * kMiB, 64 * kMiB, 250 * kMiB));
  // Much free, but the free pages are not resident (already given back).
  EXPECT_TRUE(r.Wanted(0, 150 * kMiB, 130 * kMiB));
  EXPECT_FALSE(r.Due(0, 150 * kMiB, 130 * kMiB, 214 * kMiB));
  // The heap could not be measured.
  EXPECT_FALSE(r.Due(0, 0, 130 * kMiB, 250 * kMiB));
}

TEST(HeapReleaseTest, AtMostOnceAMinute) {
  HeapRelease r;
  ASSERT_TRUE(r.Due(1000, 150 * kMiB, 130 * kMiB, 250 * kMiB));
  r.Released(1000, 250 * kMiB, 150 * kMiB);  // gave back 100 MiB
  EXPECT_EQ(r.interval_ms(), kMinute);
  EXPECT_FALSE(r.Due(1000 + kMinute - 1, 150 * kMiB, 130 * kMiB, 250 * kMiB));
  EXPECT_TRUE(r.Due(1000 + kMinute, 150 * kMiB, 130 * kMiB, 250 * kMiB));
}

TEST(HeapReleaseTest, BacksOffToHourlyWhileItGivesBackLittleAndRecovers) {
  HeapRelease r;
  int64_t now = 0;
  std::vector<int64_t> intervals;
  for (int i = 0; i < 8; ++i) {
    r.Released(now, 250 * kMiB, 245 * kMiB);  // 5 MiB: little
    intervals.push_back(r.interval_ms());
    EXPECT_FALSE(r.Due(now + r.interval_ms() - 1, 150 * kMiB, 130 * kMiB, 250 * kMiB));
    now += r.interval_ms();
    EXPECT_TRUE(r.Due(now, 150 * kMiB, 130 * kMiB, 250 * kMiB));
  }
  EXPECT_EQ(intervals, (std::vector<int64_t>{2 * kMinute, 4 * kMinute, 8 * kMinute, 16 * kMinute, 32 * kMinute,
                                             60 * kMinute, 60 * kMinute, 60 * kMinute}));
  // A release that gives back much again: once a minute again.
  r.Released(now, 250 * kMiB, 180 * kMiB);
  EXPECT_EQ(r.interval_ms(), kMinute);
  // Exactly a quarter of the 64 MiB is not little.
  r.Released(now, 250 * kMiB, 250 * kMiB - HeapRelease::kLittleBytes);
  EXPECT_EQ(r.interval_ms(), kMinute);
  r.Released(now, 250 * kMiB, 250 * kMiB - HeapRelease::kLittleBytes + 1);
  EXPECT_EQ(r.interval_ms(), 2 * kMinute);
  // Resident grew during the release: counts as nothing given back.
  r.Released(now, 200 * kMiB, 210 * kMiB);
  EXPECT_EQ(r.interval_ms(), 4 * kMinute);
}

}  // namespace
}  // namespace tayori::broker
