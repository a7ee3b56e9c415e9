// The fast path of the CSV content check against the careful reading:
// valid files of every kind pass fast (so sends pay for one quick pass),
// and on valid and broken bytes alike the fast answer equals whether the
// careful reading finds anything, so findings come out exactly as before.
#include "common/careplan/valid_csv.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "common/careplan/check.h"
#include "tests/support/careplan_corpus.h"

namespace tayori::careplan {
namespace {

using testing::Corpus;
using testing::CorpusFile;
using testing::ToSjis;

class ValidCsvTest : public ::testing::Test {
 protected:
  // Checks that both readings agree on DATA as NAME; returns the verdict.
  bool Agree(const std::string& name, const std::string& data) {
    const NameCheck n = Rules::Standard().ParseName(name);
    EXPECT_TRUE(n.ok) << name;
    const bool fast = IsValidCsvContent(Rules::Standard(), n.name, data);
    const auto careful = internal::CheckCsvContentCarefully(Rules::Standard(), n.name, name, data);
    EXPECT_EQ(fast, careful.empty()) << name << ": "
                                     << (careful.empty() ? "nothing found" : FormatFinding(careful[0], false));
    return fast;
  }

  // A 第6表 of RECORDS records whose text columns vary in length, so that
  // two-byte characters, quotes and line ends fall on every position of the
  // 64-byte blocks, with commas, line breaks and "" inside quoted fields.
  std::string LongPlan(int records, const char* line_end = "\r\n") const {
    const std::string base = corpus_.Record("UPPLAN", "202407", "202612", /*sjis=*/false);
    std::vector<std::string> f;
    size_t start = 0;
    bool quoted = false;
    const std::string line = base.substr(0, base.size() - 2);
    for (size_t i = 0; i <= line.size(); ++i) {
      if (i < line.size() && line[i] == '"') quoted = !quoted;
      if (i == line.size() || (line[i] == ',' && !quoted)) {
        f.push_back(line.substr(start, i - start));
        start = i + 1;
      }
    }
    static const char* kTexts[] = {"\"訪問介護\"",
                                   "\"ﾎｳﾓﾝｶｲｺﾞ\"",
                                   "\"通所、介護\"",
                                   "\"備考\r\n二行目\"",
                                   "\"「引用」は\"\"こう\"\"書く\"",
                                   "山田太郎",
                                   "",
                                   "\"①②Ⅲ㈱\""};
    std::string out;
    for (int r = 0; r < records; ++r) {
      std::string text;
      for (int k = 0; k <= r % 5; ++k) text += "あ";
      f[5] = "\"" + text + "\"";
      f[15] = kTexts[r % 8];
      f[16] = kTexts[(r / 8) % 8];
      std::string rec;
      for (size_t i = 0; i < f.size(); ++i) rec += (i ? "," : "") + f[i];
      out += ToSjis(rec) + line_end;
    }
    return out;
  }

  std::string PlanName() const { return corpus_.Name("UPPLAN", true); }

