#include "common/utf8.h"

#include <gtest/gtest.h>

namespace tayori {
namespace {

TEST(Utf8Test, WellFormedTextPasses) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("居宅サービス計画書（１）.pdf"));
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x93\xAE"));      // U+1F4EE, four bytes
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));      // U+10FFFF
  EXPECT_EQ(ValidUtf8("ケアプラン"), "ケアプラン");  // unchanged
}

TEST(Utf8Test, IllFormedTextIsRefusedAndReplaced) {
  // Shift_JIS "計画" as a care software might write it, a lone continuation
  // byte, an overlong '/', a surrogate, above U+10FFFF, a cut-off sequence.
  for (const char* bad : {"\x8C\x76\x89\xE6", "a\x80", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE3\x81"}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << bad;
    EXPECT_TRUE(IsValidUtf8(ValidUtf8(bad))) << bad;
  }
  EXPECT_EQ(ValidUtf8("a\x80z"), "a\xEF\xBF\xBDz");
  EXPECT_EQ(ValidUtf8("\xE3\x81"), "\xEF\xBF\xBD\xEF\xBF\xBD");
}

}  // namespace
}  // namespace tayori
