// PagePool: buffers of pages kept for reuse, so that one file after another
// (a bulk's checks and sealed files, each up to the send limit) does not map,
// fault in and zero fresh pages every time: the kernel zeroes each new page,
// which cost the agent a fifth of its CPU on a bulk of PDFs.
//
// The pool keeps buffers only while a PagePoolHold is alive (a bulk's checks,
// a bulk's sends), at most two, the largest given back: the memory a process
// holds past its buffers in use is bounded by two of them, and none once the
// work is done (kept buffers hold the last files' plaintext). Thread-safe;
// one pool per process.
#ifndef TAYORI_COMMON_PORT_PAGE_POOL_H_
#define TAYORI_COMMON_PORT_PAGE_POOL_H_

#include <cstddef>

#include "common/port/port.h"

namespace tayori::port {

// A buffer of at least BYTES from the pool, given back to it when destroyed
// or overwritten. Its contents are unspecified. size() is 0 when the system
// had no memory. Owned by its creator; move-only.
class PooledPages {
 public:
  PooledPages() = default;
  explicit PooledPages(size_t bytes);
  ~PooledPages();
  PooledPages(PooledPages&& o) noexcept = default;
  PooledPages& operator=(PooledPages&& o) noexcept;

  char* data() { return pages_.data(); }
  const char* data() const { return pages_.data(); }
  size_t size() const { return pages_.size(); }

 private:
  PageBuffer pages_;
};

// While one is alive, buffers given back are kept for the next PooledPages;
// when the last one goes, the kept buffers are freed. Owned by whoever does
// a run of files.
class PagePoolHold {
 public:
  PagePoolHold();
  ~PagePoolHold();
  PagePoolHold(const PagePoolHold&) = delete;
  PagePoolHold& operator=(const PagePoolHold&) = delete;
};

// Frees every buffer the pool keeps now.
void DrainPagePool();
// Buffers the pool keeps now, and their bytes.
size_t PagePoolBuffers();
size_t PagePoolBytes();

}  // namespace tayori::port

#endif  // TAYORI_COMMON_PORT_PAGE_POOL_H_
