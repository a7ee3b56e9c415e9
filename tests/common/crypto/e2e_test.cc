#include "common/crypto/e2e.h"

#include <gtest/gtest.h>

namespace tayori::crypto {
namespace {

class E2eTest : public ::testing::TestWithParam<Aead> {};

TEST_P(E2eTest, ChunkRoundTrip) {
  const std::string key = NewSendKey();
  const std::string plain = "202208,123456,0000000001\r\n";
  const std::string c = EncryptChunk(GetParam(), key, 0, 3, 5, plain);
  EXPECT_EQ(c.size(), plain.size() + kChunkOverhead);
  EXPECT_EQ(c.find("202208"), std::string::npos);
  auto back = DecryptChunk(GetParam(), key, 0, 3, 5, c);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, plain);
  EXPECT_EQ(*DecryptChunk(GetParam(), key, 0, 3, 5, EncryptChunk(GetParam(), key, 0, 3, 5, "")), "");
}

TEST_P(E2eTest, ChunksCannotBeMovedTruncatedOrAltered) {
  const Aead a = GetParam();
  const std::string key = NewSendKey();
  const std::string c = EncryptChunk(a, key, 1, 2, 4, "data");
  EXPECT_FALSE(DecryptChunk(a, key, 0, 2, 4, c).ok());  // another file
  EXPECT_FALSE(DecryptChunk(a, key, 1, 1, 4, c).ok());  // another position
  EXPECT_FALSE(DecryptChunk(a, key, 1, 2, 3, c).ok());  // file cut short
  EXPECT_FALSE(DecryptChunk(a, NewSendKey(), 1, 2, 4, c).ok());
  std::string flipped = c;
  flipped[0] ^= 1;
  EXPECT_EQ(DecryptChunk(a, key, 1, 2, 4, flipped).status().reason(), "digest_mismatch");
  std::string tag_flipped = c;
  tag_flipped.back() ^= 1;
  EXPECT_FALSE(DecryptChunk(a, key, 1, 2, 4, tag_flipped).ok());
  EXPECT_FALSE(DecryptChunk(a, key, 1, 2, 4, "short").ok());
  EXPECT_FALSE(DecryptChunk(a, key, 1, 2, 4, "").ok());
  // Nor read as the other AEAD.
  EXPECT_FALSE(DecryptChunk(a == Aead::kAes256Gcm ? Aead::kXChaCha20Poly1305 : Aead::kAes256Gcm, key, 1, 2, 4, c).ok());
}

INSTANTIATE_TEST_SUITE_P(BothAeads, E2eTest, ::testing::Values(Aead::kXChaCha20Poly1305, Aead::kAes256Gcm));

TEST(ManifestVersionTest, NewSendsUseAesGcmAndVersionOneStaysXChaCha) {
  EXPECT_EQ(AeadOf(kManifestVersion), Aead::kAes256Gcm);
  EXPECT_EQ(AeadOf(1), Aead::kXChaCha20Poly1305);
  EXPECT_TRUE(KnownManifestVersion(1));
  EXPECT_TRUE(KnownManifestVersion(2));
  EXPECT_TRUE(KnownManifestVersion(3));
  EXPECT_FALSE(KnownManifestVersion(0));
  EXPECT_FALSE(KnownManifestVersion(4));
  EXPECT_FALSE(PacksChunks(2));
  EXPECT_TRUE(PacksChunks(kManifestVersion));
}

// Sealed under each version, a chunk opens to its bytes; from version 3 a
// CSV chunk is stored compressed and random bytes at most a byte longer.
class SealChunkTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(SealChunkTest, RoundTripWithinTheBounds) {
  const uint32_t v = GetParam();
  const std::string key = NewSendKey();
  std::string csv;
  for (int i = 0; csv.size() < 300000; ++i) csv += "202612,1310000001,000001" + std::to_string(i % 97) + ",111211\r\n";
  std::string noise(300000, '\0');
  randombytes_buf(noise.data(), noise.size());
  for (const std::string& plain : {csv, noise, std::string(), std::string("x")}) {
    const std::string sealed = SealChunk(v, key, 2, 1, 3, plain);
    EXPECT_GE(sealed.size(), MinSealedLen(v, plain.size()));
    EXPECT_LE(sealed.size(), MaxSealedLen(v, plain.size()));
    auto back = OpenChunk(v, key, 2, 1, 3, sealed, plain.size());
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, plain);
    EXPECT_EQ(SealChunk(v, key, 2, 1, 3, plain), sealed);  // sealed again (a resumed send): the same bytes
    // Expecting another length, or at another place, it does not open.
    EXPECT_EQ(OpenChunk(v, key, 2, 1, 3, sealed, plain.size() + 1).status().reason(), "digest_mismatch");
    EXPECT_FALSE(OpenChunk(v, key, 2, 2, 3, sealed, plain.size()).ok());
  }
  if (PacksChunks(v)) {
    EXPECT_LT(SealChunk(v, key, 0, 0, 1, csv).size(), csv.size() / 4);
  } else {
    EXPECT_EQ(SealChunk(v, key, 0, 0, 1, csv).size(), csv.size() + kChunkOverhead);
  }
}

INSTANTIATE_TEST_SUITE_P(EveryVersion, SealChunkTest, ::testing::Values(1u, 2u, 3u));

TEST(E2eTest, SealedKeyOpensOnlyForItsRecipient) {
  const BoxKeyPair bob = NewBoxKeyPair(), eve = NewBoxKeyPair();
  const std::string key = NewSendKey();
  auto sealed = SealKey(key, bob.pk);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(*OpenSealedKey(*sealed, bob), key);
  EXPECT_FALSE(OpenSealedKey(*sealed, eve).ok());
  EXPECT_FALSE(OpenSealedKey("garbage", bob).ok());
  EXPECT_FALSE(SealKey(key, "short").ok());
}

TEST(E2eTest, ChunkCountAndDigest) {
  EXPECT_EQ(ChunkCount(0, 1024), 1u);
  EXPECT_EQ(ChunkCount(1024, 1024), 1u);
  EXPECT_EQ(ChunkCount(1025, 1024), 2u);
  Sha256 h;
  h.Update("ab");
  h.Update("c");
  EXPECT_EQ(h.Final(), Sha256Of("abc"));
}

}  // namespace
}  // namespace tayori::crypto
