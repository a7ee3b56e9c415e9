// Retention, receipts, several terminals, events, notices, statistics and
// metrics, on a real broker in-process with an injected clock: 90 days pass
// in milliseconds.
#include <httplib.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <mutex>
#include <thread>

#include "agent/agent.h"
#include "broker/admin_client.h"
#include "broker/server.h"
#include "common/crypto/curve.h"
#include "common/ids.h"
#include "tests/support/test_util.h"

namespace tayori::broker {
namespace {

constexpr int64_t kDay = 86400;

class RetentionTest : public ::testing::Test {
 protected:
  RetentionTest() : now_(Env::Default()->NowSeconds()), env_(now_ * 1000), ca_(dir_.Sub("ca"), now_) {}

  void SetUp() override {
    BrokerOptions o;
    o.endpoint = "tcp://127.0.0.1:0";
    o.admin_endpoint = "tcp://127.0.0.1:0";
    o.metrics_endpoint = "127.0.0.1:0";
    o.data_dir = dir_.Sub("broker");
    o.ca_cert = ca_.ca_pem();
    o.ca_crl = ca_.crl_pem();
    o.max_chunk_bytes = 1 << 20;
    o.sweep_interval_seconds = 1000 * kDay;  // tests sweep by hand
    o.env = &env_;
    auto server = Server::Start(o);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    thread_ = std::thread([this] { server_->Run(&stop_); });
    for (auto [office, name] : {std::pair{"0123456789", "A"}, {"1299999999", "B"}, {"1300000000", "C"}}) {
      pb::Request req;
      req.mutable_office_add()->set_office(office);
      req.mutable_office_add()->set_name(name);
      req.mutable_office_add()->set_licence_until("2099-12-31");
      ASSERT_TRUE(Admin(req).ok());
    }
    a_ = Agent("a", "0123456789", "KJ000000000001");
    b_ = Agent("b", "1299999999", "KJ000000000002");
    c_ = Agent("c", "1300000000", "KJ000000000003");
  }

