// The care plan checks against a corpus the tests generate: Shift_JIS CSVs
// for every kind and send unit, valid and broken in each way, with the
// expected verdict for each case.
#include "common/careplan/check.h"

#include <gtest/gtest.h>

#include "common/env.h"
#include "tests/support/careplan_corpus.h"
#include "tests/support/test_util.h"

namespace tayori::careplan {
namespace {

using testing::Corpus;
using testing::CorpusFile;
using testing::ToSjis;

class CheckTest : public ::testing::Test {
 protected:
  CheckReport Check(const std::vector<CorpusFile>& files, const std::string& to = "",
                    const std::string& own = "0123456789") {
    std::vector<FileToCheck> in;
    for (const auto& f : files) {
      const std::string path = dir_.Sub(f.name.empty() ? "unnamed" : f.name);
      EXPECT_TRUE(WriteFileAtomic(path, f.content).ok());
      in.push_back({f.name, path, f.content.size()});
    }
    CheckOptions o;
    o.own_office = own;
    o.to = to;
    return CheckSend(Rules::Standard(), in, o);
  }

  static bool Has(const CheckReport& r, Category c, const std::string& file = "", int line = -1, int column = -1) {
    for (const auto& f : r.findings) {
      if (f.category == c && (file.empty() || f.file == file) && (line < 0 || f.line == line) &&
          (column < 0 || f.column == column)) {
        return true;
      }
    }
    return false;
  }

  static std::string Dump(const CheckReport& r) {
    std::string s;
    for (const auto& f : r.findings) s += FormatFinding(f, false) + "\n";
    return s;
  }

