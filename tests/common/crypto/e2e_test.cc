#include "common/crypto/e2e.h"

#include <gtest/gtest.h>

namespace tayori::crypto {
namespace {

TEST(E2eTest, ChunkRoundTrip) {
  const std::string key = NewSendKey();
  const std::string plain = "202208,123456,0000000001\r\n";
  const std::string c = EncryptChunk(key, 0, 3, 5, plain);
  EXPECT_EQ(c.size(), plain.size() + kChunkOverhead);
  EXPECT_EQ(c.find("202208"), std::string::npos);
  auto back = DecryptChunk(key, 0, 3, 5, c);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, plain);
}

TEST(E2eTest, ChunksCannotBeMovedTruncatedOrAltered) {
  const std::string key = NewSendKey();
  const std::string c = EncryptChunk(key, 1, 2, 4, "data");
  EXPECT_FALSE(DecryptChunk(key, 0, 2, 4, c).ok());  // another file
  EXPECT_FALSE(DecryptChunk(key, 1, 1, 4, c).ok());  // another position
  EXPECT_FALSE(DecryptChunk(key, 1, 2, 3, c).ok());  // file cut short
  EXPECT_FALSE(DecryptChunk(NewSendKey(), 1, 2, 4, c).ok());
  std::string flipped = c;
  flipped[0] ^= 1;
  EXPECT_EQ(DecryptChunk(key, 1, 2, 4, flipped).status().reason(), "digest_mismatch");
  EXPECT_FALSE(DecryptChunk(key, 1, 2, 4, "short").ok());
}

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
