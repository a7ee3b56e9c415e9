// The MailboxStore conformance suite: every store behind the interface
// (RocksDB, PostgreSQL) must pass the same tests. The PostgreSQL runs use a
// throwaway server this test starts itself (tests/support/postgres_server.h),
// a new database per test.
#include "broker/mailbox_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "broker/postgres_mailbox_store.h"
#include "broker/rocksdb_mailbox_store.h"
#include "tests/support/postgres_server.h"
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

// One server for every PostgreSQL test of this process, stopped at exit.
testing::PostgresServer* Server(Status* why) {
  static StatusOr<std::unique_ptr<testing::PostgresServer>> server = testing::PostgresServer::Start();
  if (!server.ok()) {
    *why = server.status();
    return nullptr;
  }
  return server->get();
}

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") {
      Status why;
      testing::PostgresServer* server = Server(&why);
      // Only a machine without PostgreSQL skips; a server that fails to start fails.
      if (server == nullptr && why.reason() == "postgres_missing") GTEST_SKIP() << why.ToString();
      ASSERT_NE(server, nullptr) << why.ToString();
      static int n = 0;
      const std::string db = "t" + std::to_string(::getpid()) + "_" + std::to_string(++n);
      ASSERT_TRUE(server->CreateDatabase(db).ok());
      conninfo_ = server->conninfo(db);
    }
    Reopen();
  }

  void Reopen() {
    store_.reset();
    if (GetParam() == "postgres") {
      auto s = PostgresMailboxStore::Open(conninfo_);
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      store_ = std::move(s).value();
    } else {
      auto s = RocksDbMailboxStore::Open(dir_.Sub("db"));
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      store_ = std::move(s).value();
    }
  }

  // Begins and commits a message from FROM to TO, expiring at EXPIRE.
  pb::MessageRecord Committed(const std::string& id, const std::string& from, const std::string& to,
                              int64_t expire = 1000) {
    auto rec = Message(id, from, to);
    rec.set_expire_unix(50);
    EXPECT_TRUE(store_->BeginMessage(rec).ok());
    rec.set_state(pb::DELIVERED);
    rec.set_expire_unix(expire);
    EXPECT_TRUE(store_->CommitMessage(rec, 50).ok());
    return rec;
  }

  testing::TempDir dir_;
  std::string conninfo_;
  std::unique_ptr<MailboxStore> store_;
};

TEST_P(StoreTest, RegistryAndCurveIndex) {
  pb::OfficeRecord o;
  o.set_office("0123456789");
  o.set_name("A");
  ASSERT_TRUE(store_->PutOffice(o, true).ok());
  EXPECT_EQ(store_->PutOffice(o, true).code(), Code::kAlreadyExists);
  o.set_name("B");
  ASSERT_TRUE(store_->PutOffice(o, false).ok());
  EXPECT_EQ(store_->GetOffice("0123456789")->name(), "B");
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
  EXPECT_EQ(store_->OfficeForCurveKey(std::string(32, 'x')).status().reason(), "not_enrolled");
  // Removing one terminal leaves the other.
  pb::OfficeRecord without = o;
  without.mutable_terminals()->DeleteSubrange(0, 1);
  ASSERT_TRUE(store_->RemoveTerminal(without, std::string(32, 'k')).ok());
  EXPECT_FALSE(store_->OfficeForCurveKey(std::string(32, 'k')).ok());
  EXPECT_EQ(*store_->OfficeForCurveKey(std::string(32, 'n')), "0123456789");
  EXPECT_EQ(store_->GetOffice("0123456789")->terminals_size(), 1);
  EXPECT_EQ(store_->ListOffices()->size(), 1u);
}

