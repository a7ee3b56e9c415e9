#include "agent/draft_edit.h"

#include <gtest/gtest.h>

#include <unistd.h>

namespace tayori::agent {
namespace {

pb::Draft Sample() {
  pb::Draft d;
  d.set_id("D1");
  d.set_to("0123456789");
  d.set_message("12月分");
  d.add_paths("/exports/a.csv");
  d.add_paths("/exports/b.pdf");
  return d;
}

TEST(DraftEditTest, EmptyEditKeepsEverything) {
  auto d = ApplyDraftEdit(Sample(), DraftEdit());
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->SerializeAsString(), Sample().SerializeAsString());
}

TEST(DraftEditTest, ChangesRecipientAndMessage) {
  DraftEdit edit;
  edit.to = "1299999999";
  edit.message = "";  // set, though empty: clears the message
  auto d = ApplyDraftEdit(Sample(), edit);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->to(), "1299999999");
  EXPECT_EQ(d->message(), "");
}

TEST(DraftEditTest, AddsFilesAsAbsolutePaths) {
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  DraftEdit edit;
  edit.add = {"c.png", "/abs/d.csv"};
  auto d = ApplyDraftEdit(Sample(), edit);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->paths_size(), 4);
  EXPECT_EQ(d->paths(2), std::string(cwd) + "/c.png");
  EXPECT_EQ(d->paths(3), "/abs/d.csv");
}

TEST(DraftEditTest, RemovesByNameIncludingJustAdded) {
  DraftEdit edit;
  edit.add = {"/other/a.csv"};
  edit.remove = {"a.csv"};  // every file of that name goes
  auto d = ApplyDraftEdit(Sample(), edit);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->paths_size(), 1);
  EXPECT_EQ(d->paths(0), "/exports/b.pdf");
}

TEST(DraftEditTest, RefusesABadOfficeNumber) {
  for (const char* bad : {"12", "01234567890", "01234x6789", " 0123456789"}) {
    DraftEdit edit;
    edit.to = bad;
    auto d = ApplyDraftEdit(Sample(), edit);
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_EQ(d.status().code(), Code::kInvalidArgument);
  }
}

TEST(DraftEditTest, RefusesANameTheDraftLacks) {
  DraftEdit edit;
  edit.remove = {"b.pdf", "zzz.csv"};
  auto d = ApplyDraftEdit(Sample(), edit);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(d.status().reason(), "usage");
  EXPECT_EQ(d.status().detail(), "the draft has no file zzz.csv");
}

TEST(DraftEditTest, RemovingTheSameNameTwiceFails) {
  DraftEdit edit;
  edit.remove = {"b.pdf", "b.pdf"};
  auto d = ApplyDraftEdit(Sample(), edit);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().detail(), "the draft has no file b.pdf");
}

TEST(DraftEditTest, AWholePathIsNotAName) {
  DraftEdit edit;
  edit.remove = {"/exports/a.csv"};
  EXPECT_FALSE(ApplyDraftEdit(Sample(), edit).ok());
}

}  // namespace
}  // namespace tayori::agent
