#include "common/careplan/rules.h"

#include <gtest/gtest.h>

namespace tayori::careplan {
namespace {

const Rules& R() { return Rules::Standard(); }

TEST(RulesTest, StandardTableLoads) {
  EXPECT_EQ(R().kinds().size(), 17u);
  EXPECT_EQ(R().units().size(), 11u);
  EXPECT_EQ(R().max_files(), 7u);
  EXPECT_EQ(R().FindKind("UPPLAN")->layouts.at("202407").columns, 25);
  EXPECT_EQ(R().FindKind("UPSIKYU")->layouts.at("202208").columns, 34);
  EXPECT_NE(R().FindVersion("202407"), nullptr);
  EXPECT_EQ(R().FindVersion("202501"), nullptr);
}

TEST(RulesTest, ParsesBothNamingGenerations) {
  NameCheck v3 = R().ParseName("UPPLAN_201912_0300000100_0300000005_20191025200201.CSV");
  ASSERT_TRUE(v3.ok) << v3.problem.en;
  EXPECT_EQ(v3.name.kind->prefix, "UPPLAN");
  EXPECT_EQ(v3.name.naming, Naming::kV3);
  EXPECT_EQ(v3.name.month, "201912");
  EXPECT_EQ(v3.name.sender, "0300000100");
  EXPECT_EQ(v3.name.recipient, "0300000005");
  EXPECT_EQ(v3.name.stamp, "20191025200201");

  NameCheck v4 = R().ParseName("UPPLAN_201912_0300000100_43_0300000005_11_20191025200201.CSV");
  ASSERT_TRUE(v4.ok) << v4.problem.en;
  EXPECT_EQ(v4.name.naming, Naming::kV4);
  EXPECT_EQ(v4.name.sender_type, "43");
  EXPECT_EQ(v4.name.recipient_type, "11");

  // v4.0's three-digit service codes; no month for table 1; lower-case extension.
  EXPECT_TRUE(R().ParseName("UPPLAN_201912_0300000100_430_0300000005_110_20191025200201.CSV").ok);
  EXPECT_TRUE(R().ParseName("UP1KYO_0123456789_1299999999_20221017123456.csv").ok);
  EXPECT_TRUE(R().ParseName("UPHOSOKU_000000_0123456789_1299999999_20221017123456.CSV").ok);
}

TEST(RulesTest, LongestPrefixWins) {
  NameCheck n = R().ParseName("UPKIHON_SUB1_0123456789_43_1299999999_11_20261121093000.CSV");
  ASSERT_TRUE(n.ok) << n.problem.en;
  EXPECT_EQ(n.name.kind->prefix, "UPKIHON_SUB1");
  EXPECT_EQ(R().ParseName("UPKIHON_0123456789_43_1299999999_11_20261121093000.CSV").name.kind->prefix, "UPKIHON");
}

TEST(RulesTest, RefusesNonStandardNames) {
  for (const char* bad : {
           "UPPLAN_201912_0300000100_0300000005_20191025200201.TXT",       // extension
           "UPPLAN_201912_0300000100_0300000005_20191025200201.Csv",       // extension case
           "A事業所_12月分_提供票.CSV",                                    // renamed by hand
           "UPPLANX_201912_0300000100_0300000005_20191025200201.CSV",      // unknown kind
           "UPPLAN_0300000100_0300000005_20191025200201.CSV",              // month missing
           "UPPLAN_201913_0300000100_0300000005_20191025200201.CSV",       // month 13
           "UPPLAN_000000_0300000100_0300000005_20191025200201.CSV",       // 000000 only for 補足
           "UPPLAN_201912_030000010_0300000005_20191025200201.CSV",        // 9-digit office
           "UPPLAN_201912_0300000100_0300000005_20191025250201.CSV",       // hour 25
           "UPPLAN_201912_0300000100_0300000005_2019102520020.CSV",        // short stamp
           "UPPLAN_201912_0300000100_0300000005_20191025200201_1.CSV",     // extra part
           "UPPLAN_201912_0300000100_4_0300000005_11_20191025200201.CSV",  // 1-character type
           "UP3KYO_0123456789_1299999999_20221017123456.CSV",              // 第3表 is v4 only
           "UPKIHON_0123456789_1299999999_20221017123456.CSV",             // prevention: v4 only
           ".CSV",
           "",
           "_.CSV",
           "UPPLAN_.CSV",
       }) {
    NameCheck n = R().ParseName(bad);
    EXPECT_FALSE(n.ok) << bad;
    EXPECT_EQ(n.problem.category, Category::kName) << bad;
    EXPECT_FALSE(n.problem.ja.empty());
    EXPECT_FALSE(n.problem.en.empty());
  }
}

TEST(RulesTest, BrokenTablesAreRefused) {
  EXPECT_FALSE(Rules::Parse("").ok());
  EXPECT_FALSE(Rules::Parse("kinds: [").ok());
  const std::string ok_versions = "csv_versions: [{code: '202407', naming: v4, service_type: '[0-9A-Z]{2}'}]\n";
  const std::string kind =
      "kinds: [{prefix: UPX, title: x, title_en: x, action: registration, month: none, naming: [v4]}]\n";
  EXPECT_TRUE(Rules::Parse(ok_versions + kind + "units: [{id: u, title: x, title_en: x, required: [UPX]}]\n").ok());
  EXPECT_FALSE(Rules::Parse(ok_versions + kind + "units: [{id: u, title: x, title_en: x, required: [UPY]}]\n").ok());
  EXPECT_FALSE(Rules::Parse("csv_versions: [{code: '2024', naming: v4}]\n" + kind +
                            "units: [{id: u, title: x, title_en: x, required: [UPX]}]\n")
                   .ok());
  EXPECT_FALSE(
      Rules::Parse(ok_versions +
                   "kinds: [{prefix: UPX, title: x, title_en: x, action: maybe, month: none, naming: [v4]}]\n" +
                   "units: [{id: u, title: x, title_en: x, required: [UPX]}]\n")
          .ok());
  // A v4 version says what service types in its names look like.
  EXPECT_FALSE(Rules::Parse("csv_versions: [{code: '202407', naming: v4}]\n" + kind +
                            "units: [{id: u, title: x, title_en: x, required: [UPX]}]\n")
                   .ok());
  // Field rules that cannot be applied.
  const std::string unit = "units: [{id: u, title: x, title_en: x, required: [UPX]}]\n";
  auto with_field = [&](const std::string& field) {
    return ok_versions +
           "kinds: [{prefix: UPX, title: x, title_en: x, action: registration, month: none, naming: [v4], "
           "layouts: {'202407': {columns: 5, fields: [" +
           field + "]}}}]\n" + unit;
  };
  EXPECT_TRUE(Rules::Parse(with_field("{column: 5, format: code, pattern: '[0-9A-Z]{6}'}")).ok());
  for (const char* bad :
       {"{column: 5, format: colour}", "{column: 5, format: code}", "{column: 5, format: code, pattern: '[0-9'}",
        "{column: 5, format: enum}", "{column: 6, format: date}", "{column: 0, format: date}",
        "{column: 5, format: month, equals: name_day}", "{column: 5, format: month, when: never}"}) {
    EXPECT_FALSE(Rules::Parse(with_field(bad)).ok()) << bad;
  }
  // A recommended kind must be one the unit may carry.
  EXPECT_FALSE(Rules::Parse(ok_versions + kind +
                            "units: [{id: u, title: x, title_en: x, required: [UPX], recommended: [UPX]}]\n")
                   .ok());
}

TEST(RulesTest, ServiceTypesInV4NamesMayHoldLetters) {
  // 総合事業 and other types: 2A, 2B, A1-A8; v4.0's three characters.
  for (const char* good : {"UPPLAN_202612_0123456789_43_1299999999_2A_20261121093000.CSV",
                           "UPJSK_202612_0123456789_A1_1299999999_43_20261121093000.CSV",
                           "UP1KYO_0123456789_43_1299999999_A8_20261121093000.CSV",
                           "UPPLAN_202612_0123456789_430_1299999999_2A0_20261121093000.CSV"}) {
    NameCheck n = R().ParseName(good);
    EXPECT_TRUE(n.ok) << good << ": " << n.problem.en;
  }
  for (const char* bad : {"UPPLAN_202612_0123456789_43_1299999999_2a_20261121093000.CSV",   // lower case
                          "UPPLAN_202612_0123456789_43_1299999999_110_20261121093000.CSV",  // 2 and 3 mixed
                          "UPPLAN_202612_0123456789_43_1299999999_1-_20261121093000.CSV"}) {
    EXPECT_FALSE(R().ParseName(bad).ok) << bad;
  }
}

TEST(RulesTest, VersionsGoWithTheirServiceTypes) {
  ASSERT_NE(R().FindVersion("202504"), nullptr);
  EXPECT_TRUE(R().FindVersion("202504")->service_type.Matches("430"));
  EXPECT_FALSE(R().FindVersion("202407")->service_type.Matches("430"));
  EXPECT_EQ(R().FindVersion("202410"), nullptr);
  ASSERT_NE(R().FindVersionMistake("202410"), nullptr);
  EXPECT_NE(R().FindVersionMistake("202410")->ja.find("202407"), std::string::npos);
}

TEST(RulesTest, PreventionLayoutsHaveTheirColumnCounts) {
  const std::pair<const char*, int> counts[] = {{"UPKIHON", 71}, {"UPKIHON_SUB1", 7}, {"UPKIHON_SUB2", 11},
                                                {"UPYOBO", 57},  {"UPYOBO_SUB", 17},  {"DLTKIHON", 4},
                                                {"DLTYOBO", 4}};
  for (const auto& [prefix, columns] : counts) {
    EXPECT_EQ(R().FindKind(prefix)->layouts.at("202407").columns, columns) << prefix;
  }
}

TEST(PatternTest, CharacterClassesWithCounts) {
  auto code = Pattern::Compile("[0-9A-Z]{6}");
  ASSERT_TRUE(code.ok());
  for (const char* s : {"A21111", "999999", "11AAAA", "11ZZZZ"}) EXPECT_TRUE(code->Matches(s)) << s;
  for (const char* s : {"a21111", "A2111", "A211111", "", "A2111 "}) EXPECT_FALSE(code->Matches(s)) << s;
  auto insured = Pattern::Compile("[0-9H][0-9]{9}");
  ASSERT_TRUE(insured.ok());
  EXPECT_TRUE(insured->Matches("H000012345"));
  EXPECT_FALSE(insured->Matches("X000012345"));
  auto counted = Pattern::Compile("[0-9]{1,3}9");
  ASSERT_TRUE(counted.ok());
  EXPECT_TRUE(counted->Matches("19"));
  EXPECT_TRUE(counted->Matches("9999"));
  EXPECT_FALSE(counted->Matches("99999"));
  for (const char* bad : {"[", "[]", "[9-0]", "x{", "{3}", "x{0}", "x{3,1}", "x{a}"}) {
    EXPECT_FALSE(Pattern::Compile(bad).ok()) << bad;
  }
}

TEST(RulesTest, DatesMonthsAndTimes) {
  EXPECT_TRUE(IsYmdDate("20240229"));
  EXPECT_FALSE(IsYmdDate("20250229"));
  EXPECT_FALSE(IsYmdDate("20261231 "));
  EXPECT_FALSE(IsYmdDate("19891231"));
  EXPECT_TRUE(IsYearMonth("202612"));
  EXPECT_FALSE(IsYearMonth("202613"));
  EXPECT_TRUE(IsHhmm("2359"));
  EXPECT_TRUE(IsHhmm("0000"));
  EXPECT_FALSE(IsHhmm("2400"));
  EXPECT_FALSE(IsHhmm("0960"));
  EXPECT_FALSE(IsHhmm("930"));
}

}  // namespace
}  // namespace tayori::careplan