  Corpus corpus_;
};

TEST_F(ValidCsvTest, EveryStandardFilePassesFast) {
  int files = 0;
  for (const UnitRule& unit : Rules::Standard().units()) {
    for (const bool v4 : {false, true}) {
      bool v4_only = false;
      for (const auto& p : unit.required) v4_only |= !Rules::Standard().FindKind(p)->naming.count(Naming::kV3);
      if (v4_only && !v4) continue;
      for (const CorpusFile& f : corpus_.Unit(unit.id, v4)) {
        if (!IsCsvName(f.name)) continue;
        EXPECT_TRUE(Agree(f.name, f.content)) << f.name;
        ++files;
      }
    }
  }
  EXPECT_GT(files, 20);
}

TEST_F(ValidCsvTest, LongFilesPassFastAcrossBlockEdges) {
  const std::string name = PlanName();
  for (const int records : {1, 2, 3, 7, 40, 333}) {
    EXPECT_TRUE(Agree(name, LongPlan(records))) << records;
    EXPECT_TRUE(Agree(name, LongPlan(records, "\n"))) << records;
    EXPECT_TRUE(Agree(name, LongPlan(records, "\r"))) << records;
    EXPECT_TRUE(Agree(name, LongPlan(records) + "\r\n\r\n")) << records;  // blank lines at the end
    std::string no_end = LongPlan(records);
    no_end.resize(no_end.size() - 2);
    EXPECT_TRUE(Agree(name, no_end)) << records;
  }
  // Every length of the last block, one byte at a time.
  std::string file = LongPlan(3);
  for (int pad = 0; pad < 70; ++pad) {
    EXPECT_TRUE(Agree(name, file)) << pad;
    file.insert(file.size() - 3, "\x82\xa0");  // あ at the end of the last quoted text
  }
}

// A version whose layout is not known allows any number of columns: records
// of thousands of fields, the field buffer growing block by block.
TEST_F(ValidCsvTest, RecordsOfThousandsOfFieldsPassFast) {
  const std::string name = "UPPLAN_202612_0123456789_1299999999_20261121093000.CSV";
  std::string record = "201910,131234,0123456789";
  for (int i = 0; i < 5000; ++i) record += i % 7 == 0 ? ",\"\x82\xa0,\"" : ",1";
  EXPECT_TRUE(Agree(name, record + "\r\n" + record + "\r\n" + record));
  EXPECT_FALSE(Agree(name, record + "\r\n" + record.substr(0, record.size() - 1) + "\x82"));  // a lead left open
}

TEST_F(ValidCsvTest, BrokenBytesAreLeftToTheCarefulReading) {
  const std::string name = PlanName();
  const std::string good = LongPlan(9);
  ASSERT_TRUE(Agree(name, good));
  std::mt19937 rng(20261204);
  const std::vector<char> bytes = {'"',    ',',    '\r',   '\n',   '\t',   'A',    '9',    ' ',    '\x00',
                                   '\x7f', '\x80', '\x81', '\x82', '\x83', '\x98', '\xa0', '\xa1', '\xdf',
                                   '\xe0', '\xeb', '\xf0', '\xfc', '\xfd', '\xff', '\x40', '\x5c'};
  int valid = 0, broken = 0;
  for (int i = 0; i < 4000; ++i) {
    std::string s = good;
    for (int edits = 1 + static_cast<int>(rng() % 2); edits > 0; --edits) {
      const size_t at = rng() % s.size();
      const char b = bytes[rng() % bytes.size()];
      switch (rng() % 4) {
        case 0:
          s[at] = b;
          break;
        case 1:
          s.insert(s.begin() + static_cast<long>(at), b);
          break;
        case 2:
          s.erase(at, 1);
          break;
        default:
          s.insert(at, s.substr(at, 2));
          break;
      }
    }
    (Agree(name, s) ? valid : broken)++;
    if (HasFailure()) break;
  }
  // Both verdicts occur, so the agreement means something.
  EXPECT_GT(valid, 100);
  EXPECT_GT(broken, 1000);
}

TEST_F(ValidCsvTest, EachKindOfFindingIsLeftToTheCarefulReading) {
  const std::string name = PlanName();
  const std::string good = LongPlan(4);
  const std::string rec = LongPlan(1);
  for (const std::string& bad : {
           std::string(""),                                    // no records
           "\xEF\xBB\xBF" + good,                              // BOM
           rec + "\r\n" + good,                                // a blank line between records
           good + "\"open",                                    // a quote never closed
           good.substr(0, good.size() - 2) + "\"x\r\n",        // a quote in a field
           good.substr(0, 30) + "\xF0\x40" + good.substr(30),  // 外字
           good.substr(0, 30) + "\x81" + good.substr(30),      // a lead with no trail
           good + good.substr(0, 6) + ",1,2\r\n",              // too few columns
       }) {
    EXPECT_FALSE(Agree(name, bad));
  }
}

}  // namespace
}  // namespace tayori::careplan
