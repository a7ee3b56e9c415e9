#include "agent/bulk.h"

#include <gtest/gtest.h>

#include "tests/support/careplan_corpus.h"
#include "tests/support/test_util.h"

namespace tayori::agent {
namespace {

using tayori::testing::Corpus;

std::vector<std::string> Names(const std::vector<tayori::testing::CorpusFile>& files, const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& f : files) out.push_back(dir + "/" + f.name);
  return out;
}

TEST(GroupBulkFilesTest, OneSendPerRecipientAndSendUnit) {
  Corpus b("0123456789", "1299999999", "20261121093000");
  Corpus b_later("0123456789", "1299999999", "20261121093100");
  Corpus c("0123456789", "1300000000", "20261121093000");
  std::vector<std::string> files = Names(b.Unit("plan_6_7", true), "/in");
  for (const auto& f : Names(b_later.Unit("plan_1_2", true), "/in")) files.push_back(f);
  for (const auto& f : Names(c.Unit("actuals", true), "/in")) files.push_back(f);
  BulkOptions o;
  o.message = "monthly";
  o.messages["1300000000"] = "for C";
  o.attachments["1299999999"] = {"/in/notes.pdf"};
  auto groups = GroupBulkFiles(files, o);
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  ASSERT_EQ(groups->size(), 3u);
  const BulkGroup& g0 = (*groups)[0];
  const BulkGroup& g1 = (*groups)[1];
  const BulkGroup& g2 = (*groups)[2];
  EXPECT_EQ(g0.recipient, "1299999999");
  EXPECT_EQ(g0.files.size(), 3u + 1u);  // the unit and the attachment
  EXPECT_EQ(g0.files.back(), "/in/notes.pdf");
  EXPECT_EQ(g0.message, "monthly");
  EXPECT_EQ(g1.recipient, "1299999999");
  EXPECT_EQ(g1.files.size(), 3u + 1u);  // every send to that office carries the attachment
  EXPECT_EQ(g2.recipient, "1300000000");
  EXPECT_EQ(g2.files.size(), 1u);
  EXPECT_EQ(g2.message, "for C");
  for (const BulkGroup& g : *groups) EXPECT_EQ(g.state, BulkGroup::kWaiting);
}

TEST(GroupBulkFilesTest, RefusesWhatMakesThePlanImpossible) {
  Corpus b;
  BulkOptions o;
  auto files = Names(b.Unit("actuals", true), "/in");
  files.push_back("/in/plan.csv");
  auto refused = GroupBulkFiles(files, o);
  EXPECT_EQ(refused.status().reason(), "name_invalid");
  EXPECT_NE(refused.status().detail().find("plan.csv"), std::string::npos);

  EXPECT_EQ(GroupBulkFiles({}, o).status().reason(), "usage");
  o.attachments["1400000000"] = {"/in/x.pdf"};
  EXPECT_EQ(GroupBulkFiles(Names(b.Unit("actuals", true), "/in"), o).status().reason(), "usage");
}

// A plan (第1表・第2表・補足) and a 利用票 (第6表・第7表・補足) exported together
// for one office share a time stamp but are two sends.
TEST(GroupBulkFilesTest, TwoUnitsOfOneExportAreTwoSends) {
  Corpus b("0123456789", "1299999999", "20261121093000");
  std::vector<std::string> files = Names(b.Unit("plan_1_2", true), "/in");
  for (const auto& f : Names(b.Unit("plan_6_7", true), "/in")) files.push_back(f);
  auto groups = GroupBulkFiles(files, BulkOptions());
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  ASSERT_EQ(groups->size(), 2u);
  EXPECT_EQ((*groups)[0].files.size() + (*groups)[1].files.size(), files.size());
  for (const BulkGroup& g : *groups) {
    int supplements = 0;
    for (const auto& f : g.files) supplements += BaseName(f).rfind("UPHOSOKU", 0) == 0;
    EXPECT_EQ(supplements, 1);
  }
}

// A PDF lying in the export folder: with one recipient it goes with its
// sends; with several it is shown, unsent, and holds nothing else up.
TEST(GroupBulkFilesTest, LoosePdfsNeverRefuseTheBulk) {
  Corpus b("0123456789", "1299999999", "20261121093000");
  Corpus c("0123456789", "1300000000", "20261121093000");
  std::vector<std::string> files = Names(b.Unit("actuals", true), "/in");
  files.push_back("/in/notes.pdf");
  auto one = GroupBulkFiles(files, BulkOptions());
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ(one->front().files.back(), "/in/notes.pdf");
  for (const auto& f : Names(c.Unit("actuals", true), "/in")) files.push_back(f);
  auto two = GroupBulkFiles(files, BulkOptions());
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  ASSERT_EQ(two->size(), 3u);
  const BulkGroup& loose = two->back();
  EXPECT_TRUE(loose.recipient.empty());
  EXPECT_EQ(loose.state, BulkGroup::kFailed);
  ASSERT_EQ(loose.problems.size(), 1u);
  EXPECT_NE(loose.problems[0].ja.find("--attach"), std::string::npos);
  EXPECT_EQ((*two)[0].state, BulkGroup::kWaiting);
}

TEST(GroupBulkFilesTest, AtMostFiftySends) {
  std::vector<std::string> files;
  for (size_t i = 0; i <= kMaxBulkGroups; ++i) {
    const std::string stamp = "202611210930" + std::string(i < 10 ? "0" : "") + std::to_string(i);
    Corpus c("0123456789", "1299999999", stamp);
    files.push_back("/in/" + c.Name("UPJSK", true));
  }
  EXPECT_EQ(GroupBulkFiles(files, BulkOptions()).status().reason(), "bulk_too_large");
  files.pop_back();
  auto groups = GroupBulkFiles(files, BulkOptions());
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  EXPECT_EQ(groups->size(), kMaxBulkGroups);
}

TEST(ExpandBulkInputsTest, FilesAndTheFilesInFolders) {
  tayori::testing::TempDir dir;
  FakeEnv env(0);
  ASSERT_TRUE(env.CreateDirs(dir.Sub("folder/sub"), 0755).ok());
  for (const char* name : {"folder/a.CSV", "folder/.hidden.CSV", "folder/sub/deep.CSV", "single.CSV"}) {
    ASSERT_TRUE(env.WriteFileAtomic(dir.Sub(name), "x").ok());
  }
  auto files = ExpandBulkInputs({dir.Sub("folder"), dir.Sub("single.CSV")}, &env);
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(*files, (std::vector<std::string>{dir.Sub("folder/a.CSV"), dir.Sub("single.CSV")}));
  EXPECT_EQ(ExpandBulkInputs({dir.Sub("missing")}, &env).status().reason(), "file_unreadable");
}

}  // namespace
}  // namespace tayori::agent
