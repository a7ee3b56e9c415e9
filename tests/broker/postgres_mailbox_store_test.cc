// What only the PostgreSQL store does: its errors (a bad connection string,
// an unreachable or read-only database, a schema from a newer version), a
// database that crashes and comes back, and a whole exchange through a
// broker on it. Each test starts its own throwaway server.
#include "broker/postgres_mailbox_store.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <poll.h>

#include <condition_variable>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>

#include "broker/server.h"
#include "tests/support/in_process_exchange.h"
#include "tests/support/postgres_server.h"
#include "tests/support/test_util.h"

namespace tayori::broker {
namespace {

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testing::PostgresServer::Start();
    if (!server.ok() && server.status().reason() == "postgres_missing") {
      GTEST_SKIP() << server.status().ToString();
    }
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    ASSERT_TRUE(server_->CreateDatabase("tayori").ok());
  }

  // Runs SQL on the test database, outside the store.
  void Sql(const std::string& sql) {
    PGconn* c = PQconnectdb(server_->conninfo("tayori").c_str());
    PGresult* r = PQexec(c, sql.c_str());
    EXPECT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQresultErrorMessage(r);
    PQclear(r);
    PQfinish(c);
  }

  pb::MessageRecord Delivered(const std::string& id) {
    pb::MessageRecord r;
    r.set_message_id(id);
    r.set_sender_office("0123456789");
    r.set_recipient_office("1299999999");
    r.set_send_id("S" + id);
    r.set_state(pb::DELIVERED);
    r.set_expire_unix(1000);
    return r;
  }

  // A second broker beside X's, on the same database and CA, its data in
  // X's folder broker2.
  BrokerOptions SecondBroker(testing::InProcessExchange& x) {
    BrokerOptions o;
    o.endpoint = "tcp://127.0.0.1:0";
    o.admin_endpoint = "tcp://127.0.0.1:0";
    o.metrics_endpoint = "";
    o.data_dir = x.Sub("broker2");
    o.ca_cert = x.Sub("ca") + "/ca.pem";
    o.ca_crl = x.Sub("ca") + "/crl.pem";
    o.store = server_->conninfo("tayori");
    o.env = x.env();
    return o;
  }

  std::unique_ptr<testing::PostgresServer> server_;
};

TEST_F(PostgresStoreTest, AConnectionStringThatIsNotOneIsAConfigError) {
  auto s = PostgresMailboxStore::Open("host=db1 port");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().reason(), "config_invalid");
  EXPECT_NE(s.status().detail().find("store:"), std::string::npos) << s.status().ToString();
}

TEST_F(PostgresStoreTest, AnUnreachableDatabaseIsUnavailable) {
  auto s = PostgresMailboxStore::Open("host=/nonexistent-tayori-socket-dir port=5432 dbname=x connect_timeout=2");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kUnavailable);
  EXPECT_EQ(s.status().reason(), "store_unavailable");
  EXPECT_NE(s.status().detail().find("cannot connect to the database"), std::string::npos) << s.status().ToString();
}

TEST_F(PostgresStoreTest, AReadOnlyDatabaseIsUnavailableAndNamed) {
  // What a broker pointed at a standby meets (target_session_attrs=read-write
  // avoids it): it starts (the schema is there), and every write is refused.
  { ASSERT_TRUE(PostgresMailboxStore::Open(server_->conninfo("tayori")).ok()); }
  Sql("ALTER DATABASE tayori SET default_transaction_read_only = on");
  auto s = PostgresMailboxStore::Open(server_->conninfo("tayori"));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const Status st = (*s)->CommitMessage(Delivered("01AAAAAAAAAAAAAAAAAAAAAAAA"), 0);
  EXPECT_EQ(st.code(), Code::kUnavailable);
  EXPECT_NE(st.detail().find("read-only"), std::string::npos) << st.ToString();
  EXPECT_TRUE((*s)->ListInbox("1299999999", "", 10)->empty());
}

