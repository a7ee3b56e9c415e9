#include "broker/rocksdb_mailbox_store.h"

#include <gtest/gtest.h>

#include "common/ids.h"
#include "tests/support/test_util.h"

namespace tayori::broker {
namespace {

pb::MessageRecord Message(const std::string& id, const std::string& from, const std::string& to) {
  pb::MessageRecord r;
  r.set_message_id(id);
  r.set_sender_office(from);
  r.set_recipient_office(to);
  r.set_send_id("S" + id.substr(1));
  r.set_state(pb::UPLOADING);
  return r;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = RocksDbMailboxStore::Open(dir_.Sub("db"));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  testing::TempDir dir_;
  std::unique_ptr<RocksDbMailboxStore> store_;
};

TEST_F(StoreTest, RegistryAndCurveIndex) {
  pb::OfficeRecord o;
  o.set_office("0123456789");
  o.set_name("A");
  ASSERT_TRUE(store_->PutOffice(o, true).ok());
  EXPECT_EQ(store_->PutOffice(o, true).code(), Code::kAlreadyExists);
  EXPECT_EQ(store_->GetOffice("1111111111").status().reason(), "not_registered");
  o.add_terminals()->set_curve_pk(std::string(32, 'k'));
  ASSERT_TRUE(store_->Enrol(o, std::string(32, 'k')).ok());
  EXPECT_EQ(*store_->OfficeForCurveKey(std::string(32, 'k')), "0123456789");
  // A second terminal of the same office: both keys lead to it.
  o.add_terminals()->set_curve_pk(std::string(32, 'n'));
  ASSERT_TRUE(store_->Enrol(o, std::string(32, 'n')).ok());
  EXPECT_EQ(*store_->OfficeForCurveKey(std::string(32, 'k')), "0123456789");
  EXPECT_EQ(*store_->OfficeForCurveKey(std::string(32, 'n')), "0123456789");
  EXPECT_EQ(store_->GetOffice("0123456789")->terminals_size(), 2);
  EXPECT_FALSE(store_->OfficeForCurveKey(std::string(32, 'x')).ok());
  EXPECT_EQ(store_->ListOffices()->size(), 1u);
}

TEST_F(StoreTest, UploadsAreInvisibleUntilCommitted) {
  auto rec = Message("01AAAAAAAAAAAAAAAAAAAAAAAA", "0123456789", "1299999999");
  ASSERT_TRUE(store_->BeginMessage(rec).ok());
  ASSERT_TRUE(store_->PutChunk(rec.message_id(), 0, 0, "c0").ok());
  ASSERT_TRUE(store_->PutChunk(rec.message_id(), 1, 2, "c12").ok());
  EXPECT_TRUE(store_->ListInbox("1299999999", "", 10)->empty());
  EXPECT_TRUE(store_->ListSent("0123456789", "", 10)->empty());
  EXPECT_EQ(*store_->ListChunks(rec.message_id()), (std::vector<uint64_t>{0, (1ull << 32) | 2}));
  auto found = store_->FindBySendId("0123456789", rec.send_id());
  ASSERT_TRUE(found.ok() && found->has_value());
  rec.set_state(pb::DELIVERED);
  ASSERT_TRUE(store_->CommitMessage(rec, 0).ok());
  EXPECT_EQ(store_->ListInbox("1299999999", "", 10)->size(), 1u);
  EXPECT_EQ(store_->ListSent("0123456789", "", 10)->size(), 1u);
  EXPECT_TRUE(store_->ListInbox("0123456789", "", 10)->empty());
}

TEST_F(StoreTest, DownloadDeletesPayloadKeepsMetadata) {
  auto rec = Message("01AAAAAAAAAAAAAAAAAAAAAAAB", "0123456789", "1299999999");
  ASSERT_TRUE(store_->BeginMessage(rec).ok());
  ASSERT_TRUE(store_->PutChunk(rec.message_id(), 0, 0, std::string(10000, 'x')).ok());
  rec.set_state(pb::DELIVERED);
  ASSERT_TRUE(store_->CommitMessage(rec, 0).ok());
  rec.set_state(pb::DOWNLOADED);
  rec.set_downloaded_unix(123);
  ASSERT_TRUE(store_->MarkDownloaded(rec).ok());
  EXPECT_TRUE(store_->ListChunks(rec.message_id())->empty());
  EXPECT_FALSE(store_->GetChunk(rec.message_id(), 0, 0).ok());
  EXPECT_EQ(store_->GetMessage(rec.message_id())->state(), pb::DOWNLOADED);
  EXPECT_EQ(store_->ListInbox("1299999999", "", 10)->front().downloaded_unix(), 123);
}

TEST_F(StoreTest, ListsPageInIdOrderAndSurviveReopen) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    std::string id = "01AAAAAAAAAAAAAAAAAAAAAAB" + std::to_string(i);
    ids.push_back(id);
    auto rec = Message(id, "0123456789", "1299999999");
    rec.set_state(pb::DELIVERED);
    ASSERT_TRUE(store_->BeginMessage(rec).ok());
    ASSERT_TRUE(store_->CommitMessage(rec, 0).ok());
  }
  auto first = store_->ListInbox("1299999999", "", 2);
  ASSERT_EQ(first->size(), 2u);
  auto next = store_->ListInbox("1299999999", first->back().message_id(), 10);
  ASSERT_EQ(next->size(), 3u);
  EXPECT_EQ(next->front().message_id(), ids[2]);
  store_.reset();
  auto reopened = RocksDbMailboxStore::Open(dir_.Sub("db"));
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->ListInbox("1299999999", "", 10)->size(), 5u);
}

