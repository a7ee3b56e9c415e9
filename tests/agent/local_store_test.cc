#include "agent/local_store.h"

#include <gtest/gtest.h>

#include "common/ids.h"
#include "tests/support/test_util.h"

namespace tayori::agent {
namespace {

class LocalStoreTest : public ::testing::Test {
 protected:
  LocalStoreTest() : env_(1795000000000), store_(dir_.path(), &env_) {}
  void SetUp() override { ASSERT_TRUE(store_.CreateFolders().ok()); }

  std::string Id() {
    env_.Advance(1);
    return NewId(env_.NowMillis());
  }
  void Garble(const std::string& relative) {
    ASSERT_TRUE(env_.WriteFileAtomic(dir_.Sub(relative), "\xff\xff\xff not a record").ok());
  }

  tayori::testing::TempDir dir_;
  FakeEnv env_;
  LocalStore store_;
};

pb::OutboxRecord Outbox(const std::string& send_id) {
  pb::Manifest m;
  m.set_send_id(send_id);
  m.set_recipient_office("1299999999");
  pb::OutboxRecord r;
  r.set_send_id(send_id);
  r.set_send_key(std::string(32, 'k'));
  r.mutable_signed_()->set_manifest(m.SerializeAsString());
  r.add_paths("/data/plan.csv");
  r.set_message("hello");
  return r;
}

TEST_F(LocalStoreTest, OutboxRoundTrip) {
  const std::string a = Id(), b = Id();
  ASSERT_TRUE(store_.PutOutbox(Outbox(a)).ok());
  ASSERT_TRUE(store_.PutOutbox(Outbox(b)).ok());
  // A temp file a crash left behind is not a record.
  ASSERT_TRUE(env_.WriteFileAtomic(dir_.Sub("outbox/" + b + ".pb.tmp"), "partial").ok());
  auto list = store_.ListOutbox();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].send_id(), a);
  EXPECT_EQ((*list)[1].message(), "hello");
  auto m = StoredManifest((*list)[0].signed_(), "outbox record");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->recipient_office(), "1299999999");
  ASSERT_TRUE(store_.RemoveOutbox(a).ok());
  EXPECT_EQ(store_.ListOutbox()->size(), 1u);
}

TEST_F(LocalStoreTest, SentAndReceivedRoundTrip) {
  const std::string id = Id();
  pb::SentRecord sent;
  sent.set_message_id(id);
  sent.set_message("monthly plan");
  sent.add_file_names("plan.csv");
  ASSERT_TRUE(store_.PutSent(sent).ok());
  auto back = store_.GetSent(id);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->message(), "monthly plan");
  EXPECT_EQ(store_.GetSent(Id()).status().code(), Code::kNotFound);

  pb::ReceivedRecord received;
  received.mutable_entry()->set_message_id(id);
  received.add_saved_paths("/recv/plan.csv");
  received.set_downloaded_unix(1795000000);
  ASSERT_TRUE(store_.PutReceived(id, received).ok());
  auto got = store_.GetReceived(id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->saved_paths(0), "/recv/plan.csv");
  EXPECT_EQ(got->downloaded_unix(), 1795000000);
  EXPECT_EQ(store_.GetReceived(Id()).status().code(), Code::kNotFound);
}

TEST_F(LocalStoreTest, SeenKeepsIdsOnce) {
  EXPECT_TRUE(store_.Seen()->empty());  // no file yet
  const std::string a = Id(), b = Id();
  ASSERT_TRUE(store_.MarkSeen({a}).ok());
  ASSERT_TRUE(store_.MarkSeen({a, b}).ok());
  auto seen = store_.Seen();
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(*seen, (std::set<std::string>{a, b}));
  EXPECT_EQ(*env_.ReadFile(dir_.Sub("seen.txt")), a + "\n" + b + "\n");
}

TEST_F(LocalStoreTest, DraftsRoundTrip) {
  pb::Draft d;
  d.set_id(Id());
  d.set_to("1299999999");
  ASSERT_TRUE(store_.PutDraft(d).ok());
  EXPECT_EQ(store_.GetDraft(d.id())->to(), "1299999999");
  EXPECT_EQ(store_.ListDrafts()->size(), 1u);
  ASSERT_TRUE(store_.DeleteDraft(d.id()).ok());
  EXPECT_EQ(store_.GetDraft(d.id()).status().reason(), "draft_not_found");
  EXPECT_EQ(store_.DeleteDraft(d.id()).reason(), "draft_not_found");
  EXPECT_EQ(store_.GetDraft("../../etc/passwd").status().reason(), "draft_not_found");
}