TEST_P(StoreTest, UploadsAreInvisibleUntilCommitted) {
  auto rec = Message("01AAAAAAAAAAAAAAAAAAAAAAAA", "0123456789", "1299999999");
  ASSERT_TRUE(store_->BeginMessage(rec).ok());
  ASSERT_TRUE(store_->PutChunk(rec.message_id(), 0, 0, "c0").ok());
  ASSERT_TRUE(store_->PutChunk(rec.message_id(), 1, 2, "c12").ok());
  EXPECT_TRUE(store_->ListInbox("1299999999", "", 10)->empty());
  EXPECT_TRUE(store_->ListSent("0123456789", "", 10)->empty());
  EXPECT_EQ(*store_->ListChunks(rec.message_id()), (std::vector<uint64_t>{0, (1ull << 32) | 2}));
  auto found = store_->FindBySendId("0123456789", rec.send_id());
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->message_id(), rec.message_id());
  // The send id is the sender's: another office's same id is another send.
  EXPECT_FALSE(store_->FindBySendId("1299999999", rec.send_id())->has_value());
  rec.set_state(pb::DELIVERED);
  ASSERT_TRUE(store_->CommitMessage(rec, 0).ok());
  EXPECT_EQ(store_->ListInbox("1299999999", "", 10)->size(), 1u);
  EXPECT_EQ(store_->ListSent("0123456789", "", 10)->size(), 1u);
  EXPECT_TRUE(store_->ListInbox("0123456789", "", 10)->empty());
  // A lease written later keeps it in the mailboxes.
  rec.set_lease_until_unix(77);
  ASSERT_TRUE(store_->PutMessage(rec).ok());
  EXPECT_EQ(store_->ListInbox("1299999999", "", 10)->front().lease_until_unix(), 77);
}

TEST_P(StoreTest, ChunksAreBinaryAndRewritable) {
  auto rec = Message("01AAAAAAAAAAAAAAAAAAAAAAAF", "0123456789", "1299999999");
  ASSERT_TRUE(store_->BeginMessage(rec).ok());
  std::string bytes(70000, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7);
  ASSERT_TRUE(store_->PutChunk(rec.message_id(), 3, 4, "first").ok());
  ASSERT_TRUE(store_->PutChunk(rec.message_id(), 3, 4, bytes).ok());  // a resent chunk replaces
  EXPECT_EQ(*store_->GetChunk(rec.message_id(), 3, 4), bytes);
  EXPECT_EQ(store_->GetChunk(rec.message_id(), 3, 5).status().code(), Code::kNotFound);
  EXPECT_EQ(store_->GetMessage("01ZZZZZZZZZZZZZZZZZZZZZZZZ").status().code(), Code::kNotFound);
}

TEST_P(StoreTest, DownloadDeletesPayloadKeepsMetadata) {
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

TEST_P(StoreTest, ListsPageInIdOrderAndSurviveReopen) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    std::string id = "01AAAAAAAAAAAAAAAAAAAAAAB" + std::to_string(i);
    ids.push_back(id);
    Committed(id, "0123456789", "1299999999");
  }
  auto first = store_->ListInbox("1299999999", "", 2);
  ASSERT_EQ(first->size(), 2u);
  auto next = store_->ListInbox("1299999999", first->back().message_id(), 10);
  ASSERT_EQ(next->size(), 3u);
  EXPECT_EQ(next->front().message_id(), ids[2]);
  EXPECT_EQ(store_->ListSent("0123456789", ids[3], 10)->size(), 1u);
  Reopen();
  EXPECT_EQ(store_->ListInbox("1299999999", "", 10)->size(), 5u);
}

TEST_P(StoreTest, ExpiryIsDueInOrderWithACursor) {
  auto a = Committed("01AAAAAAAAAAAAAAAAAAAAAAC1", "0123456789", "1299999999", 30);
  auto b = Committed("01AAAAAAAAAAAAAAAAAAAAAAC2", "0123456789", "1299999999", 10);
  Committed("01AAAAAAAAAAAAAAAAAAAAAAC3", "0123456789", "1299999999", 500);
  ASSERT_TRUE(store_->PutChunk(a.message_id(), 0, 0, "payload").ok());
  std::string cursor;
  auto first = store_->DueForExpiry(100, 1, &cursor);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ(first->front().message_id(), b.message_id());  // soonest first
  auto second = store_->DueForExpiry(100, 10, &cursor);
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ(second->front().message_id(), a.message_id());
  EXPECT_TRUE(store_->DueForExpiry(100, 10, &cursor)->empty());
  // A expires (payload gone, kept until 200); B is purged.
  a.set_state(pb::EXPIRED);
  a.set_expire_unix(200);
  ASSERT_TRUE(store_->ApplyExpiry({a}, {30}, {b}).ok());
  EXPECT_EQ(store_->GetMessage(a.message_id())->state(), pb::EXPIRED);
  EXPECT_TRUE(store_->ListChunks(a.message_id())->empty());
  EXPECT_EQ(store_->GetMessage(b.message_id()).status().code(), Code::kNotFound);
  EXPECT_FALSE(store_->FindBySendId("0123456789", b.send_id())->has_value());
  std::string fresh;
  EXPECT_TRUE(store_->DueForExpiry(100, 10, &fresh)->empty());
  fresh.clear();
  auto later = store_->DueForExpiry(300, 10, &fresh);
  ASSERT_EQ(later->size(), 1u);
  EXPECT_EQ(later->front().message_id(), a.message_id());
  EXPECT_EQ(store_->ListInbox("1299999999", "", 10)->size(), 2u);
}