TEST_F(PostgresStoreTest, ASchemaFromANewerVersionIsRefused) {
  { ASSERT_TRUE(PostgresMailboxStore::Open(server_->conninfo("tayori")).ok()); }
  Sql("UPDATE tayori_meta SET value = '2' WHERE key = 'schema_version'");
  auto s = PostgresMailboxStore::Open(server_->conninfo("tayori"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().reason(), "schema_too_new");
  EXPECT_NE(s.status().detail().find("upgrade this broker"), std::string::npos);
}

TEST_F(PostgresStoreTest, ACommitSurvivesADatabaseCrashAndTheStoreReconnects) {
  auto store = PostgresMailboxStore::Open(server_->conninfo("tayori"));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto rec = Delivered("01AAAAAAAAAAAAAAAAAAAAAAAA");
  ASSERT_TRUE((*store)->BeginMessage(rec).ok());
  ASSERT_TRUE((*store)->CommitMessage(rec, 0).ok());
  server_->Crash();
  // While the database is down: unavailable, never a wrong answer.
  auto down = (*store)->ListInbox("1299999999", "", 10);
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.status().code(), Code::kUnavailable);
  EXPECT_EQ((*store)->CommitMessage(Delivered("01AAAAAAAAAAAAAAAAAAAAAAAB"), 0).code(), Code::kUnavailable);
  ASSERT_TRUE(server_->Restart().ok());
  // The same store object recovers with the database.
  auto inbox = (*store)->ListInbox("1299999999", "", 10);
  ASSERT_TRUE(inbox.ok()) << inbox.status().ToString();
  ASSERT_EQ(inbox->size(), 1u);
  EXPECT_EQ(inbox->front().message_id(), rec.message_id());
}

TEST_F(PostgresStoreTest, ASweepLeavesWhatAnotherBrokerChangedMeanwhile) {
  // Broker A's sweeper reads an upload past its time (to purge) and a
  // delivered message past its retention (to expire). Before it writes,
  // broker B commits the upload (its last chunk came through B) and B's
  // own sweep, a moment earlier, expired the other. A's batch leaves both
  // as B wrote them, and says so.
  auto a = PostgresMailboxStore::Open(server_->conninfo("tayori"));
  auto b = PostgresMailboxStore::Open(server_->conninfo("tayori"));
  ASSERT_TRUE(a.ok() && b.ok());
  const std::string upload_id = "01AAAAAAAAAAAAAAAAAAAAAAE1", delivered_id = "01AAAAAAAAAAAAAAAAAAAAAAE2";
  pb::MessageRecord upload = Delivered(upload_id);
  upload.set_state(pb::UPLOADING);
  ASSERT_TRUE((*a)->BeginMessage(upload).ok());
  ASSERT_TRUE((*a)->PutChunk(upload_id, 0, 0, "payload").ok());
  pb::MessageRecord delivered = Delivered(delivered_id);
  ASSERT_TRUE((*a)->BeginMessage(delivered).ok());
  ASSERT_TRUE((*a)->PutChunk(delivered_id, 0, 0, "payload").ok());
  ASSERT_TRUE((*a)->CommitMessage(delivered, 1000).ok());
  std::string cursor;
  auto due = (*a)->DueForExpiry(2000, 10, &cursor);
  ASSERT_TRUE(due.ok()) << due.status().ToString();
  ASSERT_EQ(due->size(), 2u);

  pb::MessageRecord committed = upload;
  committed.set_state(pb::DELIVERED);
  committed.set_expire_unix(5000);
  ASSERT_TRUE((*b)->CommitMessage(committed, 1000).ok());
  pb::MessageRecord expired_by_b = delivered;
  expired_by_b.set_state(pb::EXPIRED);
  expired_by_b.set_expire_unix(3000);
  ASSERT_TRUE((*b)->ApplyExpiry({expired_by_b}, {1000}, {}).ok());

  pb::MessageRecord expired_by_a = delivered;
  expired_by_a.set_state(pb::EXPIRED);
  expired_by_a.set_expire_unix(3500);
  std::set<std::string> left_alone;
  ASSERT_TRUE((*a)->ApplyExpiry({expired_by_a}, {1000}, {upload}, &left_alone).ok());
  EXPECT_EQ(left_alone, (std::set<std::string>{upload_id, delivered_id}));
  auto now_upload = (*a)->GetMessage(upload_id);
  ASSERT_TRUE(now_upload.ok()) << "the committed send was purged: " << now_upload.status().ToString();
  EXPECT_EQ(now_upload->state(), pb::DELIVERED);
  EXPECT_EQ(now_upload->expire_unix(), 5000);
  EXPECT_EQ((*a)->ListChunks(upload_id)->size(), 1u);
  EXPECT_EQ((*a)->GetMessage(delivered_id)->expire_unix(), 3000);  // B's, not A's
  EXPECT_EQ((*a)->ListInbox("1299999999", "", 10)->size(), 2u);
}

