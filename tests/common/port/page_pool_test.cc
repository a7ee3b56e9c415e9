#include "common/port/page_pool.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

namespace tayori::port {
namespace {

constexpr size_t kMiB = size_t{1} << 20;

class PagePoolTest : public ::testing::Test {
 protected:
  void SetUp() override { DrainPagePool(); }
  void TearDown() override { DrainPagePool(); }
  PagePoolHold hold_;  // the bulk's, in these tests
};

TEST_F(PagePoolTest, TheNextFileOfAboutTheSameSizeGetsTheSamePages) {
  const char* first = nullptr;
  {
    PooledPages a(10 * kMiB + 170);
    ASSERT_GE(a.size(), 10 * kMiB + 170);
    std::memset(a.data(), 'x', a.size());
    first = a.data();
  }
  EXPECT_EQ(PagePoolBuffers(), 1u);
  PooledPages b(10 * kMiB + 4000);
  EXPECT_EQ(b.data(), first);
  EXPECT_EQ(PagePoolBuffers(), 0u);
}

TEST_F(PagePoolTest, ASmallBufferDoesNotTakeALargeOne) {
  const char* large = nullptr;
  {
    PooledPages a(8 * kMiB);
    large = a.data();
  }
  PooledPages small(100 * 1024);
  ASSERT_GE(small.size(), 100u * 1024);
  EXPECT_NE(small.data(), large);
  EXPECT_EQ(PagePoolBytes(), 8 * kMiB);
}

TEST_F(PagePoolTest, KeepsTheTwoLargestAndNoMore) {
  { PooledPages a(1 * kMiB), b(3 * kMiB), c(2 * kMiB); }
  EXPECT_EQ(PagePoolBuffers(), 2u);
  EXPECT_EQ(PagePoolBytes(), 5 * kMiB);
  { PooledPages d(kMiB / 2); }
  EXPECT_EQ(PagePoolBytes(), 5 * kMiB);
  DrainPagePool();
  EXPECT_EQ(PagePoolBuffers(), 0u);
}

TEST_F(PagePoolTest, MovesAndEmptyBuffersGiveBackOnce) {
  PooledPages none(0);
  EXPECT_EQ(none.size(), 0u);
  PooledPages a(2 * kMiB);
  const char* pages = a.data();
  PooledPages b(std::move(a));
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(b.data(), pages);
  PooledPages c(kMiB);
  c = std::move(b);  // c's own MiB goes back; c now holds the 2 MiB
  EXPECT_EQ(c.data(), pages);
  EXPECT_EQ(PagePoolBytes(), kMiB);
}

TEST(PagePoolHoldTest, KeepsNothingWithoutAHoldAndFreesWhenTheLastHoldGoes) {
  DrainPagePool();
  { PooledPages a(2 * kMiB); }
  EXPECT_EQ(PagePoolBuffers(), 0u);  // a single send's buffers are freed at once
  {
    PagePoolHold outer;
    {
      PagePoolHold inner;
      { PooledPages a(2 * kMiB); }
    }
    EXPECT_EQ(PagePoolBytes(), 2 * kMiB);  // another hold is still alive
  }
  EXPECT_EQ(PagePoolBuffers(), 0u);
}

TEST_F(PagePoolTest, AnImpossibleSizeGetsNoBuffer) {
  PooledPages p(SIZE_MAX - 10);
  EXPECT_EQ(p.size(), 0u);
  EXPECT_EQ(p.data(), nullptr);
}

TEST_F(PagePoolTest, ThreadsShareItSafely) {
  auto work = [] {
    for (int i = 0; i < 500; ++i) {
      PooledPages p(kMiB + static_cast<size_t>(i % 7) * 4096);
      ASSERT_GE(p.size(), kMiB);
      p.data()[0] = 'a';
      p.data()[p.size() - 1] = 'z';
    }
  };
  std::thread t(work);
  work();
  t.join();
  EXPECT_LE(PagePoolBuffers(), 2u);
}

}  // namespace
}  // namespace tayori::port
