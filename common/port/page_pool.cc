#include "common/port/page_pool.h"

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

namespace tayori::port {
namespace {

constexpr size_t kKept = 2;
constexpr size_t kPage = 4096;
constexpr size_t kMiB = size_t{1} << 20;

// Sizes are rounded up so that files of nearly the same size share buffers:
// to a page below a MiB, to a MiB above it.
size_t Rounded(size_t bytes) {
  const size_t unit = bytes < kMiB ? kPage : kMiB;
  if (bytes > SIZE_MAX - unit) return bytes;  // no such memory: the allocation fails
  return (bytes + unit - 1) / unit * unit;
}

struct Pool {
  Pool() { kept.reserve(kKept); }  // giving back never allocates
  std::mutex mu;
  int holds = 0;
  std::vector<PageBuffer> kept;  // at most kKept; empty while holds is 0
};

Pool& ThePool() {
  static Pool* pool = new Pool();  // never destroyed: buffers may be given back during exit
  return *pool;
}

// A kept buffer of at least BYTES that BYTES fill at least half of, or an
// empty one.
PageBuffer TakeKept(size_t bytes) {
  Pool& pool = ThePool();
  std::lock_guard<std::mutex> lock(pool.mu);
  auto best = pool.kept.end();
  for (auto it = pool.kept.begin(); it != pool.kept.end(); ++it) {
    if (it->size() >= bytes && it->size() / 2 <= bytes && (best == pool.kept.end() || it->size() < best->size())) {
      best = it;
    }
  }
  if (best == pool.kept.end()) return PageBuffer();
  PageBuffer out = std::move(*best);
  pool.kept.erase(best);
  return out;
}

void GiveBack(PageBuffer pages) {
  if (pages.size() == 0) return;
  Pool& pool = ThePool();
  std::lock_guard<std::mutex> lock(pool.mu);
  if (pool.holds == 0) return;  // PAGES is freed here
  if (pool.kept.size() < kKept) {
    pool.kept.push_back(std::move(pages));
    return;
  }
  auto smallest = std::min_element(pool.kept.begin(), pool.kept.end(),
                                   [](const PageBuffer& a, const PageBuffer& b) { return a.size() < b.size(); });
  if (smallest->size() < pages.size()) std::swap(*smallest, pages);
  // PAGES (the smaller) is freed here.
}

}  // namespace

PooledPages::PooledPages(size_t bytes) {
  if (bytes == 0) return;
  pages_ = TakeKept(bytes);
  if (pages_.size() == 0) pages_ = PageBuffer(Rounded(bytes));
}

PooledPages::~PooledPages() { GiveBack(std::move(pages_)); }

PooledPages& PooledPages::operator=(PooledPages&& o) noexcept {
  if (this != &o) {
    GiveBack(std::move(pages_));
    pages_ = std::move(o.pages_);
  }
  return *this;
}

PagePoolHold::PagePoolHold() {
  Pool& pool = ThePool();
  std::lock_guard<std::mutex> lock(pool.mu);
  ++pool.holds;
}

PagePoolHold::~PagePoolHold() {
  Pool& pool = ThePool();
  std::lock_guard<std::mutex> lock(pool.mu);
  if (--pool.holds == 0) pool.kept.clear();
}

void DrainPagePool() {
  Pool& pool = ThePool();
  std::lock_guard<std::mutex> lock(pool.mu);
  pool.kept.clear();  // keeps the capacity
}

size_t PagePoolBuffers() {
  Pool& pool = ThePool();
  std::lock_guard<std::mutex> lock(pool.mu);
  return pool.kept.size();
}

size_t PagePoolBytes() {
  Pool& pool = ThePool();
  std::lock_guard<std::mutex> lock(pool.mu);
  size_t n = 0;
  for (const auto& p : pool.kept) n += p.size();
  return n;
}

}  // namespace tayori::port