TEST_F(PostgresStoreTest, AnUploadPurgedBeforeItsCommitStaysGone) {
  // Broker B checked the upload and is about to commit it when broker A's
  // sweep purges it (its time was up). B's commit must not bring the row
  // back without its chunks: accepted and never downloadable.
  auto a = PostgresMailboxStore::Open(server_->conninfo("tayori"));
  auto b = PostgresMailboxStore::Open(server_->conninfo("tayori"));
  ASSERT_TRUE(a.ok() && b.ok());
  pb::MessageRecord upload = Delivered("01AAAAAAAAAAAAAAAAAAAAAAF1");
  upload.set_state(pb::UPLOADING);
  ASSERT_TRUE((*b)->BeginMessage(upload).ok());
  ASSERT_TRUE((*b)->PutChunk(upload.message_id(), 0, 0, "payload").ok());
  ASSERT_TRUE((*a)->ApplyExpiry({}, {}, {upload}).ok());
  pb::MessageRecord committed = upload;
  committed.set_state(pb::DELIVERED);
  committed.set_expire_unix(5000);
  const Status st = (*b)->CommitMessage(committed, upload.expire_unix());
  EXPECT_EQ(st.code(), Code::kUnavailable) << st.ToString();
  EXPECT_EQ((*b)->GetMessage(upload.message_id()).status().code(), Code::kNotFound);
  EXPECT_TRUE((*b)->ListInbox("1299999999", "", 10)->empty());
  // Committed once: a second commit of the same upload changes nothing.
  pb::MessageRecord again = Delivered("01AAAAAAAAAAAAAAAAAAAAAAF2");
  ASSERT_TRUE((*b)->BeginMessage(again).ok());
  ASSERT_TRUE((*b)->CommitMessage(again, 1000).ok());
  again.set_expire_unix(9000);
  EXPECT_EQ((*a)->CommitMessage(again, 1000).code(), Code::kUnavailable);
  EXPECT_EQ((*a)->GetMessage(again.message_id())->expire_unix(), 1000);
}

TEST_F(PostgresStoreTest, ACommitNeedsEveryChunkOnTheServerThatCommits) {
  // Chunks are written without waiting for the standby: after a failover,
  // one the broker saw acknowledged (and hashed) may be gone from the new
  // primary. The commit must not accept the send without it.
  auto store = PostgresMailboxStore::Open(server_->conninfo("tayori"));
  ASSERT_TRUE(store.ok());
  pb::MessageRecord upload = Delivered("01AAAAAAAAAAAAAAAAAAAAAAG1");
  pb::Manifest m;
  m.add_files()->set_chunk_count(2);
  m.add_files()->set_chunk_count(1);
  upload.mutable_signed_()->set_manifest(m.SerializeAsString());
  upload.set_state(pb::UPLOADING);
  ASSERT_TRUE((*store)->BeginMessage(upload).ok());
  ASSERT_TRUE((*store)->PutChunk(upload.message_id(), 0, 0, "one").ok());
  ASSERT_TRUE((*store)->PutChunk(upload.message_id(), 1, 0, "three").ok());
  pb::MessageRecord committed = upload;
  committed.set_state(pb::DELIVERED);
  const Status st = (*store)->CommitMessage(committed, upload.expire_unix());
  EXPECT_EQ(st.reason(), "upload_incomplete") << st.ToString();
  EXPECT_EQ((*store)->GetMessage(upload.message_id())->state(), pb::UPLOADING);
  EXPECT_TRUE((*store)->ListInbox("1299999999", "", 10)->empty());
  // The agent uploads what is missing; then the commit goes through.
  ASSERT_TRUE((*store)->PutChunk(upload.message_id(), 0, 1, "two").ok());
  ASSERT_TRUE((*store)->CommitMessage(committed, upload.expire_unix()).ok());
  EXPECT_EQ((*store)->GetMessage(upload.message_id())->state(), pb::DELIVERED);
  EXPECT_EQ((*store)->ListInbox("1299999999", "", 10)->size(), 1u);
}

