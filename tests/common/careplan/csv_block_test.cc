// The classification of 64-byte blocks: the AVX2 one (nibble tables and a
// vector lookup of the kana rows) gives exactly what the SSE2 one (range
// comparisons, every lead with holes looked up by table) gives, on every
// pair of bytes at every position and on random text; classifying blocks
// in a batch equals classifying them one by one.
#include "common/careplan/csv_block.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace tayori::careplan::internal {
namespace {

class CsvBlockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveBlocks() || !Ms932Structure().blocks_ok) GTEST_SKIP() << "no block classification on this machine";
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    // Without AVX2 both sides would be the SSE2 classification.
    if (!__builtin_cpu_supports("avx2")) GTEST_SKIP() << "no AVX2 on this machine: nothing to compare";
#endif
  }

  // Classifies the block at P (P[64] readable) both ways, with TRAIL
  // carried in, and says where they differ.
  static ::testing::AssertionResult Same(const char* p, bool trail) {
    const Ms932Tables& t = Ms932Structure();
    bool fast_trail = trail, reference_trail = trail;
    const CsvBlock fast = ClassifyBlock(t, p, &fast_trail);
    const CsvBlock reference = ClassifyBlockSse2(t, p, &reference_trail);
    const struct {
      const char* name;
      uint64_t fast, reference;
    } masks[] = {{"quote", fast.quote, reference.quote}, {"comma", fast.comma, reference.comma},
                 {"cr", fast.cr, reference.cr},          {"lf", fast.lf, reference.lf},
                 {"lead", fast.lead, reference.lead},    {"bad", fast.bad, reference.bad}};
    for (const auto& m : masks) {
      if (m.fast != m.reference) {
        return ::testing::AssertionFailure()
               << m.name << " differs: " << m.fast << " against " << m.reference << " (trail in " << trail << ")";
      }
    }
    if (fast_trail != reference_trail) return ::testing::AssertionFailure() << "trail out differs";
    return ::testing::AssertionSuccess();
  }
};

// Every two-byte sequence, repeated over the block (so each lands on every
// even position), then shifted by one (every odd position), with and
// without a trail carried in: every lead with every trail, every byte
// alone, every byte after a lead.
TEST_F(CsvBlockTest, EveryPairOfBytesAtEveryPosition) {
  char block[kBlockBytes + 2];
  int differ = 0;
  for (int first = 0; first < 256; ++first) {
    for (int second = 0; second < 256; ++second) {
      for (int shift = 0; shift < 2; ++shift) {
        for (int i = 0; i < kBlockBytes + 2; ++i) block[i] = static_cast<char>((i + shift) % 2 == 0 ? first : second);
        for (const bool trail : {false, true}) {
          const auto same = Same(block, trail);
          if (!same && ++differ <= 5) ADD_FAILURE() << "bytes " << first << ", " << second << ": " << same.message();
        }
      }
    }
  }
  EXPECT_EQ(differ, 0);
}

// Text as CSVs hold it: ASCII, separators and quotes, half-width kana,
// runs of two-byte characters from every row, stray bytes.
TEST_F(CsvBlockTest, RandomTextClassifiesTheSame) {
  std::mt19937 rng(20261207);
  auto byte = [&rng]() -> char {
    const unsigned r = rng() % 100;
    if (r < 30) return static_cast<char>(0x20 + rng() % 0x5f);  // printable ASCII
    if (r < 40) return ",\"\r\n\t"[rng() % 5];                  // the CSV's own bytes
    if (r < 50) return static_cast<char>(0xa1 + rng() % 0x3f);  // half-width kana
    if (r < 65) return static_cast<char>(0x81 + rng() % 3);     // kana and symbol rows
    if (r < 85) return static_cast<char>(0x40 + rng() % 0xbd);  // the trail range
    if (r < 95) return static_cast<char>(0x84 + rng() % 0x79);  // other leads and beyond
    return static_cast<char>(rng() % 256);                      // anything
  };
  std::string text(kBlockBytes * 20000 + 1, ' ');
  for (char& c : text) c = byte();
  int differ = 0;
  for (size_t at = 0; at + kBlockBytes < text.size(); at += kBlockBytes) {
    for (const bool trail : {false, true}) {
      const auto same = Same(text.data() + at, trail);
      if (!same && ++differ <= 5) ADD_FAILURE() << "block at " << at << ": " << same.message();
    }
  }
  EXPECT_EQ(differ, 0);
}

TEST_F(CsvBlockTest, BatchEqualsOneByOne) {
  std::mt19937 rng(7);
  std::string text(kBlockBytes * 37 + 1, ' ');
  for (char& c : text) {
    const unsigned r = rng() % 8;
    c = r == 0 ? ",\"\r\n"[rng() % 4] : static_cast<char>(r < 3 ? 0x82 : 0x40 + rng() % 0xbd);
  }
  const Ms932Tables& t = Ms932Structure();
  std::vector<CsvBlock> batch(37);
  bool batch_trail = false, single_trail = false;
  ClassifyBlocks(t, text.data(), batch.size(), &batch_trail, batch.data());
  for (size_t i = 0; i < batch.size(); ++i) {
    const CsvBlock one = ClassifyBlock(t, text.data() + i * kBlockBytes, &single_trail);
    EXPECT_EQ(batch[i].lead, one.lead) << i;
    EXPECT_EQ(batch[i].bad, one.bad) << i;
    EXPECT_EQ(batch[i].quote, one.quote) << i;
    EXPECT_EQ(batch[i].comma, one.comma) << i;
    EXPECT_EQ(batch[i].cr, one.cr) << i;
    EXPECT_EQ(batch[i].lf, one.lf) << i;
  }
  EXPECT_EQ(batch_trail, single_trail);
}

}  // namespace
}  // namespace tayori::careplan::internal