TEST_F(LocalStoreTest, CorruptRecordsAreErrorsNamingTheFile) {
  const std::string id = Id();
  Garble("sent/" + id + ".pb");
  Garble("received/" + id + ".pb");
  Garble("outbox/" + id + ".pb");
  for (const Status& st :
       {store_.GetSent(id).status(), store_.GetReceived(id).status(), store_.ListOutbox().status()}) {
    EXPECT_EQ(st.code(), Code::kDataLoss) << st.ToString();
    EXPECT_NE(st.detail().find(id + ".pb"), std::string::npos) << st.detail();
  }
  pb::Draft d;
  d.set_id(Id());
  ASSERT_TRUE(store_.PutDraft(d).ok());
  Garble("drafts/" + d.id() + ".pb");
  EXPECT_EQ(store_.GetDraft(d.id()).status().code(), Code::kDataLoss);
  EXPECT_EQ(store_.ListDrafts().status().code(), Code::kDataLoss);
  ASSERT_TRUE(env_.WriteFileAtomic(dir_.Sub("seen.txt"), "not an id\n").ok());
  EXPECT_EQ(store_.Seen().status().code(), Code::kDataLoss);
}

// An Env whose folder listings name one more record than the folder holds:
// a record removed between the listing and its read, as when another
// thread's send is accepted (its outbox entry removed) while a send of the
// same bulk looks for one to resume.
class VanishingEnv : public FakeEnv {
 public:
  explicit VanishingEnv(const std::string& id) : FakeEnv(1795000000000), id_(id) {}
  std::vector<std::string> GetChildren(const std::string& dir) override {
    std::vector<std::string> children = FakeEnv::GetChildren(dir);
    children.push_back(id_ + ".pb");
    return children;
  }

 private:
  const std::string id_;
};

TEST(LocalStoreListingTest, ARecordRemovedWhileListingIsLeftOut) {
  tayori::testing::TempDir dir;
  VanishingEnv env("01M99KXF87ZG1X6NKQWHJYRETJ");
  LocalStore store(dir.path(), &env);
  ASSERT_TRUE(store.CreateFolders().ok());
  ASSERT_TRUE(store.PutOutbox(Outbox("01M99KXF87ZG1X6NKQWHJYRETA")).ok());
  pb::SentRecord sent;
  sent.set_message_id("01M99KXF87ZG1X6NKQWHJYRETB");
  ASSERT_TRUE(store.PutSent(sent).ok());
  pb::Draft draft;
  draft.set_id("01M99KXF87ZG1X6NKQWHJYRETC");
  ASSERT_TRUE(store.PutDraft(draft).ok());

  auto outbox = store.ListOutbox();
  ASSERT_TRUE(outbox.ok()) << outbox.status().ToString();
  ASSERT_EQ(outbox->size(), 1u);
  EXPECT_EQ((*outbox)[0].send_id(), "01M99KXF87ZG1X6NKQWHJYRETA");
  auto sent_list = store.ListSent();
  ASSERT_TRUE(sent_list.ok()) << sent_list.status().ToString();
  ASSERT_EQ(sent_list->size(), 1u);
  auto drafts = store.ListDrafts();
  ASSERT_TRUE(drafts.ok()) << drafts.status().ToString();
  ASSERT_EQ(drafts->size(), 1u);
  // Finding a send by its id lists the history too.
  auto found = store.FindSentBySendId("none");
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_FALSE(found->has_value());
}

TEST_F(LocalStoreTest, CorruptManifestInARecordIsAnError) {
  pb::SignedManifest s;
  s.set_manifest("\xff\xff\xff");
  auto m = StoredManifest(s, "outbox record X");
  EXPECT_EQ(m.status().code(), Code::kDataLoss);
  EXPECT_NE(m.status().detail().find("outbox record X"), std::string::npos);
}

TEST(AbsolutePathTest, RelativePathsAreMadeAbsolute) {
  EXPECT_EQ(AbsolutePath("/a/b.csv"), "/a/b.csv");
  const std::string abs = AbsolutePath("b.csv");
  EXPECT_EQ(abs.front(), '/');
  EXPECT_EQ(BaseName(abs), "b.csv");
}

}  // namespace
}  // namespace tayori::agent