TEST_F(StoreTest, ListsSkipIndexEntriesWhoseRecordIsGone) {
  auto rec = Message("01AAAAAAAAAAAAAAAAAAAAAAAC", "0123456789", "1299999999");
  rec.set_state(pb::DELIVERED);
  ASSERT_TRUE(store_->BeginMessage(rec).ok());
  ASSERT_TRUE(store_->CommitMessage(rec, 0).ok());
  // Remove only the record, as a compaction of that one family would: a
  // purge naming other offices leaves the real index entries behind.
  pb::MessageRecord gone = rec;
  gone.set_recipient_office("0000000000");
  gone.set_sender_office("0000000000");
  ASSERT_TRUE(store_->ApplyExpiry({}, {}, {gone}).ok());
  auto inbox = store_->ListInbox("1299999999", "", 10);
  ASSERT_TRUE(inbox.ok()) << inbox.status().ToString();
  EXPECT_TRUE(inbox->empty());
}

TEST(StoreBackstopTest, CompactionDropsWhatOutlivedEveryLifetime) {
  testing::TempDir dir;
  FakeEnv env(1'800'000'000'000);  // ms
  StoreOptions o;
  o.backstop_seconds = 100 * 86400;
  o.env = &env;
  auto store = std::move(RocksDbMailboxStore::Open(dir.Sub("db"), o)).value();
  // One message begun 120 days ago (its id says so), one begun today.
  const std::string old_id = NewId(env.NowMillis() - 120LL * 86400 * 1000);
  const std::string new_id = NewId(env.NowMillis());
  for (const std::string& id : {old_id, new_id}) {
    auto rec = Message(id, "0123456789", "1299999999");
    rec.set_state(pb::DELIVERED);
    ASSERT_TRUE(store->BeginMessage(rec).ok());
    ASSERT_TRUE(store->PutChunk(id, 0, 0, std::string(10000, 'x')).ok());
    ASSERT_TRUE(store->CommitMessage(rec, 0).ok());
  }
  ASSERT_TRUE(store->Compact().ok());
  EXPECT_FALSE(store->GetMessage(old_id).ok());
  EXPECT_FALSE(store->GetChunk(old_id, 0, 0).ok());
  EXPECT_TRUE(store->GetMessage(new_id).ok());
  EXPECT_TRUE(store->GetChunk(new_id, 0, 0).ok());
  auto inbox = store->ListInbox("1299999999", "", 10);
  ASSERT_TRUE(inbox.ok());
  ASSERT_EQ(inbox->size(), 1u);
  EXPECT_EQ(inbox->front().message_id(), new_id);
}

}  // namespace
}  // namespace tayori::broker
