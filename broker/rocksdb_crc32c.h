// CRC32c for RocksDB from ISA-L, which uses the CPU's CRC32 and carry-less
// multiply instructions.
//
// RocksDB checksums every record it writes with CRC32c: each blob record
// (a whole chunk), each WAL record, each table block. Debian's librocksdb is
// built for any x86-64 CPU and so computes it a byte-table at a time; for the
// broker that was the largest single cost of storing a chunk. The library
// computes every CRC32c through one exported function,
// rocksdb::crc32c::Extend, called through its PLT. rocksdb_crc32c.cc defines
// that function with the same result (standard CRC32c, continuing from the
// CRC given), and the dynamic linker binds the library's calls to the
// program's definition. What is stored is bit for bit what the library's own
// function writes, so stores written before read as before.
//
// Any program that opens a RocksDbMailboxStore gets it (Open refers to this
// file, which keeps it in the link).
#ifndef TAYORI_BROKER_ROCKSDB_CRC32C_H_
#define TAYORI_BROKER_ROCKSDB_CRC32C_H_

#include <cstddef>
#include <cstdint>

namespace tayori::broker {

// The CRC32c of data continuing from `crc` (0 to begin): what
// rocksdb::crc32c::Extend returns.
uint32_t Crc32cExtend(uint32_t crc, const char* data, size_t n);

// Calls of rocksdb::crc32c::Extend that reached this file's definition in
// this process. RocksDbMailboxStore::Open sees it rise while RocksDB writes
// its first records: proof that the library's own calls come here (a
// librocksdb linked with -Bsymbolic-functions, or with its calls inlined,
// would keep its own), which the broker logs if not.
uint64_t RocksDbCrc32cCalls();

}  // namespace tayori::broker

#endif  // TAYORI_BROKER_ROCKSDB_CRC32C_H_
