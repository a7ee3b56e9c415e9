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
  EXPECT_TRUE(Check({{"memo.txt", ToSjis("申し送り事項です")},
                     {"a.gif", "GIF89a.."},
                     {"b.png", "\x89PNG\r\n\x1a\n..."},
                     {"c.jpeg", "\xff\xd8\xff"}},
                    "1299999999")
                  .ok());
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
    EXPECT_TRUE(Has(r, Category::kFormat, f.name, c.line, c.column)) << c.what << " (deletion=" << deletion << ")\n"
                                                                     << Dump(r);
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

// A corpus record of PREFIX (UTF-8, CRLF) with column COL set to VALUE.
std::string Edited(const std::string& record, int col, const std::string& value) {
  std::vector<std::string> f;
  const std::string line = record.substr(0, record.size() - 2);
  for (size_t start = 0;;) {
    const size_t p = line.find(',', start);
    f.push_back(line.substr(start, p - start));
    if (p == std::string::npos) break;
    start = p + 1;
  }
  f.at(static_cast<size_t>(col) - 1) = value;
  std::string out;
  for (size_t i = 0; i < f.size(); ++i) out += (i ? "," : "") + f[i];
  return out + "\r\n";
}

// Every field rule of the layouts, one valid and one broken file each.
struct FieldCase {
  const char* what;
  std::string prefix;
  std::string month;  // the name's month
  std::string body;   // UTF-8
  int line = -1;      // -1: the file must pass
  int column = -1;
};

TEST_F(CheckTest, LayoutFieldRulesAcceptValidAndLocateBroken) {
  const auto rec = [&](const std::string& prefix, const std::string& month = "202612") {
    return corpus_.Record(prefix, "202407", month, /*sjis=*/false);
  };
  const std::string jsk = rec("UPJSK"), plan = rec("UPPLAN");
  const std::string total = corpus_.Record("UPSIKYU", "202407", "202612", false, 0);
  const std::string sikyu = rec("UPSIKYU");
  const std::string hosoku = rec("UPHOSOKU"), hosoku0 = rec("UPHOSOKU", "000000");
  const std::string dltjsk = rec("DLTJSK");
  const std::vector<FieldCase> cases = {
      // Valid: letters in service codes and types, 9999 times, a trailing blank line.
      {"service code with letters", "UPJSK", "202612", Edited(jsk, 15, "A21111")},
      {"no time: 9999", "UPJSK", "202612", Edited(Edited(jsk, 12, "9999"), 13, "9999")},
      {"over 30 days", "UPPLAN", "202612", Edited(plan, 23, "1")},
      {"count 31", "UPJSK", "202612", Edited(jsk, 14, "31")},
      {"ends in a blank line", "UPJSK", "202612", jsk + jsk + "\r\n"},
      {"ends in blank lines", "UPJSK", "202612", jsk + "\r\n\r\n"},
      {"7表 subtotal and lettered code", "UPSIKYU", "202612",
       Edited(sikyu, 9, "11AAAA") + Edited(sikyu, 9, "A21111") + total},
      {"deletion of actuals, lettered type", "DLTJSK", "202612", Edited(dltjsk, 6, "2A")},
      {"補足 with 1/2/3表", "UPHOSOKU", "000000", hosoku0},
      {"補足 with 6/7表", "UPHOSOKU", "202612", hosoku},
      // Broken.
      {"creation date not a date", "UPJSK", "202612", Edited(jsk, 4, "2026121"), 1, 4},
      {"creation date empty", "UPPLAN", "202612", Edited(plan, 4, ""), 1, 4},
      {"target month not the name's", "UPJSK", "202612", jsk + Edited(jsk, 5, "202611"), 2, 5},
      {"plan target month not the name's", "UPPLAN", "202612", Edited(plan, 5, "202701"), 1, 5},
      {"start 24:00", "UPJSK", "202612", Edited(jsk, 12, "2400"), 1, 12},
      {"start 3 digits", "UPPLAN", "202612", Edited(plan, 12, "930"), 1, 12},
      {"end with a colon", "UPJSK", "202612", Edited(jsk, 13, "10:30"), 1, 13},
      {"end empty", "UPJSK", "202612", Edited(jsk, 13, ""), 1, 13},
      {"count not a number", "UPJSK", "202612", Edited(jsk, 14, "一"), 1, 14},
      {"count empty", "UPJSK", "202612", Edited(jsk, 14, ""), 1, 14},
      {"service code lower case", "UPJSK", "202612", Edited(jsk, 15, "a21111"), 1, 15},
      {"30-day flag 2", "UPJSK", "202612", Edited(jsk, 23, "2"), 1, 23},
      {"30-day flag empty", "UPPLAN", "202612", Edited(plan, 23, ""), 1, 23},
      {"7表 without grand total", "UPSIKYU", "202612", sikyu + sikyu, 0, 0},
      {"7表 grand total office", "UPSIKYU", "202612", sikyu + Edited(total, 7, "1299999999"), 2, 7},
      {"7表 office 9 digits", "UPSIKYU", "202612", Edited(sikyu, 7, "129999999") + total, 1, 7},
      {"7表 service code 7 characters", "UPSIKYU", "202612", Edited(sikyu, 9, "1112111") + total, 1, 9},
      {"7表 target month", "UPSIKYU", "202612", Edited(sikyu, 5, "202611") + total, 1, 5},
      {"7表 creation date", "UPSIKYU", "202612", Edited(sikyu, 4, "20261232") + total, 1, 4},
      {"補足 month 000000 with 6/7表", "UPHOSOKU", "202612", Edited(hosoku, 63, "000000"), 1, 63},
      {"補足 month with 1/2/3表", "UPHOSOKU", "000000", Edited(hosoku0, 63, "202612"), 1, 63},
      {"補足 column 4 with 6/7表", "UPHOSOKU", "202612", Edited(hosoku, 4, "20261201"), 1, 4},
      {"deletion service type 1 character", "DLTJSK", "202612", Edited(dltjsk, 6, "1"), 1, 6},
      {"deletion provider empty", "DLTJSK", "202612", Edited(dltjsk, 5, ""), 1, 5},
      {"blank line between records", "UPJSK", "202612", jsk + "\r\n" + jsk, 2, 0},
  };
  for (const auto& c : cases) {
    CorpusFile f{corpus_.Name(c.prefix, true, c.month), ToSjis(c.body)};
    const std::vector<Finding> found =
        CheckCsvContent(Rules::Standard(), Rules::Standard().ParseName(f.name).name, f.name, f.content);
    CheckReport r;
    r.findings = found;
    if (c.line < 0) {
      EXPECT_TRUE(found.empty()) << c.what << "\n" << Dump(r);
      continue;
    }
    EXPECT_TRUE(Has(r, Category::kFormat, f.name, c.line, c.column)) << c.what << "\n" << Dump(r);
    EXPECT_EQ(found.size(), 1u) << c.what << "\n" << Dump(r);
    for (const auto& finding : found) EXPECT_NE(finding.ja.find("介護ソフト"), std::string::npos) << finding.ja;
  }
}

