#include "agent/drafts.h"

#include <gtest/gtest.h>

#include "tests/support/test_util.h"

namespace tayori::agent {
namespace {

class DraftStoreTest : public ::testing::Test {
 protected:
  DraftStoreTest() : env_(1795000000000), drafts_(dir_.Sub("home"), &env_) {}

  std::string Source(const std::string& name, const std::string& content) {
    const std::string path = dir_.Sub(name);
    EXPECT_TRUE(env_.WriteFileAtomic(path, content).ok());
    return path;
  }

  tayori::testing::TempDir dir_;
  FakeEnv env_;
  DraftStore drafts_;
};

TEST_F(DraftStoreTest, CreateGetPutListDelete) {
  const std::string plan = Source("plan.pdf", "%PDF-1.7 plan");
  auto d = drafts_.Create("1299999999", "for December", {plan});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->created_unix(), 1795000000);
  auto got = drafts_.Get(d->id());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->to(), "1299999999");
  EXPECT_EQ(got->message(), "for December");
  ASSERT_EQ(got->paths_size(), 1);
  EXPECT_EQ(got->paths(0), plan);

  env_.Advance(60000);
  got->set_message("for January");
  ASSERT_TRUE(drafts_.Put(*got).ok());
  EXPECT_EQ(drafts_.Get(d->id())->message(), "for January");
  EXPECT_EQ(drafts_.Get(d->id())->updated_unix(), 1795000060);

  auto second = drafts_.Create("", "", {plan}, "bulk-1");
  ASSERT_TRUE(second.ok());
  auto list = drafts_.List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id(), d->id());  // oldest first
  EXPECT_EQ((*list)[1].bulk_id(), "bulk-1");

  ASSERT_TRUE(drafts_.Delete(d->id()).ok());
  EXPECT_EQ(drafts_.Get(d->id()).status().reason(), "draft_not_found");
  EXPECT_EQ(drafts_.List()->size(), 1u);
}

TEST_F(DraftStoreTest, ADraftReferencesItsFilesAndNeverCopiesThem) {
  const std::string marker = "unique-draft-content-7f3a";
  const std::string plan = Source("plan.pdf", "%PDF-1.7 " + marker);
  auto d = drafts_.Create("1299999999", "", {plan});
  ASSERT_TRUE(d.ok());
  std::string where;
  EXPECT_FALSE(tayori::testing::TreeContains(dir_.Sub("home"), marker, &where)) << where;
  EXPECT_EQ(env_.GetChildren(dir_.Sub("home/drafts")), std::vector<std::string>{d->id() + ".pb"});
  // The file changes after the draft was made: the draft sees the change.
  ASSERT_TRUE(env_.WriteFileAtomic(plan, "%PDF-1.7 changed").ok());
  EXPECT_EQ(drafts_.Get(d->id())->paths(0), plan);
}

TEST_F(DraftStoreTest, RelativePathsAreStoredAbsolute) {
  auto d = drafts_.Create("", "", {"relative/plan.pdf"});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->paths(0), AbsolutePath("relative/plan.pdf"));
  EXPECT_EQ(d->paths(0).front(), '/');
}

TEST_F(DraftStoreTest, RefusesBadOfficeAndUnknownIds) {
  EXPECT_FALSE(drafts_.Create("12", "", {}).ok());
  EXPECT_EQ(drafts_.Get("not-an-id").status().reason(), "draft_not_found");
  EXPECT_EQ(drafts_.Delete("01KAAAAAAAAAAAAAAAAAAAAAAA").reason(), "draft_not_found");
  EXPECT_TRUE(drafts_.List()->empty());  // no drafts folder yet
}

}  // namespace
}  // namespace tayori::agent