TEST_F(PostgresStoreTest, WhatTheServerSaysUnaskedGoesToTheLog) {
  // A session ended by the server while the broker waits for events (a
  // failing primary says "terminating connection due to unexpected
  // postmaster exit") is one JSON log line, not libpq's raw text.
  auto store = PostgresMailboxStore::Open(server_->conninfo("tayori"));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const int fd = (*store)->EventFd();
  ASSERT_GE(fd, 0);
  Sql("DO $$ BEGIN PERFORM pg_terminate_backend(pid) FROM pg_stat_activity "
      "WHERE datname = 'tayori' AND pid <> pg_backend_pid(); END $$");
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 30000), 1);  // the server's word arrives
  ::testing::internal::CaptureStderr();
  (*store)->TakeEvents([](const std::string&, const pb::Event&) {});
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("\"event\":\"database_said\""), std::string::npos) << log;
  EXPECT_NE(log.find("\"severity\":\"FATAL\""), std::string::npos) << log;
  EXPECT_NE(log.find("terminating connection"), std::string::npos) << log;
  EXPECT_EQ(log.find("FATAL:"), std::string::npos) << log;  // libpq's own text
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) EXPECT_EQ(line.rfind("{", 0), 0u) << line;
  // The store's other session was ended too: unavailable at most once,
  // then it connects again.
  auto first = (*store)->ListInbox("1299999999", "", 10);
  if (!first.ok()) {
    EXPECT_EQ(first.status().code(), Code::kUnavailable) << first.status().ToString();
  }
  EXPECT_TRUE((*store)->ListInbox("1299999999", "", 10).ok());
}

TEST_F(PostgresStoreTest, AWholeExchangeRunsOnPostgres) {
  testing::InProcessExchange x(server_->conninfo("tayori"));
  x.AddOffice("0123456789", "居宅介護支援事業所 さくら");
  x.AddOffice("1311111111", "訪問介護 ひまわり");
  auto sender = x.NewAgent("sender", "0123456789", "KJ000000000001");
  auto recipient = x.NewAgent("recipient", "1311111111", "KJ000000000002");
  ASSERT_TRUE(sender && recipient);
  std::string pdf = "%PDF-1.7\n";
  for (int i = 0; pdf.size() < 300000; ++i) pdf += std::to_string(i * 7919) + "\n";
  const std::string path = x.Sub("提供票.pdf");
  ASSERT_TRUE(WriteFileAtomic(path, pdf).ok());
  auto sent = sender->Send({"1311111111", "今月分です", {path}}, nullptr);
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  auto inbox = recipient->Inbox();
  ASSERT_TRUE(inbox.ok()) << inbox.status().ToString();
  ASSERT_EQ(inbox->size(), 1u);
  EXPECT_EQ(inbox->front().message, "今月分です");
  auto got = recipient->Fetch(sent->message_id, x.Sub("received"), nullptr);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->saved_paths.size(), 1u);
  EXPECT_EQ(*ReadFile(got->saved_paths[0]), pdf);
  // The sender's 済: a verified receipt from the recipient.
  auto receipt = sender->Receipt(sent->message_id);
  ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  EXPECT_EQ(receipt->signer.office, "1311111111");
  // Downloaded: the payload is gone from the database, the entry stays.
  PGconn* c = PQconnectdb(server_->conninfo("tayori").c_str());
  PGresult* r = PQexec(c, "SELECT count(*) FROM chunks");
  EXPECT_STREQ(PQgetvalue(r, 0, 0), "0");
  PQclear(r);
  PQfinish(c);
}