TEST_F(CheckTest, PreventionKindsHaveTheirColumnCounts) {
  for (const char* prefix :
       {"UPKIHON", "UPKIHON_SUB1", "UPKIHON_SUB2", "UPYOBO", "UPYOBO_SUB", "DLTKIHON", "DLTYOBO"}) {
    const std::string ok = corpus_.Record(prefix, "202407", "", false);
    const std::string name = corpus_.Name(prefix, true);
    const ParsedName parsed = Rules::Standard().ParseName(name).name;
    EXPECT_TRUE(CheckCsvContent(Rules::Standard(), parsed, name, ToSjis(ok)).empty()) << prefix;
    const std::string extra = ok.substr(0, ok.size() - 2) + ",x\r\n";
    auto found = CheckCsvContent(Rules::Standard(), parsed, name, ToSjis(ok + extra));
    ASSERT_EQ(found.size(), 1u) << prefix;
    EXPECT_EQ(found[0].line, 2) << prefix;
  }
}

TEST_F(CheckTest, VersionsEncodingsAndServiceTypesAreNamed) {
  const std::string name = corpus_.Name("UPJSK", true);
  const ParsedName parsed = Rules::Standard().ParseName(name).name;
  const std::string ok = corpus_.Record("UPJSK", "202407", "202612", false);
  auto check = [&](const std::string& bytes) { return CheckCsvContent(Rules::Standard(), parsed, name, bytes); };
  // 202410 is a common slip for 4.1 (202407).
  auto found = check(ToSjis(Edited(ok, 1, "202410")));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].column, 1);
  EXPECT_NE(found[0].ja.find("202407"), std::string::npos) << found[0].ja;
  // UTF-8, with and without a byte-order mark.
  found = check("\xEF\xBB\xBF" + ok);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NE(found[0].ja.find("UTF-8（BOM付き）"), std::string::npos) << found[0].ja;
  EXPECT_NE(found[0].en.find("byte-order mark"), std::string::npos);
  found = check(ok);  // the corpus's text columns in UTF-8
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NE(found[0].ja.find("UTF-8"), std::string::npos) << found[0].ja;
  EXPECT_EQ(found[0].ja.find("BOM"), std::string::npos);
  // 4.0 (202504) goes with three-character service types, 4.1 with two.
  Corpus v40;
  v40.sender_type_ = "430";
  v40.recipient_type_ = "110";
  v40.v4_version_ = "202504";
  for (const auto& unit : {"actuals", "plan_6_7"}) EXPECT_TRUE(Check(v40.Unit(unit, true)).ok()) << unit;
  auto f = v40.File("UPJSK", true);
  f.content = ToSjis(ok);  // 202407 in a name with 430/110
  EXPECT_TRUE(Has(Check({f}), Category::kFormat, f.name, 1, 1)) << Dump(Check({f}));
  f = corpus_.File("UPJSK", true);
  f.content = ToSjis(Edited(ok, 1, "202504"));  // 202504 in a name with 43/11
  EXPECT_TRUE(Has(Check({f}), Category::kFormat, f.name, 1, 1)) << Dump(Check({f}));
  // Letters in 4.1 service types: whole units pass.
  Corpus lettered;
  lettered.sender_type_ = "A1";
  lettered.recipient_type_ = "2A";
  for (const auto& unit : {"actuals", "plan_6_7", "delete_actuals"}) {
    EXPECT_TRUE(Check(lettered.Unit(unit, true)).ok()) << unit << "\n" << Dump(Check(lettered.Unit(unit, true)));
  }
}

