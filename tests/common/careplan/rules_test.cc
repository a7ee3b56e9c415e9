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
           "UPPLAN_201912_0300000100_0300000005_20191025200201.TXT",   // extension
           "UPPLAN_201912_0300000100_0300000005_20191025200201.Csv",   // extension case
           "A事業所_12月分_提供票.CSV",                                   // renamed by hand
           "UPPLANX_201912_0300000100_0300000005_20191025200201.CSV",  // unknown kind
           "UPPLAN_0300000100_0300000005_20191025200201.CSV",          // month missing
           "UPPLAN_201913_0300000100_0300000005_20191025200201.CSV",   // month 13
           "UPPLAN_000000_0300000100_0300000005_20191025200201.CSV",   // 000000 only for 補足
           "UPPLAN_201912_030000010_0300000005_20191025200201.CSV",    // 9-digit office
           "UPPLAN_201912_0300000100_0300000005_20191025250201.CSV",   // hour 25
           "UPPLAN_201912_0300000100_0300000005_2019102520020.CSV",    // short stamp
           "UPPLAN_201912_0300000100_0300000005_20191025200201_1.CSV", // extra part
           "UPPLAN_201912_0300000100_4_0300000005_11_20191025200201.CSV",  // 1-digit type
           "UP3KYO_0123456789_1299999999_20221017123456.CSV",          // 第3表 is v4 only
           "UPKIHON_0123456789_1299999999_20221017123456.CSV",         // prevention: v4 only
           ".CSV", "", "_.CSV", "UPPLAN_.CSV",
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
  const std::string ok_versions = "csv_versions: [{code: '202407', naming: v4}]\n";
  const std::string kind = "kinds: [{prefix: UPX, title: x, title_en: x, action: registration, month: none, naming: [v4]}]\n";
  EXPECT_TRUE(Rules::Parse(ok_versions + kind + "units: [{id: u, title: x, title_en: x, required: [UPX]}]\n").ok());
  EXPECT_FALSE(Rules::Parse(ok_versions + kind + "units: [{id: u, title: x, title_en: x, required: [UPY]}]\n").ok());
  EXPECT_FALSE(Rules::Parse("csv_versions: [{code: '2024', naming: v4}]\n" + kind +
                            "units: [{id: u, title: x, title_en: x, required: [UPX]}]\n").ok());
  EXPECT_FALSE(Rules::Parse(ok_versions + "kinds: [{prefix: UPX, title: x, title_en: x, action: maybe, month: none, naming: [v4]}]\n" +
                            "units: [{id: u, title: x, title_en: x, required: [UPX]}]\n").ok());
}

}  // namespace
}  // namespace tayori::careplan
