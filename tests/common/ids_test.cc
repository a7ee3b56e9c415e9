#include "common/ids.h"

#include <gtest/gtest.h>

#include <set>

namespace tayori {
namespace {

TEST(IdsTest, OfficeNumbersAndUserIds) {
  EXPECT_TRUE(IsOfficeNumber("0123456789"));
  for (const char* bad : {"", "012345678", "01234567890", "012345678a", "０１２３４５６７８９"}) {
    EXPECT_FALSE(IsOfficeNumber(bad)) << bad;
  }
  EXPECT_EQ(CheckOfficeNumber("12").reason(), "bad_office_number");
  EXPECT_TRUE(IsUserId("KJ000000000001"));
  for (const char* bad : {"KJ00000000001", "kj000000000001", "KX000000000001", "KJ00000000000A"}) {
    EXPECT_FALSE(IsUserId(bad)) << bad;
  }
}

TEST(IdsTest, SafeFileNames) {
  for (const char* ok :
       {"plan.pdf", "UPPLAN_202612_0123456789_1299999999_20261121093000.CSV", "第3表.pdf", "a b.txt"}) {
    EXPECT_TRUE(IsSafeFileName(ok)) << ok;
  }
  for (const std::string& bad :
       {std::string(""), std::string("."), std::string(".."), std::string("../x.pdf"), std::string("a/b.pdf"),
        std::string("a\\b.pdf"), std::string("a\nb.pdf"), std::string("a\0b", 3), std::string(256, 'x'),
        std::string(".hidden.pdf"), std::string("evil\u202Efdp.exe"), std::string("a\u200Fb.pdf"),
        std::string("a\u2066b.pdf"), std::string("a\u061Cb.pdf"), std::string("\x8C\x76\x89\xE6.pdf")}) {
    EXPECT_FALSE(IsSafeFileName(bad)) << bad;
  }
  EXPECT_TRUE(IsDigits("0123"));
  EXPECT_FALSE(IsDigits(""));
  EXPECT_FALSE(IsDigits("12a"));
}

TEST(IdsTest, IdsAreUniqueAndSortByTime) {
  std::set<std::string> seen;
  std::string previous;
  for (int64_t t = 1700000000000; t < 1700000000000 + 200; ++t) {
    std::string id = NewId(t);
    EXPECT_TRUE(IsId(id)) << id;
    EXPECT_GT(id, previous);
    EXPECT_TRUE(seen.insert(id).second);
    EXPECT_EQ(IdMillis(id), t);
    previous = id;
  }
  EXPECT_FALSE(IsId("01M80354WNRFRCR7VPQ50XRR7"));   // 25 chars
  EXPECT_FALSE(IsId("01M80354WNRFRCR7VPQ50XRR7U"));  // U is not Crockford
  EXPECT_FALSE(IsId("../../etc/passwd0000000000"));
  EXPECT_EQ(IdMillis("short"), -1);
  EXPECT_EQ(IdMillis("UUUUUUUUUUUUUUUUUUUUUUUUUU"), -1);
}

}  // namespace
}  // namespace tayori