TEST_P(StoreTest, ABatchExpiresAndPurgesEachOfItsMessages) {
  // One sweep batch names many messages at once; each gets its own fate.
  std::vector<pb::MessageRecord> expire, purge;
  std::vector<int64_t> old_expires;
  for (int i = 0; i < 6; ++i) {
    const std::string id = "01AAAAAAAAAAAAAAAAAAAAAAD" + std::to_string(i);
    auto r = Committed(id, "0123456789", i % 2 == 0 ? "1299999999" : "1288888888", 10 + i);
    ASSERT_TRUE(store_->PutChunk(id, 0, 0, "payload").ok());
    ASSERT_TRUE(store_->PutChunk(id, 1, 0, "more").ok());
    if (i < 4) {
      old_expires.push_back(r.expire_unix());
      r.set_state(pb::EXPIRED);
      r.set_expire_unix(1000 + i);
      expire.push_back(r);
    } else {
      purge.push_back(r);
    }
  }
  auto kept = Committed("01AAAAAAAAAAAAAAAAAAAAAAD9", "0123456789", "1299999999", 50);
  ASSERT_TRUE(store_->PutChunk(kept.message_id(), 0, 0, "kept").ok());
  ASSERT_TRUE(store_->ApplyExpiry(expire, old_expires, purge).ok());
  for (const auto& r : expire) {
    auto got = store_->GetMessage(r.message_id());
    ASSERT_TRUE(got.ok()) << r.message_id();
    EXPECT_EQ(got->state(), pb::EXPIRED);
    EXPECT_EQ(got->expire_unix(), r.expire_unix());
    EXPECT_TRUE(store_->ListChunks(r.message_id())->empty());
  }
  for (const auto& r : purge) {
    EXPECT_EQ(store_->GetMessage(r.message_id()).status().code(), Code::kNotFound);
    EXPECT_TRUE(store_->ListChunks(r.message_id())->empty());
  }
  EXPECT_EQ(store_->ListChunks(kept.message_id())->size(), 1u);
  std::string cursor;
  auto due = store_->DueForExpiry(1001, 10, &cursor);  // by their new times
  ASSERT_EQ(due->size(), 3u);
  EXPECT_EQ(due->front().message_id(), kept.message_id());
  EXPECT_EQ(due->back().message_id(), expire[1].message_id());
}

TEST_P(StoreTest, NoticesAndEveryMessage) {
  pb::Notice n;
  n.set_id("n1");
  n.set_title("メンテナンス");
  ASSERT_TRUE(store_->PutNotice(n).ok());
  n.set_id("n2");
  ASSERT_TRUE(store_->PutNotice(n).ok());
  n.set_title("変更");
  ASSERT_TRUE(store_->PutNotice(n).ok());
  auto notices = store_->ListNotices();
  ASSERT_EQ(notices->size(), 2u);
  EXPECT_EQ((*notices)[1].title(), "変更");
  // More records than one page of the PostgreSQL scan.
  for (int i = 0; i < 1005; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "01AAAAAAAAAAAAAAAAAAAA%04d", i);
    ASSERT_TRUE(store_->BeginMessage(Message(id, "0123456789", "1299999999")).ok());
  }
  int seen = 0;
  std::string last;
  ASSERT_TRUE(store_
                  ->ForEachMessage([&](const pb::MessageRecord& r) {
                    EXPECT_LT(last, r.message_id());
                    last = r.message_id();
                    ++seen;
                  })
                  .ok());
  EXPECT_EQ(seen, 1005);
  EXPECT_TRUE(store_->Compact().ok());
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreTest, ::testing::Values("rocksdb", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace tayori::broker
