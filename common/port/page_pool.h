// PagePool: buffers of pages kept for reuse, so that one file after another
// (a bulk's checks and sealed files, each up to the send limit) does not map,
// fault in and zero fresh pages every time: the kernel zeroes each new page,
// which cost the agent a fifth of its CPU on a bulk of PDFs.
//
// The pool keeps at most two buffers, the largest given back; the memory a
// process holds past its largest two buffers in use is therefore bounded by
// two of them. Thread-safe; one pool per process.
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

// Frees every buffer the pool keeps (tests; a process that is done with
// large files).
void DrainPagePool();
// Buffers the pool keeps now, and their bytes.
size_t PagePoolBuffers();
size_t PagePoolBytes();

}  // namespace tayori::port

#endif  // TAYORI_COMMON_PORT_PAGE_POOL_H_
