#include "broker/rocksdb_crc32c.h"

#include <dlfcn.h>
#include <isa-l/crc.h>

#include <algorithm>
#include <climits>

namespace tayori::broker {

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
  return tayori::broker::Crc32cExtend(init_crc, data, n);
}
}  // namespace rocksdb::crc32c

namespace tayori::broker {

bool RocksDbUsesIsalCrc32c() {
  // The name the library's calls are bound by (C++ mangling of the above).
  void* bound = dlsym(RTLD_DEFAULT, "_ZN7rocksdb6crc32c6ExtendEjPKcm");
  return bound != nullptr && bound == reinterpret_cast<void*>(&rocksdb::crc32c::Extend);
}

}  // namespace tayori::broker