  void TearDown() override {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

  StatusOr<wire::Reply> Admin(pb::Request req) {
    ASSIGN_OR_RETURN(auto client, ConnectAdmin(dir_.Sub("broker"), 10000));
    return client->Call(req);
  }

  pb::MaintenanceResponse Sweep(bool compact = false) {
    pb::Request req;
    req.mutable_maintenance()->set_sweep(true);
    req.mutable_maintenance()->set_compact(compact);
    auto r = Admin(req);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->response.maintenance() : pb::MaintenanceResponse();
  }

  pb::StatsResponse Stats() {
    pb::Request req;
    req.mutable_stats();
    auto r = Admin(req);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r->response.stats();
  }

  std::unique_ptr<agent::Agent> Agent(const std::string& label, const std::string& office, const std::string& user,
                                      const std::string& certs_label = "") {
    const std::string certs = certs_label.empty() ? ca_.Issue(label, office, user, crypto::CertType::kCareInsurance,
                                                              now_ - 10, now_ + 3 * 365 * kDay)
                                                  : dir_.Sub("ca/" + certs_label);
    agent::InitOptions io;
    io.home = dir_.Sub("home-" + label);
    io.broker = server_->endpoint();
    io.broker_key = server_->public_key();
    io.cert_path = certs + "/cert.pem";
    io.key_path = certs + "/key.pem";
    io.ca_path = ca_.ca_pem();
    EXPECT_TRUE(agent::Agent::Init(io, &env_).ok());
    EXPECT_TRUE(WriteFileAtomic(io.home + "/agent.yaml",
                                *ReadFile(io.home + "/agent.yaml") + "attempt_timeout_s: 1\ntimeout_s: 30\n")
                    .ok());
    auto a = agent::Agent::Open(io.home, &env_);
    EXPECT_TRUE(a.ok());
    auto enrolled = (*a)->Enrol();
    EXPECT_TRUE(enrolled.ok()) << enrolled.status().ToString();
    return std::move(a).value();
  }

  std::string Send(agent::Agent* from, const std::string& to, const std::string& body, int n = 0) {
    const std::string path = dir_.Sub("send-" + std::to_string(counter_++) + ".pdf");
    EXPECT_TRUE(WriteFileAtomic(path, "%PDF-1.7\n" + body).ok());
    auto r = from->Send({to, "m", {path}}, nullptr);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->message_id : "";
  }

  pb::MessageState SentState(const std::string& id) {
    auto sent = a_->Sent();
    EXPECT_TRUE(sent.ok()) << sent.status().ToString();
    for (const auto& item : *sent)
      if (item.entry.message_id() == id) return item.entry.state();
    return pb::STATE_UNSPECIFIED;  // gone from the list
  }

  const int64_t now_;
  testing::TempDir dir_;
  FakeEnv env_;
  testing::CaFixture ca_;
  std::unique_ptr<Server> server_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::unique_ptr<agent::Agent> a_, b_, c_;
  int counter_ = 0;
};

TEST_F(RetentionTest, UndownloadedMessagesExpireAndTheSenderSeesIt) {
  const std::string id = Send(a_.get(), "1299999999", "plan");
  EXPECT_EQ(Stats().pending_messages(), 1u);
  env_.Advance(89 * kDay * 1000);
  EXPECT_EQ(Sweep().expired(), 0u);
  EXPECT_EQ(SentState(id), pb::DELIVERED);
  env_.Advance(2 * kDay * 1000);  // 91 days: past the default 90
  EXPECT_EQ(Sweep().expired(), 1u);
  EXPECT_EQ(SentState(id), pb::EXPIRED);
  EXPECT_EQ(b_->Inbox()->front().entry.state(), pb::EXPIRED);
  auto fetched = b_->Fetch(id, dir_.Sub("recv"), nullptr);
  EXPECT_EQ(fetched.status().reason(), "message_not_found");
  EXPECT_NE(fetched.status().detail().find("expired"), std::string::npos);
  pb::StatsResponse s = Stats();
  EXPECT_EQ(s.pending_messages(), 0u);
  EXPECT_EQ(s.expired_messages(), 1u);
  // The sender sees "expired" for expired_keep (30 days), then it goes.
  env_.Advance(31 * kDay * 1000);
  EXPECT_EQ(Sweep().purged(), 1u);
  EXPECT_EQ(SentState(id), pb::STATE_UNSPECIFIED);
  EXPECT_TRUE(b_->Inbox()->empty());
}

TEST_F(RetentionTest, DownloadedMessagesKeepListEntriesUntilRetentionEnds) {
  const std::string id = Send(a_.get(), "1299999999", "plan");
  ASSERT_TRUE(b_->Fetch(id, dir_.Sub("recv"), nullptr).ok());
  env_.Advance(89 * kDay * 1000);
  EXPECT_EQ(Sweep().purged(), 0u);
  EXPECT_EQ(SentState(id), pb::DOWNLOADED);
  env_.Advance(2 * kDay * 1000);
  EXPECT_EQ(Sweep().purged(), 1u);
  EXPECT_EQ(SentState(id), pb::STATE_UNSPECIFIED);
}

TEST_F(RetentionTest, AbandonedUploadsAreRemoved) {
  // Begin a send and put one chunk, then nothing: a client that went away.
  auto raw = testing::ConnectAs(dir_.Sub("home-a"), server_->endpoint(), server_->public_key());
  // Let the agent build a real signed manifest through an interrupted send:
  // its outbox keeps it; the broker has the UPLOADING record.
  const std::string path = dir_.Sub("big.pdf");
  ASSERT_TRUE(WriteFileAtomic(path, "%PDF-1.7\n" + std::string(3 << 20, 'x')).ok());
  auto first = a_->Send({"1299999999", "m", {path}}, nullptr);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(Stats().uploading_messages(), 0u);
  pb::Request begin;
  auto sent = a_->Sent();
  pb::Manifest m;
  m.ParseFromString(sent->front().entry.signed_().manifest());
  m.set_send_id(NewId(env_.NowMillis()));  // a new send that never completes
  auto* s = begin.mutable_send_begin()->mutable_signed_();
  s->set_manifest(m.SerializeAsString());
  s->set_signature(*crypto::PrivateKey::FromPem(*ReadFile(dir_.Sub("ca/a/key.pem")))->Sign(s->manifest()));
  s->set_signer_cert_der(crypto::Certificate::FromPem(*ReadFile(dir_.Sub("ca/a/cert.pem")))->Der());
  ASSERT_TRUE(raw->Call(begin).ok());
  EXPECT_EQ(Stats().uploading_messages(), 1u);
  env_.Advance(8 * kDay * 1000);  // upload_timeout is 7 days
  EXPECT_EQ(Sweep().purged(), 1u);
  EXPECT_EQ(Stats().uploading_messages(), 0u);
  EXPECT_EQ(b_->Inbox()->size(), 1u);  // the completed send is untouched
}

TEST_F(RetentionTest, SpaceComesBackAfterDownloadsAndCompaction) {
  const uint64_t start = Sweep(true).disk_bytes();
  std::vector<std::string> ids;
  const std::string body = testing::RandomHex(4 << 20);  // 8 MiB
  for (int i = 0; i < 25; ++i) ids.push_back(Send(a_.get(), "1299999999", body + std::to_string(i)));
  const uint64_t full = Stats().disk_bytes();
  EXPECT_GT(full, start + (200ull << 20)) << "start " << start << " full " << full;
  for (const auto& id : ids) {
    auto r = b_->Fetch(id, dir_.Sub("recv"), nullptr);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_TRUE(std::filesystem::remove(r->saved_paths[0]));
  }
  const uint64_t after = Sweep(true).disk_bytes();
  EXPECT_LT(after, start + (16ull << 20)) << "start " << start << " full " << full << " after " << after;
}

TEST_F(RetentionTest, SignedReceiptsReachTheSender) {
  const std::string id = Send(a_.get(), "1299999999", "plan");
  EXPECT_EQ(a_->Receipt(id).status().reason(), "receipt_missing");
  ASSERT_TRUE(b_->Fetch(id, dir_.Sub("recv"), nullptr).ok());
  auto receipt = a_->Receipt(id);
  ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  EXPECT_EQ(receipt->receipt.recipient_office(), "1299999999");
  EXPECT_EQ(receipt->signer.user_id, "KJ000000000002");
  EXPECT_EQ(receipt->receipt.file_sha256_size(), 1);
  EXPECT_EQ(c_->Receipt(id).status().reason(), "message_not_found");  // not C's send
}

TEST_F(RetentionTest, AcknowledgementsNeedAValidReceipt) {
  const std::string id = Send(a_.get(), "1299999999", "plan");
  auto raw = testing::ConnectAs(dir_.Sub("home-b"), server_->endpoint(), server_->public_key());
  pb::Request ack;
  ack.mutable_ack()->set_message_id(id);
  EXPECT_EQ(raw->Call(ack).status().reason(), "bad_request");  // no receipt
  pb::Receipt r;
  r.set_message_id(id);
  r.set_recipient_office("1299999999");
  ack.mutable_ack()->set_receipt(r.SerializeAsString());
  ack.mutable_ack()->set_receipt_signature("forged");
  EXPECT_EQ(raw->Call(ack).status().reason(), "signature_invalid");
  // Properly signed, but for other files.
  auto key = crypto::PrivateKey::FromPem(*ReadFile(dir_.Sub("ca/b/key.pem")));
  r.add_file_sha256(std::string(32, 'x'));
  ack.mutable_ack()->set_receipt(r.SerializeAsString());
  ack.mutable_ack()->set_receipt_signature(*key->Sign(r.SerializeAsString()));
  EXPECT_EQ(raw->Call(ack).status().reason(), "signature_invalid");
  EXPECT_EQ(SentState(id), pb::DELIVERED);
}

TEST_F(RetentionTest, TwoTerminalsOfOneOfficeNeverBothDownload) {
  auto b2 = Agent("b2", "1299999999", "KJ000000000002", "b");  // a second PC, same certificate
  const std::string body = testing::RandomHex(1 << 20);
  for (int round = 0; round < 5; ++round) {
    const std::string id = Send(a_.get(), "1299999999", body);
    EXPECT_EQ(b_->Inbox()->back().message, "m");  // both terminals can read it
    EXPECT_EQ(b2->Inbox()->back().message, "m");
    StatusOr<agent::FetchResult> r1 = Status(Code::kInternal, "internal", "not run");
    StatusOr<agent::FetchResult> r2 = r1;
    std::thread t1([&] { r1 = b_->Fetch(id, dir_.Sub("b1-" + std::to_string(round)), nullptr); });
    std::thread t2([&] { r2 = b2->Fetch(id, dir_.Sub("b2-" + std::to_string(round)), nullptr); });
    t1.join();
    t2.join();
    ASSERT_NE(r1.ok(), r2.ok()) << r1.status().ToString() << " / " << r2.status().ToString();
    const auto& winner = r1.ok() ? r1 : r2;
    const auto& loser = r1.ok() ? r2 : r1;
    EXPECT_EQ(loser.status().reason(), "already_downloaded");
    EXPECT_EQ(*ReadFile(winner->saved_paths[0]), "%PDF-1.7\n" + body);
  }
}

// The events one terminal (an agent home) receives, watched on a thread of
// its own until it is destroyed.
class EventWatch {
 public:
  EventWatch(const std::string& home, Env* env) : agent_(std::move(agent::Agent::Open(home, env)).value()) {
    thread_ = std::thread([this] {
      EXPECT_TRUE(agent_
                      ->Watch(
                          [this](const pb::Event& e) {
                            std::lock_guard<std::mutex> l(mu_);
                            events_.push_back(e);
                          },
                          [this] { return stop_.load(); })
                      .ok());
    });
  }
  ~EventWatch() {
    stop_ = true;
    thread_.join();
  }
  // The first event of KIND (about message ID, if given); waits up to 10 s.
  pb::Event WaitFor(const std::string& kind, const std::string& id = "") {
    for (int i = 0; i < 1000; ++i) {
      {
        std::lock_guard<std::mutex> l(mu_);
        for (const auto& e : events_)
          if (e.kind() == kind && (id.empty() || e.message_id() == id)) return e;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pb::Event();
  }
  std::vector<pb::Event> events() {
    std::lock_guard<std::mutex> l(mu_);
    return events_;
  }

 private:
  std::unique_ptr<agent::Agent> agent_;  // its own connection
  std::mutex mu_;
  std::vector<pb::Event> events_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST_F(RetentionTest, EventsReachSubscribedTerminals) {
  EventWatch b(dir_.Sub("home-b"), &env_), a(dir_.Sub("home-a"), &env_);
  EXPECT_EQ(b.WaitFor("subscribed").kind(), "subscribed");
  EXPECT_EQ(a.WaitFor("subscribed").kind(), "subscribed");
  const std::string id = Send(a_.get(), "1299999999", "plan");
  pb::Event e = b.WaitFor("new_mail");
  EXPECT_EQ(e.message_id(), id);
  EXPECT_EQ(e.office(), "0123456789");
  EXPECT_EQ(e.name(), "A");
  ASSERT_TRUE(b_->Fetch(id, dir_.Sub("recv"), nullptr).ok());
  e = a.WaitFor("downloaded");
  EXPECT_EQ(e.message_id(), id);
  EXPECT_EQ(e.office(), "1299999999");
  const std::string unread = Send(a_.get(), "1299999999", "later");
  env_.Advance(91 * kDay * 1000);
  Sweep();
  EXPECT_EQ(a.WaitFor("expired").message_id(), unread);
  for (const auto& ev : b.events()) EXPECT_NE(ev.kind(), "downloaded");  // B is told only of its own affairs
}

// A terminal the operator removed kept receiving its office's events on the
// subscription it already had.
TEST_F(RetentionTest, EventsStopAtARemovedTerminal) {
  auto b2 = Agent("b2", "1299999999", "KJ000000000002");  // a second PC with its own certificate
  EventWatch removed(dir_.Sub("home-b"), &env_), kept(dir_.Sub("home-b2"), &env_);
  ASSERT_EQ(removed.WaitFor("subscribed").kind(), "subscribed");
  ASSERT_EQ(kept.WaitFor("subscribed").kind(), "subscribed");
  pb::Request list;
  list.mutable_terminal_list()->set_office("1299999999");
  auto terminals = Admin(list);
  ASSERT_TRUE(terminals.ok());
  ASSERT_EQ(terminals->response.terminal_list().terminals_size(), 2);
  pb::Request remove;
  remove.mutable_terminal_remove()->set_office("1299999999");
  remove.mutable_terminal_remove()->set_terminal_id(terminals->response.terminal_list().terminals(0).terminal_id());
  ASSERT_TRUE(Admin(remove).ok());  // home-b's, the older
  const std::string id = Send(a_.get(), "1299999999", "after removal");
  EXPECT_EQ(kept.WaitFor("new_mail", id).message_id(), id);
  // Both were pushed in one pass, if at all: the removed one has nothing.
  for (const auto& ev : removed.events()) EXPECT_NE(ev.message_id(), id);
}

TEST_F(RetentionTest, NoticesAndHomeStatus) {
  auto home = b_->Home();
  ASSERT_TRUE(home.ok()) << home.status().ToString();
  EXPECT_EQ(home->notices.system_status(), "normal");
  EXPECT_EQ(home->office.licence_until(), "2099-12-31");
  pb::Request post;
  post.mutable_notice_post()->set_title("メンテナンスのお知らせ");
  post.mutable_notice_post()->set_body("12月1日 2:00-4:00 は停止します。");
  post.mutable_notice_post()->set_kind("maintenance");
  post.mutable_notice_post()->set_until(JstDate(now_ + 2 * kDay));
  auto posted = Admin(post);
  ASSERT_TRUE(posted.ok());
  home = b_->Home();
  EXPECT_EQ(home->notices.system_status(), "maintenance_announced");
  ASSERT_EQ(home->notices.notices_size(), 1);
  EXPECT_EQ(home->notices.notices(0).title(), "メンテナンスのお知らせ");
  env_.Advance(3 * kDay * 1000);  // past its last day
  EXPECT_EQ(b_->Home()->notices.notices_size(), 0);
  post.mutable_notice_post()->set_kind("info");
  post.mutable_notice_post()->set_until("");
  posted = Admin(post);
  EXPECT_EQ(b_->Home()->notices.notices_size(), 1);
  pb::Request withdraw;
  withdraw.mutable_notice_withdraw()->set_id(posted->response.notice().id());
  ASSERT_TRUE(Admin(withdraw).ok());
  EXPECT_EQ(b_->Home()->notices.notices_size(), 0);
  // Bad operator input.
  post.mutable_notice_post()->set_title("");
  EXPECT_EQ(Admin(post).status().reason(), "usage");
  post.mutable_notice_post()->set_title("x");
  post.mutable_notice_post()->set_kind("urgent");
  EXPECT_EQ(Admin(post).status().reason(), "usage");
  withdraw.mutable_notice_withdraw()->set_id("nope");
  EXPECT_EQ(Admin(withdraw).status().reason(), "usage");
}

// A series' value in a Prometheus scrape; -1 if it is not there.
int64_t SeriesValue(const std::string& body, const std::string& series) {
  const size_t at = body.find("\n" + series + " ");
  return at == std::string::npos ? -1 : std::stoll(body.substr(at + series.size() + 2));
}

TEST_F(RetentionTest, StatisticsPerMailboxAndMetrics) {
  const std::string ep = server_->metrics_endpoint();
  httplib::Client http(ep.substr(0, ep.rfind(':')), std::stoi(ep.substr(ep.rfind(':') + 1)));
  const std::string memtables = "tayori_store_memory_bytes{part=\"memtables\"}";
  auto before = http.Get("/metrics");
  ASSERT_TRUE(before);
  const int64_t memtables_before = SeriesValue(before->body, memtables);

  Send(a_.get(), "1299999999", "one");
  env_.Advance(1000);
  const std::string second = Send(a_.get(), "1299999999", "two");
  Send(a_.get(), "1300000000", "three");
  pb::StatsResponse s = Stats();
  EXPECT_EQ(s.pending_messages(), 3u);
  ASSERT_EQ(s.mailboxes_size(), 2);
  EXPECT_EQ(s.mailboxes(0).office(), "1299999999");
  EXPECT_EQ(s.mailboxes(0).name(), "B");
  EXPECT_EQ(s.mailboxes(0).pending_messages(), 2u);
  EXPECT_EQ(s.mailboxes(0).oldest_pending_unix(), now_);
  EXPECT_GT(s.mailboxes(0).pending_bytes(), 0u);
  EXPECT_EQ(s.retention_seconds(), 90 * kDay);
  ASSERT_TRUE(b_->Fetch(second, dir_.Sub("recv"), nullptr).ok());
  EXPECT_EQ(Stats().pending_messages(), 2u);
  EXPECT_EQ(c_->Fetch(second, dir_.Sub("x"), nullptr).status().reason(), "message_not_found");

  auto res = http.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->body.find("tayori_sends_total 3"), std::string::npos) << res->body;
  EXPECT_NE(res->body.find("tayori_downloads_total 1"), std::string::npos);
  EXPECT_NE(res->body.find("tayori_pending_messages 2"), std::string::npos);
  EXPECT_NE(res->body.find("tayori_refusals_total{reason=\"message_not_found\"} 1"), std::string::npos);
  EXPECT_NE(res->body.find("tayori_commit_seconds_count 3"), std::string::npos);
  EXPECT_EQ(http.Get("/nothing")->status, 404);

  // Memory is sampled once a second of the broker's clock: after one, the
  // memtables have grown by the three sends.
  ASSERT_GE(memtables_before, 0) << before->body;
  env_.Advance(1000);
  int64_t memtables_after = memtables_before, in_use = 0;
  for (int i = 0; i < 500 && memtables_after <= memtables_before; ++i) {
    auto scrape = http.Get("/metrics");
    ASSERT_TRUE(scrape);
    memtables_after = SeriesValue(scrape->body, memtables);
    in_use = SeriesValue(scrape->body, "tayori_heap_bytes{state=\"in_use\"}");
    ASSERT_GE(SeriesValue(scrape->body, "tayori_store_memory_bytes{part=\"block_cache\"}"), 0) << scrape->body;
    ASSERT_GE(SeriesValue(scrape->body, "tayori_heap_bytes{state=\"free\"}"), 0) << scrape->body;
    if (memtables_after <= memtables_before) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GT(memtables_after, memtables_before);
  EXPECT_GE(in_use, 0);  // present; 0 where the allocator does not say (under a sanitizer's)
}

TEST_F(RetentionTest, LicenceExpiryByTheOperator) {
  pb::Request expire;
  expire.mutable_licence_expire()->set_office("0123456789");
  ASSERT_TRUE(Admin(expire).ok());
  const std::string path = dir_.Sub("x.pdf");
  ASSERT_TRUE(WriteFileAtomic(path, "%PDF-1.7").ok());
  EXPECT_EQ(a_->Send({"1299999999", "", {path}}, nullptr).status().reason(), "sender_unlicensed");
  expire.mutable_licence_expire()->set_office("999");
  EXPECT_EQ(Admin(expire).status().reason(), "bad_office_number");
}

}  // namespace
}  // namespace tayori::broker
