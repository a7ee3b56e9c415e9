#include "common/crypto/packing.h"

#include <gtest/gtest.h>
#include <sodium.h>
#include <zstd.h>

#include <string>

namespace tayori::crypto {
namespace {

std::string Pack(const std::string& plain) {
  std::string out(plain.size() + kPackOverhead, '\0');
  out.resize(PackChunk(plain, out.data()));
  return out;
}

std::string Csv(size_t bytes) {
  std::string s;
  for (int i = 0; s.size() < bytes; ++i)
    s += "1310000001,0000012345,20261201,\"訪問介護\"," + std::to_string(i) + "\r\n";
  s.resize(bytes);
  return s;
}

std::string Noise(size_t bytes) {
  std::string s(bytes, '\0');
  randombytes_buf(s.data(), s.size());
  return s;
}

TEST(PackingTest, CompressibleChunksShrinkAndOthersAreStored) {
  const std::string csv = Csv(1 << 20);
  const std::string packed = Pack(csv);
  EXPECT_EQ(static_cast<PackMethod>(packed[0]), PackMethod::kZstd);
  EXPECT_LT(packed.size(), csv.size() / 4);
  EXPECT_EQ(*UnpackChunk(packed, csv.size()), csv);

  for (const std::string& plain : {Noise(1 << 20), std::string(), std::string("a"), Noise(100)}) {
    const std::string stored = Pack(plain);
    EXPECT_EQ(static_cast<PackMethod>(stored[0]), PackMethod::kStored);
    EXPECT_EQ(stored.size(), plain.size() + kPackOverhead);
    EXPECT_EQ(*UnpackChunk(stored, plain.size()), plain);
  }
}

TEST(PackingTest, TheChoiceDependsOnTheBytesAlone) {
  // Noise after a compressible start: the probe says try, zstd cannot win
  // by enough for the room it has, and the chunk is stored.
  const std::string mixed = Csv(64 * 1024) + Noise(1 << 20);
  const std::string packed = Pack(mixed);
  EXPECT_EQ(packed, Pack(mixed));
  EXPECT_LE(packed.size(), mixed.size() + kPackOverhead);
  EXPECT_EQ(*UnpackChunk(packed, mixed.size()), mixed);
}

// What a modified sender could put in a chunk under a valid tag: refused,
// with work bounded by the length expected.
TEST(PackingTest, GarbageIsRefusedNotInflated) {
  const std::string csv = Csv(200000);
  const std::string packed = Pack(csv);
  EXPECT_EQ(UnpackChunk("", 0).status().reason(), "digest_mismatch");
  EXPECT_EQ(UnpackChunk(std::string(1, '\x07') + "abc", 3).status().reason(), "digest_mismatch");
  EXPECT_EQ(UnpackChunk(packed, csv.size() - 1).status().reason(), "digest_mismatch");
  EXPECT_EQ(UnpackChunk(packed, csv.size() + 1).status().reason(), "digest_mismatch");
  EXPECT_EQ(UnpackChunk(Pack("abc"), 4).status().reason(), "digest_mismatch");
  std::string cut = packed.substr(0, packed.size() / 2);
  EXPECT_EQ(UnpackChunk(cut, csv.size()).status().reason(), "digest_mismatch");

  // A frame that inflates to 64 MiB of zeros, given as a 1 MiB chunk: its
  // declared size is refused before anything is allocated or decoded.
  const std::string zeros(1 << 20, '\0');
  std::string bomb(ZSTD_compressBound(zeros.size()), '\0');
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_CCtx_setPledgedSrcSize(c, 64ull << 20);
  ZSTD_outBuffer out{bomb.data(), bomb.size(), 0};
  for (int i = 0; i < 64; ++i) {
    ZSTD_inBuffer in{zeros.data(), zeros.size(), 0};
    ASSERT_FALSE(ZSTD_isError(ZSTD_compressStream2(c, &out, &in, i == 63 ? ZSTD_e_end : ZSTD_e_continue)));
  }
  ZSTD_freeCCtx(c);
  bomb.resize(out.pos);
  EXPECT_EQ(UnpackChunk(std::string(1, '\x01') + bomb, 1 << 20).status().reason(), "digest_mismatch");
  // A frame that does not declare its size is refused too, though it
  // would decode to the length expected.
  ZSTD_CCtx* u = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(u, ZSTD_c_contentSizeFlag, 0);
  std::string unsized(ZSTD_compressBound(zeros.size()), '\0');
  unsized.resize(ZSTD_compress2(u, unsized.data(), unsized.size(), zeros.data(), zeros.size()));
  ZSTD_freeCCtx(u);
  EXPECT_EQ(UnpackChunk(std::string(1, '\x01') + unsized, zeros.size()).status().reason(), "digest_mismatch");
}

}  // namespace
}  // namespace tayori::crypto
