// What only the RocksDB store does; what every store does is in
// mailbox_store_test.cc.
#include "broker/rocksdb_mailbox_store.h"

#include <gtest/gtest.h>

#include <filesystem>

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

// Every commit of unlogged chunks flushes them, and each flush starts a WAL
// file; the small families must not keep all of those alive.
TEST(StoreUnloggedTest, LiveWalFilesStayFewAcrossManyFlushes) {
  testing::TempDir dir;
  StoreOptions o;
  o.unlogged_chunk_bytes = 4096;
  auto store = std::move(RocksDbMailboxStore::Open(dir.Sub("db"), o)).value();
  FakeEnv env(1'800'000'000'000);
  for (int i = 0; i < 200; ++i) {
    env.Advance(1);
    auto rec = Message(NewId(env.NowMillis()), "0123456789", "1299999999");
    rec.set_cipher_bytes(10000);
    ASSERT_TRUE(store->BeginMessage(rec).ok());
    ASSERT_TRUE(store->PutChunk(rec.message_id(), 0, 0, std::string(10000, 'x')).ok());
    rec.set_state(pb::DELIVERED);
    ASSERT_TRUE(store->CommitMessage(rec, 0).ok());
    ASSERT_TRUE(store->GetChunk(rec.message_id(), 0, 0).ok());
  }
  int wal_files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.Sub("db"))) {
    wal_files += e.path().extension() == ".log";
  }
  EXPECT_GT(wal_files, 0);
  EXPECT_LT(wal_files, 100) << "200 flushes kept their WAL files";
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