TEST_F(PostgresStoreTest, OneSendIsBegunOnceThoughTwoBrokersTry) {
  // A retry that reaches another broker before the first has answered.
  auto first = PostgresMailboxStore::Open(server_->conninfo("tayori"));
  auto second = PostgresMailboxStore::Open(server_->conninfo("tayori"));
  ASSERT_TRUE(first.ok() && second.ok());
  auto a = Delivered("01AAAAAAAAAAAAAAAAAAAAAAAA");
  auto b = Delivered("01AAAAAAAAAAAAAAAAAAAAAAAB");
  b.set_send_id(a.send_id());
  ASSERT_TRUE((*first)->BeginMessage(a).ok());
  const Status again = (*second)->BeginMessage(b);
  EXPECT_EQ(again.code(), Code::kUnavailable) << again.ToString();
  auto found = (*second)->FindBySendId("0123456789", a.send_id());
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->message_id(), a.message_id());
  EXPECT_EQ((*second)->GetMessage(b.message_id()).status().code(), Code::kNotFound);
}

TEST_F(PostgresStoreTest, OneBrokerAtATimeSweepsAndAnotherTakesOver) {
  auto first = PostgresMailboxStore::Open(server_->conninfo("tayori"));
  auto second = PostgresMailboxStore::Open(server_->conninfo("tayori"));
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_TRUE((*first)->LeadsSweep());
  EXPECT_TRUE((*first)->LeadsSweep());  // still, without asking again
  EXPECT_FALSE((*second)->LeadsSweep());
  first->reset();  // its broker stops (or dies: the session ends either way)
  // The server lets the lock go once the ended session's backend is gone:
  // the next look (the sweeper's, an interval later) finds it free.
  bool took_over = false;
  for (int i = 0; i < 200 && !took_over; ++i) {
    took_over = (*second)->LeadsSweep();
    if (!took_over) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(took_over);
}

TEST_F(PostgresStoreTest, EventsReachTerminalsConnectedToAnotherBroker) {
  // Broker 1 (the exchange's) and broker 2 share the database.
  testing::InProcessExchange x(server_->conninfo("tayori"));
  x.AddOffice("0123456789", "居宅介護支援事業所 さくら");
  x.AddOffice("1311111111", "訪問介護 ひまわり");
  auto sender = x.NewAgent("sender", "0123456789", "KJ000000000001");
  auto recipient = x.NewAgent("recipient", "1311111111", "KJ000000000002");
  ASSERT_TRUE(sender && recipient);
  auto second = Server::Start(SecondBroker(x));
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  std::atomic<bool> stop{false};
  std::thread serving([&] { (*second)->Run(&stop); });

  // The recipient watches on broker 1.
  std::mutex mu;
  std::condition_variable cv;
  std::vector<pb::Event> events;
  std::atomic<bool> stop_watch{false};
  std::thread watching([&] {
    (void)recipient->Watch(
        [&](const pb::Event& e) {
          std::lock_guard<std::mutex> l(mu);
          events.push_back(e);
          cv.notify_all();
        },
        [&] { return stop_watch.load(); });
  });
  auto seen = [&](const std::string& kind) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, std::chrono::seconds(20), [&] {
      for (const auto& e : events) {
        if (e.kind() == kind) return true;
      }
      return false;
    });
  };
  ASSERT_TRUE(seen("subscribed"));

  // The sender's terminal uses broker 2 (same enrolment: the database's).
  std::string yaml = *ReadFile(x.home("sender") + "/agent.yaml");
  yaml = std::regex_replace(yaml, std::regex("broker: .*"), "broker: " + (*second)->endpoint());
  // A Z85 key may hold '$', which a replacement format reads as its own.
  const std::string key = std::regex_replace((*second)->public_key(), std::regex("\\$"), "$$$$");
  yaml = std::regex_replace(yaml, std::regex("broker_key: .*"), "broker_key: \"" + key + "\"");
  ASSERT_TRUE(WriteFileAtomic(x.home("sender") + "/agent.yaml", yaml).ok());
  auto via_second = agent::Agent::Open(x.home("sender"), x.env());
  ASSERT_TRUE(via_second.ok()) << via_second.status().ToString();
  const std::string path = x.Sub("利用票.pdf");
  ASSERT_TRUE(WriteFileAtomic(path, "%PDF-1.7\n" + std::string(5000, 'p')).ok());
  auto sent = (*via_second)->Send({"1311111111", "", {path}}, nullptr);
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  EXPECT_TRUE(seen("new_mail")) << "the event of a send accepted by broker 2 did not reach broker 1's terminal";
  {
    std::lock_guard<std::mutex> l(mu);
    EXPECT_EQ(events.back().message_id(), sent->message_id);
    // Exactly once, though both brokers hear it.
    EXPECT_EQ(std::count_if(events.begin(), events.end(), [](const pb::Event& e) { return e.kind() == "new_mail"; }),
              1);
  }
  stop_watch = true;
  watching.join();
  stop = true;
  serving.join();
}