TEST_F(CheckTest, A4PlanWithoutTable3IsAWarningNotARefusal) {
  CheckReport r = Check(corpus_.Unit("plan_1_2", true));
  EXPECT_TRUE(r.ok()) << Dump(r);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].severity, Severity::kWarning);
  EXPECT_NE(r.warnings[0].ja.find("UP3KYO"), std::string::npos);
  EXPECT_EQ(FormatFinding(r.warnings[0], false).rfind("warning: ", 0), 0u);
  auto with3 = corpus_.Unit("plan_1_2", true);
  with3.push_back(corpus_.File("UP3KYO", true));
  EXPECT_TRUE(Check(with3).warnings.empty());
  // Version 3 has no 第3表.
  r = Check(corpus_.Unit("plan_1_2", false));
  EXPECT_TRUE(r.ok()) << Dump(r);
  EXPECT_TRUE(r.warnings.empty());
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

namespace tayori::careplan {
namespace {

// Word and Excel files are zips inside; staff are told to save them as PDF,
// not to extract them.
TEST(AttachmentTest, OfficeDocumentsAreToBeSavedAsPdf) {
  const std::string zip = std::string("PK\x03\x04", 4) + std::string(100, 'x');
  for (const char* name : {"assessment.docx", "予定表.XLSX"}) {
    auto findings = CheckAttachmentContent(Rules::Standard(), name, zip);
    ASSERT_EQ(findings.size(), 1u) << name;
    EXPECT_NE(findings[0].ja.find("PDF形式で保存"), std::string::npos) << findings[0].ja;
    EXPECT_EQ(findings[0].ja.find("すべて展開"), std::string::npos);
  }
  auto archive = CheckAttachmentContent(Rules::Standard(), "files.zip", zip);
  ASSERT_EQ(archive.size(), 1u);
  EXPECT_NE(archive[0].ja.find("すべて展開"), std::string::npos);
}

}  // namespace
}  // namespace tayori::careplan

namespace tayori::careplan {
namespace {

// Limits in megabytes, and a single file too large is not told to split
// the send.
TEST(LimitTest, SaysWhatHelps) {
  CheckOptions o;
  o.to = "1299999999";
  o.content = false;
  auto first = [](const CheckReport& r) { return r.findings.empty() ? std::string() : r.findings[0].ja; };
  std::vector<FileToCheck> many;
  for (int i = 0; i < 8; ++i) many.push_back({"p" + std::to_string(i) + ".pdf", "", 1000});
  EXPECT_NE(first(CheckSend(Rules::Standard(), many, o)).find("7個までです（8個あります）"), std::string::npos);
  const std::string one = first(CheckSend(Rules::Standard(), {{"scan.pdf", "", 11u << 20}}, o));
  EXPECT_NE(one.find("このファイルだけで10MBを超えています（11MB）"), std::string::npos) << one;
  const std::string two = first(CheckSend(Rules::Standard(), {{"a.pdf", "", 6u << 20}, {"b.pdf", "", 6u << 20}}, o));
  EXPECT_NE(two.find("合計10MBまでです（合計12MB）"), std::string::npos) << two;
  EXPECT_EQ(two.find("バイト"), std::string::npos);
}

}  // namespace
}  // namespace tayori::careplan