  testing::TempDir dir_;
  Corpus corpus_;
};

TEST_F(CheckTest, EveryStandardUnitPassesInEveryGenerationItExistsIn) {
  for (const auto& unit : Rules::Standard().units()) {
    for (bool v4 : {false, true}) {
      bool v4_only = false;
      for (const auto& p : unit.required) v4_only |= !Rules::Standard().FindKind(p)->naming.count(Naming::kV3);
      if (v4_only && !v4) continue;
      CheckReport r = Check(corpus_.Unit(unit.id, v4));
      EXPECT_TRUE(r.ok()) << unit.id << (v4 ? " v4\n" : " v3\n") << Dump(r);
      ASSERT_NE(r.unit, nullptr) << unit.id;
      EXPECT_EQ(r.unit->id, unit.id);
      EXPECT_EQ(r.recipient, "1299999999");
    }
  }
}

TEST_F(CheckTest, OptionalKindsAndAttachmentsRideAlong) {
  auto files = corpus_.Unit("plan_1_2", true);
  files.push_back(corpus_.File("UP3KYO", true));
  files.push_back({"第3表.pdf", "%PDF-1.7\n..."});
  files.push_back({"写真.jpg", "\xff\xd8\xff\xe0 jfif"});
  CheckReport r = Check(files);
  EXPECT_TRUE(r.ok()) << Dump(r);
  EXPECT_EQ(r.unit->id, "plan_1_2");
}

TEST_F(CheckTest, PdfAloneNeedsARecipient) {
  CheckReport r = Check({{"報告書.pdf", "%PDF-1.4"}});
  EXPECT_TRUE(Has(r, Category::kParty)) << Dump(r);
  r = Check({{"報告書.pdf", "%PDF-1.4"}}, "1299999999");
  EXPECT_TRUE(r.ok()) << Dump(r);
  EXPECT_EQ(r.recipient, "1299999999");
  EXPECT_EQ(r.unit, nullptr);
}

TEST_F(CheckTest, WrongCombinationsNameTheFileAndTheRule) {
  // 第6表 alone, and without its 補足.
  auto plan = corpus_.File("UPPLAN", true);
  CheckReport r = Check({plan});
  ASSERT_TRUE(Has(r, Category::kCombination)) << Dump(r);
  EXPECT_NE(r.findings[0].ja.find("ファイルの組み合わせが正しくありません"), std::string::npos);
  EXPECT_NE(r.findings[0].ja.find("UPSIKYU"), std::string::npos) << Dump(r);
  r = Check({plan, corpus_.File("UPSIKYU", true)});
  EXPECT_NE(Dump(r).find("missing: UPHOSOKU"), std::string::npos) << Dump(r);
  // Registration and deletion never mix: the deletion file is named.
  auto units = corpus_.Unit("plan_6_7", true);
  auto del = corpus_.File("DLTPLAN", true);
  units.push_back(del);
  r = Check(units);
  EXPECT_TRUE(Has(r, Category::kCombination, del.name)) << Dump(r);
  // Table 1 with table 6.
  auto mixed = corpus_.Unit("plan_6_7", true);
  auto t1 = corpus_.File("UP1KYO", true);
  mixed.push_back(t1);
  r = Check(mixed);
  EXPECT_TRUE(Has(r, Category::kCombination, t1.name)) << Dump(r);
  // Two of one kind.
  auto twice = corpus_.Unit("actuals", true);
  twice.push_back(corpus_.File("UPJSK", true, "202611"));
  EXPECT_TRUE(Has(Check(twice), Category::kCombination));
}

TEST_F(CheckTest, OneUnitSharesOneStampOneMonthAndOneGeneration) {
  Corpus later("0123456789", "1299999999", "20261121093001");
  auto files = corpus_.Unit("plan_6_7", true);
  files[1] = later.File("UPSIKYU", true);
  EXPECT_TRUE(Has(Check(files), Category::kCombination, files[1].name));

  files = corpus_.Unit("plan_6_7", true);
  files[1] = corpus_.File("UPSIKYU", true, "202611");
  EXPECT_TRUE(Has(Check(files), Category::kCombination, files[1].name));

  files = corpus_.Unit("plan_1_2", true);
  files[2] = corpus_.File("UPHOSOKU", true, "202612");  // must be 000000 with 1/2表
  EXPECT_TRUE(Has(Check(files), Category::kCombination, files[2].name));

  files = corpus_.Unit("plan_6_7", true);
  files[2] = corpus_.File("UPHOSOKU", true, "000000");  // must be the plan's month
  EXPECT_TRUE(Has(Check(files), Category::kCombination, files[2].name));

  files = corpus_.Unit("plan_6_7", true);
  files[1] = corpus_.File("UPSIKYU", false);
  EXPECT_TRUE(Has(Check(files), Category::kCombination, files[1].name));
}

TEST_F(CheckTest, PartiesComeFromTheNames) {
  // A CSV for another recipient in the same send.
  Corpus elsewhere("0123456789", "1300000000");
  auto files = corpus_.Unit("actuals", true);
  files.push_back({"x.pdf", "%PDF-"});
  auto other = elsewhere.Unit("delete_actuals", true);
  files.insert(files.end(), other.begin(), other.end());
  EXPECT_TRUE(Has(Check(files), Category::kParty));
  // Not this office's file.
  Corpus foreign("0999999999", "1299999999");
  auto theirs = foreign.Unit("actuals", true);
  EXPECT_TRUE(Has(Check(theirs), Category::kParty, theirs[0].name));
  // A recipient typed in that contradicts the names.
  EXPECT_TRUE(Has(Check(corpus_.Unit("actuals", true), "1300000000"), Category::kParty));
  // Sending to oneself.
  Corpus self("0123456789", "0123456789");
  EXPECT_TRUE(Has(Check(self.Unit("actuals", true)), Category::kParty));
}

TEST_F(CheckTest, LimitsAndFileTypes) {
  std::vector<CorpusFile> many;
  for (int i = 0; i < 8; ++i) many.push_back({"p" + std::to_string(i) + ".pdf", "%PDF-"});
  EXPECT_TRUE(Has(Check(many, "1299999999"), Category::kLimit));
  EXPECT_TRUE(Has(Check({{"big.pdf", "%PDF-" + std::string(11 << 20, 'x')}}, "1299999999"), Category::kLimit));

  CheckReport r = Check({{"plan.docx", "PK\x03\x04word"}}, "1299999999");
  EXPECT_TRUE(Has(r, Category::kFileType, "plan.docx") || Has(r, Category::kArchive, "plan.docx")) << Dump(r);
  r = Check({{"notes.xlsx", "not a zip"}}, "1299999999");
  EXPECT_TRUE(Has(r, Category::kFileType, "notes.xlsx")) << Dump(r);
  EXPECT_NE(r.findings[0].ja.find("PDFに保存"), std::string::npos);
  // Archives by extension and by content, whatever the name says.
  r = Check({{"export.zip", "PK\x03\x04..."}}, "1299999999");
  EXPECT_TRUE(Has(r, Category::kArchive, "export.zip"));
  EXPECT_NE(r.findings[0].ja.find("展開"), std::string::npos);
  EXPECT_NE(r.findings[0].en.find("extract it first"), std::string::npos);
  EXPECT_TRUE(Has(Check({{"plan.pdf", "PK\x03\x04..."}}, "1299999999"), Category::kArchive));
  auto zipped = corpus_.File("UPJSK", true);
  zipped.content = "PK\x05\x06" + std::string(18, '\0');
  EXPECT_TRUE(Has(Check({zipped}), Category::kArchive, zipped.name));
  EXPECT_TRUE(Has(Check({{"x.pdf", "\x1f\x8b\x08"}}, "1299999999"), Category::kArchive));
  std::string tar(600, '\0');
  tar.replace(257, 5, "ustar");
  EXPECT_TRUE(Has(Check({{"x.txt", tar}}, "1299999999"), Category::kArchive));
  // Content that is not what the extension says.
  EXPECT_TRUE(Has(Check({{"scan.pdf", "just text"}}, "1299999999"), Category::kFileType, "scan.pdf"));
  EXPECT_TRUE(Has(Check({{"photo.png", "%PDF-"}}, "1299999999"), Category::kFileType, "photo.png"));
  EXPECT_TRUE(Has(Check({{"memo.txt", std::string("a\0b", 3)}}, "1299999999"), Category::kFileType, "memo.txt"));
  EXPECT_TRUE(Check({{"memo.txt", ToSjis("申し送り事項です")}, {"a.gif", "GIF89a.."},
                     {"b.png", "\x89PNG\r\n\x1a\n..."}, {"c.jpeg", "\xff\xd8\xff"}}, "1299999999").ok());
  // A PDF whose header follows some leading bytes is still a PDF.
  EXPECT_TRUE(Check({{"late.pdf", std::string(100, ' ') + "%PDF-1.3"}}, "1299999999").ok());
}

// CSV content: each broken file yields a finding at the right line and column.
struct ContentCase {
  const char* what;
  std::string prefix;
  std::string body;  // UTF-8, converted to Shift_JIS unless raw
  int line;
  int column;
  bool raw = false;
};

TEST_F(CheckTest, CsvContentErrorsAreLocated) {
  const std::string ok = corpus_.Record("UPJSK", "202407", "202612", /*sjis=*/false);
  auto rec = [&](int col, const std::string& value) {
    std::vector<std::string> f;
    std::string line = ok.substr(0, ok.size() - 2);
    size_t start = 0;
    while (true) {
      size_t p = line.find(',', start);
      f.push_back(line.substr(start, p - start));
      if (p == std::string::npos) break;
      start = p + 1;
    }
    f[static_cast<size_t>(col) - 1] = value;
    std::string out;
    for (size_t i = 0; i < f.size(); ++i) out += (i ? "," : "") + f[i];
    return out + "\r\n";
  };
  const std::vector<ContentCase> cases = {
      {"unknown version", "UPJSK", rec(1, "202501"), 1, 1},
      {"version changes", "UPJSK", ok + rec(1, "202208"), 2, 1},
      {"v3 version in a v4 name", "UPJSK", rec(1, "202208"), 1, 1},
      {"insurer 5 digits", "UPJSK", ok + ok + rec(2, "13100"), 3, 2},
      {"insured 9 digits", "UPJSK", rec(3, "000001234"), 1, 3},
      {"insured with letter", "UPJSK", rec(3, "X000012345"), 1, 3},
      {"impossible date", "UPJSK", rec(10, "20260230"), 1, 10},
      {"date outside the name's month", "UPJSK", rec(10, "20261101"), 1, 10},
      {"service code 5 digits", "UPJSK", rec(15, "11111"), 1, 15},
      {"provider office 9 digits", "UPJSK", rec(20, "129999999"), 1, 20},
      {"too few columns", "UPJSK", "202407,131001,0000012345\r\n", 1, 0},
      {"too many columns", "UPJSK", ok.substr(0, ok.size() - 2) + ",extra\r\n", 1, 0},
      {"unclosed quote", "UPJSK", ok + "202407,\"never closed\r\n", 2, 2},
      {"quote inside a field", "UPJSK", "202407,13\"1001,x\r\n", 1, 2},
      {"empty file", "UPJSK", "", 0, 0},
      {"header row", "UPJSK", "CSVバージョン,保険者番号,被保険者番号\r\n" + ok, 1, 1},
      {"month mismatch in deletion", "DLTJSK", "202407,131001,0000012345,202611,1299999999,11\r\n", 1, 4},
  };
  for (const auto& c : cases) {
    const bool deletion = c.prefix == "DLTJSK";
    CorpusFile f{corpus_.Name(c.prefix, true), c.raw ? c.body : ToSjis(c.body)};
    CheckReport r = Check({f});
    EXPECT_TRUE(Has(r, Category::kFormat, f.name, c.line, c.column))
        << c.what << " (deletion=" << deletion << ")\n" << Dump(r);
    for (const auto& finding : r.findings) {
      if (finding.category == Category::kFormat) {
        EXPECT_NE(finding.ja.find("書式フォーマットが正しくありません"), std::string::npos);
      }
    }
  }
}

TEST_F(CheckTest, CsvEncodingMustBeMs932WithoutUserDefinedCharacters) {
  const std::string good = corpus_.Record("UPJSK", "202407");
  const std::string name = corpus_.Name("UPJSK", true);
  // Quoted fields may hold commas and line breaks; H + 9 digits is allowed.
  std::string quoted = good.substr(0, good.size() - 2);
  quoted.replace(quoted.rfind(','), std::string::npos, "," + ToSjis("\"一行目,\r\n二行目\"\r\n"));
  std::string h = good;
  h.replace(h.find("0000012345"), 10, "H000012345");
  EXPECT_TRUE(Check({{name, good + quoted + h}}).ok()) << Dump(Check({{name, good + quoted + h}}));
  // NEC special characters (①) are MS932; user-defined (外字, F040) and
  // invalid trail bytes are not; nor is UTF-8 text.
  auto with = [&](const std::string& bytes) {
    std::string rec = good;
    rec.replace(rec.rfind(',') + 1, 0, "\"" + bytes + "\"");
    return rec;
  };
  EXPECT_TRUE(Check({{name, with("\x87\x40")}}).ok());
  CheckReport r = Check({{name, good + with("\xf0\x40")}});
  EXPECT_TRUE(Has(r, Category::kFormat, name, 2, 25)) << Dump(r);
  EXPECT_NE(r.findings[0].ja.find("外字"), std::string::npos);
  EXPECT_TRUE(Has(Check({{name, with("\x81\x20")}}), Category::kFormat, name, 1, 25));
  EXPECT_TRUE(Has(Check({{name, with("\xe3\x81\x82\xe3\x81\x84\xe3")}}), Category::kFormat, name, 1, 25));
  EXPECT_TRUE(Has(Check({{name, with(std::string("\0", 1))}}), Category::kFormat, name, 1, 25));
}

TEST_F(CheckTest, NameOnlyChecksForTheBroker) {
  // Without content: names, units, parties and extensions, nothing read.
  std::vector<FileToCheck> files;
  for (const auto& f : corpus_.Unit("plan_6_7", false)) files.push_back({f.name, "", f.content.size()});
  files.push_back({"scan.pdf", "", 100});
  CheckOptions o;
  o.own_office = "0123456789";
  o.content = false;
  EXPECT_TRUE(CheckSend(Rules::Standard(), files, o).ok());
  files.push_back({"export.zip", "", 100});
  EXPECT_FALSE(CheckSend(Rules::Standard(), files, o).ok());
}

TEST(FindingTest, FormatsLocation) {
  Finding f{"a.CSV", 3, 15, Category::kFormat, "誤り", "wrong"};
  EXPECT_EQ(FormatFinding(f, true), "a.CSV 3行目 15列目: 誤り");
  EXPECT_EQ(FormatFinding(f, false), "a.CSV line 3, column 15: wrong");
  f.line = 0;
  f.column = 0;
  f.file = "";
  EXPECT_EQ(FormatFinding(f, false), "wrong");
}

}  // namespace
}  // namespace tayori::careplan
