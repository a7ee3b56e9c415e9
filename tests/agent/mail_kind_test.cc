#include "agent/mail_kind.h"

#include <gtest/gtest.h>

namespace tayori::agent {
namespace {

pb::Manifest WithFiles(std::initializer_list<const char*> names) {
  pb::Manifest m;
  for (const char* n : names) m.add_files()->set_name(n);
  return m;
}

TEST(MailKindTest, StandardCsvsAreRegistration) {
  EXPECT_EQ(MailKindOf(WithFiles({"UTF_0123456789_202611.csv", "note.pdf"})), MailKind::kRegistration);
  EXPECT_EQ(MailKindOf(WithFiles({"UTF_0123456789_202611.CSV"})), MailKind::kRegistration);
}

TEST(MailKindTest, AnyDeletionCsvMakesItDeletion) {
  EXPECT_EQ(MailKindOf(WithFiles({"UTF_0123456789.csv", "DLT_0123456789.csv"})), MailKind::kDeletion);
  EXPECT_EQ(MailKindOf(WithFiles({"DLT_0123456789.CSV"})), MailKind::kDeletion);
}

TEST(MailKindTest, NoCsvIsOther) {
  EXPECT_EQ(MailKindOf(WithFiles({"plan.pdf", "photo.png"})), MailKind::kOther);
  // A deletion prefix on a file that is not a CSV says nothing.
  EXPECT_EQ(MailKindOf(WithFiles({"DLT_0123456789.pdf"})), MailKind::kOther);
}

TEST(MailKindTest, OddNamesAreNotCsvs) {
  EXPECT_EQ(MailKindOf(pb::Manifest()), MailKind::kOther);            // no files at all
  EXPECT_EQ(MailKindOf(WithFiles({".csv"})), MailKind::kOther);       // nothing before the extension
  EXPECT_EQ(MailKindOf(WithFiles({"DLT_1.Csv"})), MailKind::kOther);  // mixed case
  EXPECT_EQ(MailKindOf(WithFiles({"", "csv", "x.csv.pdf"})), MailKind::kOther);
}

TEST(MailKindTest, LabelsInBothLanguages) {
  EXPECT_STREQ(MailKindLabel(MailKind::kRegistration, Lang::kJa), "登録");
  EXPECT_STREQ(MailKindLabel(MailKind::kDeletion, Lang::kJa), "削除");
  EXPECT_STREQ(MailKindLabel(MailKind::kOther, Lang::kJa), "PDF等");
  EXPECT_STREQ(MailKindLabel(MailKind::kRegistration, Lang::kEn), "registration");
  EXPECT_STREQ(MailKindLabel(MailKind::kDeletion, Lang::kEn), "deletion");
  EXPECT_STREQ(MailKindLabel(MailKind::kOther, Lang::kEn), "other");
}

}  // namespace
}  // namespace tayori::agent