TEST_F(PostgresStoreTest, AnAgentListingTwoBrokersCarriesOnWhenOneStops) {
  testing::InProcessExchange x(server_->conninfo("tayori"));
  x.AddOffice("0123456789", "居宅介護支援事業所 さくら");
  x.AddOffice("1311111111", "訪問介護 ひまわり");
  auto sender = x.NewAgent("sender", "0123456789", "KJ000000000001");
  auto recipient = x.NewAgent("recipient", "1311111111", "KJ000000000002");
  ASSERT_TRUE(sender && recipient);
  // Broker 2: the same key pair as broker 1 (copied), the same database.
  ASSERT_TRUE(MakeDirs(x.Sub("broker2"), 0700).ok());
  for (const char* f : {"server.key", "admin.key"}) {
    ASSERT_TRUE(WriteFileAtomic(x.Sub("broker2/") + f, *ReadFile(x.Sub("broker/") + f), 0600).ok());
  }
  auto second = Server::Start(SecondBroker(x));
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  std::atomic<bool> stop{false};
  std::thread serving([&] { (*second)->Run(&stop); });
  // Both terminals list both brokers.
  std::string first_endpoint;
  for (const std::string label : {"sender", "recipient"}) {
    std::string yaml = *ReadFile(x.home(label) + "/agent.yaml");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(yaml, m, std::regex("broker: (tcp://\\S+)")));
    first_endpoint = m[1];
    EXPECT_EQ((*second)->public_key(),
              std::regex_search(yaml, m, std::regex("broker_key: \"?(\\S{40})")) ? std::string(m[1]) : "");
    yaml = std::regex_replace(yaml, std::regex("broker: .*"),
                              "broker: [" + first_endpoint + ", " + (*second)->endpoint() + "]");
    ASSERT_TRUE(WriteFileAtomic(x.home(label) + "/agent.yaml", yaml).ok());
  }
  auto send = [&](int i) {
    auto a = agent::Agent::Open(x.home("sender"), x.env());
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    const std::string path = x.Sub("実績" + std::to_string(i) + ".pdf");
    EXPECT_TRUE(WriteFileAtomic(path, "%PDF-1.7\n" + std::string(200000 + i, 'a' + i)).ok());
    auto sent = (*a)->Send({"1311111111", "", {path}}, nullptr);
    EXPECT_TRUE(sent.ok()) << sent.status().ToString();
    return sent.ok() ? sent->message_id : "";
  };
  const std::string before = send(0);
  // Broker 2 goes (as if killed: its connections close).
  stop = true;
  serving.join();
  second->reset();
  const std::string after = send(1);
  auto r = agent::Agent::Open(x.home("recipient"), x.env());
  ASSERT_TRUE(r.ok());
  for (const auto& [id, i] : {std::pair{before, 0}, std::pair{after, 1}}) {
    auto got = (*r)->Fetch(id, x.Sub("received"), nullptr);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*ReadFile(got->saved_paths.at(0)), "%PDF-1.7\n" + std::string(200000 + i, 'a' + i));
  }
}

}  // namespace
}  // namespace tayori::broker
