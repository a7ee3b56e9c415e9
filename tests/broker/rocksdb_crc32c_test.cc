#include "broker/rocksdb_crc32c.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "broker/rocksdb_mailbox_store.h"
#include "tests/support/test_util.h"

namespace tayori::broker {
namespace {

// CRC32c one bit at a time, straight from its definition.
uint32_t BitwiseCrc32c(uint32_t crc, const std::string& data) {
  crc = ~crc;
  for (unsigned char c : data) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
  }
  return ~crc;
}

uint32_t Crc(const std::string& s, uint32_t crc = 0) { return Crc32cExtend(crc, s.data(), s.size()); }

TEST(Crc32cTest, GivesTheStandardValues) {
  // RFC 3720, appendix B.4, and the usual check value.
  std::string ascending(32, '\0');
  for (int i = 0; i < 32; ++i) ascending[i] = static_cast<char>(i);
  EXPECT_EQ(Crc(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc(std::string(32, '\xff')), 0x62A8AB43u);
  EXPECT_EQ(Crc(ascending), 0x46DD794Eu);
  EXPECT_EQ(Crc("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc(""), 0u);
}

TEST(Crc32cTest, AgreesWithTheDefinitionAtEveryLengthOffsetAndSplit) {
  std::mt19937 rng(7);
  std::string data(70000, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  for (int trial = 0; trial < 300; ++trial) {
    const size_t offset = rng() % 64;
    const size_t len = trial < 100 ? trial : rng() % (data.size() - offset);
    const std::string piece = data.substr(offset, len);
    const uint32_t want = BitwiseCrc32c(0, piece);
    ASSERT_EQ(Crc(piece), want) << "offset " << offset << " length " << len;
    const size_t split = len == 0 ? 0 : rng() % len;
    ASSERT_EQ(Crc(piece.substr(split), Crc(piece.substr(0, split))), want) << "split at " << split;
  }
}

// The library's own calls (not this program's) reach it: a write and a
// flush, made by RocksDB's threads, are counted.
TEST(Crc32cTest, RocksDbComputesItsChecksumsWithIt) {
  testing::TempDir dir;
  auto store = RocksDbMailboxStore::Open(dir.Sub("db"));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_TRUE((*store)->hardware_crc32c());

  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, dir.Sub("plain"), &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  const uint64_t before = RocksDbCrc32cCalls();
  ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "k", std::string(100000, 'v')).ok());
  ASSERT_TRUE(db->Flush(rocksdb::FlushOptions()).ok());
  EXPECT_GT(RocksDbCrc32cCalls(), before);
}

// A blob written with it reads back, and a damaged one is still caught:
// RocksDB's checks work as before.
TEST(Crc32cTest, BlobsReadBackAndDamageIsCaught) {
  testing::TempDir dir;
  const std::string path = dir.Sub("db");
  rocksdb::Options options;
  options.create_if_missing = true;
  options.enable_blob_files = true;
  options.min_blob_size = 4096;
  const std::string value(1 << 20, 'x');
  {
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, path, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "k", value).ok());
    ASSERT_TRUE(db->Flush(rocksdb::FlushOptions()).ok());
    std::string got;
    rocksdb::ReadOptions ro;
    ro.verify_checksums = true;
    ASSERT_TRUE(db->Get(ro, "k", &got).ok());
    EXPECT_EQ(got, value);
  }
  std::string blob;
  for (const auto& e : std::filesystem::directory_iterator(path)) {
    if (e.path().extension() == ".blob") blob = e.path().string();
  }
  ASSERT_FALSE(blob.empty());
  {
    std::fstream f(blob, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(std::filesystem::file_size(blob) / 2));
    f.put('y');
  }
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, path, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string got;
  rocksdb::ReadOptions ro;
  ro.verify_checksums = true;
  EXPECT_TRUE(db->Get(ro, "k", &got).IsCorruption());
}

}  // namespace
}  // namespace tayori::broker
