#include "broker/rocksdb_crc32c.h"

#include <isa-l/crc.h>

#include <algorithm>
#include <atomic>
#include <climits>

namespace tayori::broker {
namespace {

std::atomic<uint64_t> g_library_calls{0};

}  // namespace

uint32_t Crc32cExtend(uint32_t crc, const char* data, size_t n) {
  // ISA-L's crc32_iscsi neither inverts the CRC it is given nor the one it
  // returns; CRC32c as RocksDB defines it does both. Its length is an int.
  uint32_t state = ~crc;
  while (n > 0) {
    const size_t piece = std::min<size_t>(n, INT_MAX);
    state = crc32_iscsi(reinterpret_cast<unsigned char*>(const_cast<char*>(data)), static_cast<int>(piece), state);
    data += piece;
    n -= piece;
  }
  return ~state;
}

}  // namespace tayori::broker

// Declared in RocksDB's util/crc32c.h, which Debian does not install.
namespace rocksdb::crc32c {
__attribute__((visibility("default"))) uint32_t Extend(uint32_t init_crc, const char* data, size_t n) {
  tayori::broker::g_library_calls.fetch_add(1, std::memory_order_relaxed);
  return tayori::broker::Crc32cExtend(init_crc, data, n);
}
}  // namespace rocksdb::crc32c

namespace tayori::broker {

uint64_t RocksDbCrc32cCalls() { return g_library_calls.load(std::memory_order_relaxed); }

}  // namespace tayori::broker
