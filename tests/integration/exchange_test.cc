// Integration: the real tayori-broker, tayori-admin and tayori-agent
// programs as separate processes on loopback (port 0, temp dirs).
#include <signal.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "broker/rocksdb_mailbox_store.h"
#include "common/env.h"
#include "tests/support/careplan_corpus.h"
#include "tests/support/cluster.h"
#include "tests/support/test_util.h"

namespace tayori {
namespace {

using testing::Cluster;
using testing::Process;
using testing::RunResult;

std::string MarkedContent(const std::string& marker, size_t size) {
  std::string data;
  while (data.size() < size) data += testing::RandomHex(4096) + marker;
  return data.substr(0, size);
}

TEST(ExchangeIntegrationTest, SendDownloadAndTheBrokerNeverHoldsPlaintext) {
  Cluster c;
  c.StartBroker("0", "log_level: debug\n");
  c.Office("a", "0123456789", "KJ000000000001");
  c.Office("b", "1299999999", "KJ000000000002", "careplan-delegated");
  const std::string marker = "MARKER-" + testing::RandomHex(16);
  const std::string content = "%PDF-1.7\n" + MarkedContent(marker, 300000);
  // 第6表・第7表・補足 with the marker in a free-text column, and a PDF.
  std::vector<std::string> args = {"send", "--message", "12月分 " + marker};
  std::map<std::string, std::string> sent_csv;
  for (auto f : testing::Corpus().Unit("plan_6_7", true)) {
    const std::string free_text = testing::ToSjis("備考、テキスト");
    f.content.replace(f.content.find(free_text), free_text.size(), marker);
    sent_csv[f.name] = f.content;
    args.push_back(c.WriteFile(f.name, f.content));
  }
  args.push_back(c.WriteFile("plan.pdf", content));
  RunResult r = c.Agent("a", args);  // no --to: the recipient comes from the names
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("送信先: 1299999999 office b"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("送信しました"), std::string::npos);

  std::string where;
  EXPECT_FALSE(testing::TreeContains(c.DataDir(), marker, &where)) << "plaintext in " << where;
  // The marker is findable when present: the scan itself works.
  EXPECT_TRUE(testing::TreeContains(c.Sub(""), marker, &where));

  auto inbox = c.Json(c.Agent("b", {"inbox", "--json"}));
  ASSERT_EQ(inbox["inbox"].size(), 1u);
  const std::string id = inbox["inbox"][0]["id"];
  EXPECT_EQ(inbox["inbox"][0]["message"], "12月分 " + marker);
  EXPECT_EQ(inbox["inbox"][0]["state"], "pending");
  EXPECT_EQ(inbox["inbox"][0]["kind"], "registration");
  EXPECT_EQ(inbox["inbox"][0]["new"], true);

  auto fetched = c.Json(c.Agent("b", {"fetch", id, "--dest", c.Sub("recv"), "--json"}));
  EXPECT_EQ(fetched["fetched"][0]["ok"], true);
  EXPECT_EQ(*ReadFile(c.Sub("recv/plan.pdf")), content);
  for (const auto& [name, bytes] : sent_csv) EXPECT_EQ(*ReadFile(c.Sub("recv/" + name)), bytes) << name;
  EXPECT_TRUE(fetched["fetched"][0]["problems"].empty());

  auto sent = c.Json(c.Agent("a", {"sent", "--json"}));
  ASSERT_EQ(sent["sent"].size(), 1u);
  EXPECT_EQ(sent["sent"][0]["state"], "downloaded");
  EXPECT_TRUE(sent["sent"][0].contains("downloaded"));
  EXPECT_NE(c.Agent("a", {"sent"}).out.find("済"), std::string::npos);

  r = c.Agent("b", {"fetch", id, "--dest", c.Sub("recv")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("既に取得済み"), std::string::npos) << r.err;
  r = c.Agent("b", {"--lang", "en", "fetch", id, "--dest", c.Sub("recv")});
  EXPECT_NE(r.err.find("already downloaded"), std::string::npos) << r.err;
  EXPECT_FALSE(testing::TreeContains(c.DataDir(), marker, &where)) << "plaintext in " << where;

  // Its log, at the most talkative level, has the send and the download
  // but neither the message text nor any file's content.
  RunResult stopped = c.StopBroker(10000);
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_NE(stopped.err.find("\"send_accepted\""), std::string::npos) << stopped.err;
  EXPECT_NE(stopped.err.find("\"message_downloaded\""), std::string::npos) << stopped.err;
  EXPECT_EQ(stopped.err.find(marker), std::string::npos) << stopped.err;
}

TEST(ExchangeIntegrationTest, BrokerKilledMidUploadLosesNothingAndDeliversOnce) {
  Cluster c;
  c.StartBroker();
  c.Office("a", "0123456789", "KJ000000000001");
  c.Office("b", "1299999999", "KJ000000000002");
  c.SlowTransfers("a");
  const std::string content = "%PDF-1.7\n" + testing::RandomHex(2 << 20);  // 4 MiB: 1024 chunks
  const std::string file = c.WriteFile("big.pdf", content);
  auto sender = c.StartAgent("a", {"send", "--to", "1299999999", file});
  ASSERT_TRUE(sender->WaitForErr("progress upload 1", 30000)) << sender->err();
  ASSERT_TRUE(sender->WaitForErr("progress upload 2", 30000)) << sender->err();
  c.KillBroker();

  {
    // While the broker is down: the partial upload is on disk but in nobody's lists.
    auto store = broker::RocksDbMailboxStore::Open(c.DataDir() + "/store");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_TRUE((*store)->ListInbox("1299999999", "", 10)->empty());
    EXPECT_TRUE((*store)->ListSent("0123456789", "", 10)->empty());
  }
  c.RestartBroker();
  RunResult r = sender->Finish(90000);
  ASSERT_EQ(r.exit_code, 0) << r.err;

  auto inbox = c.Json(c.Agent("b", {"inbox", "--json"}));
  ASSERT_EQ(inbox["inbox"].size(), 1u);
  auto fetched = c.Json(c.Agent("b", {"fetch", "--all", "--dest", c.Sub("recv"), "--json"}));
  EXPECT_EQ(fetched["fetched"].size(), 1u);
  EXPECT_TRUE(*ReadFile(c.Sub("recv/big.pdf")) == content);
}

TEST(ExchangeIntegrationTest, AgentKilledMidUploadResumesWhereItStopped) {
  Cluster c;
  c.StartBroker();
  c.Office("a", "0123456789", "KJ000000000001");
  c.Office("b", "1299999999", "KJ000000000002");
  c.SlowTransfers("a");
  const std::string content = "%PDF-1.7\n" + testing::RandomHex(2 << 20);  // 4 MiB: 1024 chunks
  const std::string file = c.WriteFile("big.pdf", content);
  auto sender = c.StartAgent("a", {"send", "--to", "1299999999", "--message", "m", file});
  ASSERT_TRUE(sender->WaitForErr("progress upload 3", 30000)) << sender->err();
  sender->Kill(SIGKILL);
  sender->Finish(10000);

  RunResult r = c.Agent("a", {"send", "--to", "1299999999", "--message", "m", file, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto result = nlohmann::json::parse(r.out);
  EXPECT_EQ(result["resumed"], true);
  auto inbox = c.Json(c.Agent("b", {"inbox", "--json"}));
  ASSERT_EQ(inbox["inbox"].size(), 1u);
  EXPECT_EQ(inbox["inbox"][0]["id"], result["id"]);
  c.Json(c.Agent("b", {"fetch", "--all", "--dest", c.Sub("recv"), "--json"}));
  EXPECT_TRUE(*ReadFile(c.Sub("recv/big.pdf")) == content);
}

TEST(ExchangeIntegrationTest, StaffSeeTheNationalClientsMessages) {
  Cluster c;
  c.StartBroker();
  c.Office("a", "0123456789", "KJ000000000001");
  const std::string f = c.WriteFile("p.pdf", "%PDF-1.7 pdf");
  // Recipient not registered.
  RunResult r = c.Agent("a", {"send", "--to", "1299999999", f});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("現在有効なライセンスを持っていません"), std::string::npos) << r.err;
  // A proxy certificate is refused at set-up.
  ASSERT_EQ(c.Admin({"ca", "issue", "--dir", c.CaDir(), "--office", "0123456780", "--user", "KJ000000000009", "--type",
                     "proxy", "--out", c.Sub("proxy")})
                .exit_code,
            0);
  r = c.Agent("p", {"init", "--broker", c.endpoint(), "--broker-key", std::string(40, 'x'), "--cert",
                    c.Sub("proxy/cert.pem"), "--key", c.Sub("proxy/key.pem"), "--ca", c.CaDir() + "/ca.pem"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("代理人証明書"), std::string::npos) << r.err;
  // The terminal's certificate no longer matches its configured office (R6).
  const std::string yaml = c.Sub("a/agent.yaml");
  std::string text = *ReadFile(yaml);
  text.replace(text.find("0123456789"), 10, "0123456788");
  ASSERT_TRUE(WriteFileAtomic(yaml, text).ok());
  r = c.Agent("a", {"send", "--to", "1299999999", f});
  EXPECT_NE(r.err.find("端末に登録されている証明書が一致しない"), std::string::npos) << r.err;
  // Bad flags and garbage config files.
  EXPECT_EQ(c.Agent("a", {"send", "--to", "12", f}).exit_code, 2);
  ASSERT_TRUE(WriteFileAtomic(yaml, "broker: [").ok());
  r = c.Agent("a", {"inbox"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("設定ファイル"), std::string::npos) << r.err;
}

TEST(ExchangeIntegrationTest, OperatorToolingAgainstARunningBroker) {
  Cluster c;
  c.StartBroker();
  c.Office("a", "0123456789", "KJ000000000001");
  c.Office("b", "1299999999", "KJ000000000002");
  auto list = c.Json(c.Admin({"office", "list", "--json"}));
  ASSERT_EQ(list["offices"].size(), 2u);
  EXPECT_EQ(list["offices"][0]["office"], "0123456789");
  EXPECT_EQ(list["offices"][0]["enrolled"], true);
  EXPECT_EQ(list["offices"][0]["licensed"], true);

  RunResult r = c.Admin({"licence", "renew", "1299999999", "--until", "2099-03-31"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("2099-03-31"), std::string::npos);
  auto lookup = c.Json(c.Agent("a", {"lookup", "1299999999", "--json"}));
  EXPECT_EQ(lookup["licence_until"], "2099-03-31");
  EXPECT_EQ(lookup["can_receive"], true);

  // Bad operator input: a clear error and exit status 2, nothing changed.
  r = c.Admin({"office", "add", "12345", "--name", "x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("10桁"), std::string::npos) << r.err;
  r = c.Admin({"--lang", "en", "licence", "renew", "0123456789", "--until", "31/03/2099"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("YYYY-MM-DD"), std::string::npos) << r.err;
  EXPECT_EQ(c.Json(c.Admin({"office", "list", "--json"}))["offices"].size(), 2u);
  r = c.Admin({"ca", "issue", "--dir", c.CaDir(), "--office", "0123456789", "--user", "KJ1", "--out", c.Sub("x")});
  EXPECT_EQ(r.exit_code, 2);

  // Revocation through the CLI reaches the running broker without a restart.
  r = c.Admin({"ca", "revoke", "--dir", c.CaDir(), "--cert", c.Sub("certs-a/cert.pem")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = c.Agent("a", {"send", "--to", "1299999999", c.WriteFile("p.pdf", "%PDF-1.7 p")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("失効"), std::string::npos) << r.err;
}

// Retention on a real broker with a clock that really runs: 3 seconds.
TEST(ExchangeIntegrationTest, ShortRetentionExpiresAndTheSenderIsTold) {
  Cluster c;
  c.StartBroker("0", "retention: 3s\nsweep_interval: 1s\nexpired_keep: 1h\n");
  c.Office("a", "0123456789", "KJ000000000001");
  c.Office("b", "1299999999", "KJ000000000002");
  auto watch = c.StartAgent("a", {"watch", "--json"});
  ASSERT_TRUE(watch->WaitForOut("\"subscribed\"", 20000)) << watch->err();
  RunResult r = c.Agent("a", {"send", "--to", "1299999999", "--json", c.WriteFile("p.pdf", "%PDF-1.7 p")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string id = nlohmann::json::parse(r.out)["id"];
  // The sweeper runs by itself; the sender's watch hears of the expiry.
  ASSERT_TRUE(watch->WaitForOut("\"expired\"", 30000)) << watch->out();
  EXPECT_NE(watch->out().find(id), std::string::npos);
  auto sent = c.Json(c.Agent("a", {"sent", "--json"}));
  EXPECT_EQ(sent["sent"][0]["state"], "expired");
  EXPECT_NE(c.Agent("a", {"sent"}).out.find("期限切れ"), std::string::npos);
  r = c.Agent("b", {"fetch", id, "--dest", c.Sub("recv")});
  EXPECT_EQ(r.exit_code, 1);
  auto stats = c.Json(c.Admin({"stats", "--json"}));
  EXPECT_EQ(stats["pending_messages"], 0);
  EXPECT_EQ(stats["expired_messages"], 1);
  EXPECT_EQ(stats["retention_seconds"], 3);
  watch->Kill(SIGTERM);
  EXPECT_EQ(watch->Finish(10000).exit_code, 0);
}

TEST(ExchangeIntegrationTest, HomeNoticesReceiptsAndStatistics) {
  Cluster c;
  c.StartBroker();
  c.Office("a", "0123456789", "KJ000000000001");
  c.Office("b", "1299999999", "KJ000000000002");
  RunResult r = c.Agent("b", {"status"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("正常稼働中"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ライセンス期限"), std::string::npos);
  r = c.Admin({"notice", "post", "--title", "メンテナンスのお知らせ", "--body", "12月1日 2時から停止します", "--kind",
               "maintenance"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto status = c.Json(c.Agent("b", {"status", "--json"}));
  EXPECT_EQ(status["system_status"], "maintenance_announced");
  ASSERT_EQ(status["notices"].size(), 1u);
  EXPECT_EQ(status["notices"][0]["title"], "メンテナンスのお知らせ");
  EXPECT_NE(c.Agent("b", {"status"}).out.find("【メンテナンス】"), std::string::npos);
  EXPECT_NE(c.Admin({"notice", "post", "--title", "x", "--kind", "urgent"}).exit_code, 0);
  EXPECT_NE(c.Admin({"notice", "post"}).exit_code, 0);

  auto watch = c.StartAgent("b", {"watch"});
  ASSERT_TRUE(watch->WaitForOut("待機中", 20000)) << watch->err();
  r = c.Agent("a", {"send", "--to", "1299999999", "--json", c.WriteFile("p.pdf", "%PDF-1.7 p")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string id = nlohmann::json::parse(r.out)["id"];
  ASSERT_TRUE(watch->WaitForOut("★ 新着 " + id, 20000)) << watch->out();
  watch->Kill(SIGINT);
  watch->Finish(10000);

  auto stats = c.Json(c.Admin({"stats", "--json"}));
  EXPECT_EQ(stats["pending_messages"], 1);
  EXPECT_EQ(stats["mailboxes"][0]["office"], "1299999999");
  EXPECT_GT(stats["disk_bytes"], 0);
  EXPECT_NE(c.Admin({"stats"}).out.find("pending: 1 messages"), std::string::npos);

  r = c.Agent("a", {"receipt", id});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("受領証がありません"), std::string::npos) << r.err;
  c.Json(c.Agent("b", {"fetch", id, "--dest", c.Sub("recv"), "--json"}));
  auto receipt = c.Json(c.Agent("a", {"receipt", id, "--json"}));
  EXPECT_EQ(receipt["verified"], true);
  EXPECT_EQ(receipt["recipient_office"], "1299999999");
  EXPECT_EQ(receipt["recipient_user_id"], "KJ000000000002");
  EXPECT_NE(c.Agent("a", {"sent"}).out.find("受領証あり"), std::string::npos);
  r = c.Admin({"compact"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("disk now"), std::string::npos);
}

// A sender with small chunks and a long history of downloaded sends (each
// with its receipt) could not list them any more: the list page was larger
// than the frames the agent accepted, sized from its chunk size.
TEST(ExchangeIntegrationTest, ALongHistoryListsWhateverTheChunkSize) {
  Cluster c;
  c.StartBroker();
  c.Office("a", "0123456789", "KJ000000000001");
  c.Office("b", "1299999999", "KJ000000000002");
  c.SlowTransfers("a");
  c.SlowTransfers("b");
  const int kSends = 40;
  for (int i = 0; i < kSends; ++i) {
    const std::string pdf = c.WriteFile("p" + std::to_string(i) + ".pdf", "%PDF-1.7\n" + std::to_string(i));
    RunResult r = c.Agent("a", {"send", "--to", "1299999999", "--message", std::string(2000, 'm'), pdf});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  ASSERT_EQ(c.Agent("b", {"fetch", "--all", "--dest", c.Sub("dl"), "--quiet"}).exit_code, 0);
  auto sent = c.Json(c.Agent("a", {"sent", "--json"}));
  ASSERT_EQ(sent["sent"].size(), static_cast<size_t>(kSends));
  for (const auto& e : sent["sent"]) EXPECT_TRUE(e["receipt"].get<bool>());
  EXPECT_EQ(c.Json(c.Agent("b", {"inbox", "--json"}))["inbox"].size(), static_cast<size_t>(kSends));
}

// Registers OFFICES as r0, r1, ..., writes a unit of actuals from A to each
// into EXPORT_DIR and a PDF of PDF_BYTES for each to attach; returns the
// `bulk --json` command line for it.
std::vector<std::string> BulkExport(Cluster& c, const std::string& export_dir, const std::vector<std::string>& offices,
                                    size_t pdf_bytes) {
  EXPECT_TRUE(MakeDirs(export_dir).ok());
  std::vector<std::string> args = {"bulk", export_dir, "--json"};
  for (size_t i = 0; i < offices.size(); ++i) {
    c.Office("r" + std::to_string(i), offices[i], "KJ00000000001" + std::to_string(i));
    for (const auto& f : testing::Corpus("0123456789", offices[i]).Unit("actuals", true)) {
      EXPECT_TRUE(WriteFileAtomic(export_dir + "/" + f.name, f.content).ok());
    }
    const std::string pdf = c.WriteFile("p" + std::to_string(i) + ".pdf", "%PDF-1.7\n" + testing::RandomHex(pdf_bytes));
    args.push_back("--attach");
    args.push_back(offices[i] + "=" + pdf);
  }
  return args;
}

TEST(BulkIntegrationTest, GroupsByRecipientLeavesFailuresAsDraftsAndResumes) {
  Cluster c;
  c.StartBroker();
  c.Office("a", "0123456789", "KJ000000000001");
  const std::vector<std::string> offices = {"1299999999", "1300000000", "1400000000"};
  for (size_t i = 0; i < offices.size(); ++i) {
    c.Office("r" + std::to_string(i), offices[i], "KJ00000000001" + std::to_string(i));
  }
  // Plans for three registered offices and one that is not (yet).
  const std::string export_dir = c.Sub("export");
  ASSERT_TRUE(MakeDirs(export_dir).ok());
  std::vector<std::string> all = offices;
  all.push_back("1500000000");
  for (const auto& to : all) {
    for (const auto& f : testing::Corpus("0123456789", to).Unit("plan_6_7", true)) {
      ASSERT_TRUE(WriteFileAtomic(export_dir + "/" + f.name, f.content).ok());
    }
  }
  const std::string pdf = c.WriteFile("第3表.pdf", "%PDF-1.7 weekly");
  RunResult r = c.Agent("a", {"bulk", export_dir, "--json", "--message", "12月分です", "--message-for",
                              "1300000000=C様 12月分", "--attach", "1299999999=" + pdf});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // one group could not go
  std::vector<nlohmann::json> events;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) events.push_back(nlohmann::json::parse(line));
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events.front()["event"], "plan");
  EXPECT_EQ(events.front()["groups"].size(), 4u);
  EXPECT_EQ(events.front()["groups"][0]["name"], "office r0");
  EXPECT_EQ(events.back()["event"], "done");
  EXPECT_EQ(events.back()["succeeded"], 3);
  EXPECT_EQ(events.back()["failed"], 1);
  bool saw_sending = false;
  for (const auto& e : events) saw_sending |= e.value("state", "") == "sending";
  EXPECT_TRUE(saw_sending);

  auto inbox0 = c.Json(c.Agent("r0", {"inbox", "--json"}));
  ASSERT_EQ(inbox0["inbox"].size(), 1u);
  EXPECT_EQ(inbox0["inbox"][0]["files"].size(), 4u);  // 6表, 7表, 補足 and the PDF
  EXPECT_EQ(inbox0["inbox"][0]["message"], "12月分です");
  EXPECT_EQ(c.Json(c.Agent("r1", {"inbox", "--json"}))["inbox"][0]["message"], "C様 12月分");

  // The failed group stays as a draft; once its office exists, --resume sends it.
  auto drafts = c.Json(c.Agent("a", {"draft", "list", "--json"}));
  ASSERT_EQ(drafts["drafts"].size(), 1u);
  EXPECT_EQ(drafts["drafts"][0]["to"], "1500000000");
  EXPECT_EQ(drafts["drafts"][0]["bulk"], true);
  c.Office("late", "1500000000", "KJ000000000099");
  r = c.Agent("a", {"bulk", "--resume"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("成功 1件"), std::string::npos) << r.out;
  EXPECT_TRUE(c.Json(c.Agent("a", {"draft", "list", "--json"}))["drafts"].empty());
  EXPECT_EQ(c.Json(c.Agent("late", {"inbox", "--json"}))["inbox"].size(), 1u);
  for (size_t i = 0; i < offices.size(); ++i) {
    EXPECT_EQ(c.Json(c.Agent("r" + std::to_string(i), {"inbox", "--json"}))["inbox"].size(), 1u);
  }
}

TEST(BulkIntegrationTest, InterruptedBulkResumesWithoutDuplicates) {
  Cluster c;
  c.StartBroker();
  c.Office("a", "0123456789", "KJ000000000001");
  const std::vector<std::string> offices = {"1299999999", "1300000000", "1400000000"};
  const std::vector<std::string> args = BulkExport(c, c.Sub("export"), offices, 2 << 20);
  auto bulk = c.StartAgent("a", args);
  ASSERT_TRUE(bulk->WaitForOut("\"state\":\"sending\"", 30000)) << bulk->err();
  bulk->Kill(SIGINT);
  RunResult r = bulk->Finish(30000);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("\"interrupted\""), std::string::npos) << r.out;
  const size_t left = c.Json(c.Agent("a", {"draft", "list", "--json"}))["drafts"].size();
  EXPECT_GE(left, 1u);
  r = c.Agent("a", {"bulk", "--resume", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  for (size_t i = 0; i < offices.size(); ++i) {
    EXPECT_EQ(c.Json(c.Agent("r" + std::to_string(i), {"inbox", "--json"}))["inbox"].size(), 1u) << offices[i];
  }
  EXPECT_TRUE(c.Json(c.Agent("a", {"draft", "list", "--json"}))["drafts"].empty());
}

// Killing the sending agent twice during a bulk send and then running the
// same bulk again, as staff are told to, delivered some sends twice: the
// groups sent before the kill went again.
TEST(BulkIntegrationTest, KilledTwiceAndRunAgainEachSendArrivesOnce) {
  Cluster c;
  c.StartBroker();
  c.Office("a", "0123456789", "KJ000000000001");
  c.SlowTransfers("a");
  const std::vector<std::string> offices = {"1299999999", "1300000000", "1400000000", "1500000000"};
  const std::string export_dir = c.Sub("export");
  const std::vector<std::string> args = BulkExport(c, export_dir, offices, 512 << 10);
  for (int kill = 1; kill <= 2; ++kill) {
    auto bulk = c.StartAgent("a", args);
    // Killed while a send is under way: the first time after one was
    // accepted; the second time the plan already shows that one as sent,
    // so the kill may come before another is accepted.
    ASSERT_TRUE(bulk->WaitForOut("\"state\":\"success\"", 60000)) << bulk->out() << bulk->err();
    ASSERT_TRUE(bulk->WaitForOut("\"state\":\"sending\"", 60000)) << bulk->out();
    bulk->Kill(SIGKILL);
    bulk->Finish(10000);
  }
  RunResult r = c.Agent("a", args);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("\"already_sent\":true"), std::string::npos) << r.out;
  for (size_t i = 0; i < offices.size(); ++i) {
    EXPECT_EQ(c.Json(c.Agent("r" + std::to_string(i), {"inbox", "--json"}))["inbox"].size(), 1u) << offices[i];
  }
  // Corrected data exported under the same name is new: it goes, the rest
  // does not.
  const testing::CorpusFile fixed = testing::Corpus("0123456789", offices[0]).File("UPJSK", true, "202612", 5);
  ASSERT_TRUE(WriteFileAtomic(export_dir + "/" + fixed.name, fixed.content).ok());
  r = c.Agent("a", args);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(c.Json(c.Agent("r0", {"inbox", "--json"}))["inbox"].size(), 2u);
  EXPECT_EQ(c.Json(c.Agent("r1", {"inbox", "--json"}))["inbox"].size(), 1u);
}

TEST(BulkIntegrationTest, BadBulkInput) {
  Cluster c;
  c.StartBroker();
  c.Office("a", "0123456789", "KJ000000000001");
  const std::string dir = c.Sub("many");
  ASSERT_TRUE(MakeDirs(dir).ok());
  for (int i = 0; i < 51; ++i) {
    char to[11];
    std::snprintf(to, sizeof to, "13%08d", i);
    auto f = testing::Corpus("0123456789", to).File("UPJSK", true);
    ASSERT_TRUE(WriteFileAtomic(dir + "/" + f.name, f.content).ok());
  }
  RunResult r = c.Agent("a", {"bulk", dir});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("50件"), std::string::npos) << r.err;
  r = c.Agent("a", {"bulk", c.WriteFile("loose.pdf", "%PDF-1.7")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--attach"), std::string::npos) << r.err;
  EXPECT_EQ(c.Agent("a", {"bulk", dir, "--attach", "nonsense"}).exit_code, 2);
  EXPECT_EQ(c.Agent("a", {"bulk"}).exit_code, 2);
  EXPECT_NE(c.Agent("a", {"bulk", c.Sub("no-such-dir")}).exit_code, 0);
}

TEST(DraftIntegrationTest, SaveListShowEditSendDelete) {
  Cluster c;
  c.StartBroker();
  c.Office("a", "0123456789", "KJ000000000001");
  c.Office("b", "1299999999", "KJ000000000002");
  testing::Corpus corpus;
  auto unit = corpus.Unit("plan_6_7", true);
  // Saved half done: the 補足 is missing.
  RunResult r = c.Agent("a", {"draft", "save", "--message", "下書き", c.WriteFile(unit[0].name, unit[0].content),
                              c.WriteFile(unit[1].name, unit[1].content)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto list = c.Json(c.Agent("a", {"draft", "list", "--json"}));
  ASSERT_EQ(list["drafts"].size(), 1u);
  const std::string id = list["drafts"][0]["id"];
  EXPECT_EQ(list["drafts"][0]["ready"], false);
  auto shown = c.Json(c.Agent("a", {"draft", "show", id, "--json"}));
  EXPECT_EQ(shown["problems"][0]["reason"], "combination_invalid");
  r = c.Agent("a", {"draft", "send", id});
  EXPECT_EQ(r.exit_code, 2) << r.err;  // refused before anything leaves
  r = c.Agent("a", {"draft", "edit", id, "--add", c.WriteFile(unit[2].name, unit[2].content), "--message", "完成"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(c.Json(c.Agent("a", {"draft", "show", id, "--json"}))["ready"], true);
  EXPECT_EQ(c.Agent("a", {"draft", "edit", id, "--remove", "nope.pdf"}).exit_code, 2);
  r = c.Agent("a", {"draft", "send", id});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(c.Json(c.Agent("a", {"draft", "list", "--json"}))["drafts"].empty());
  auto inbox = c.Json(c.Agent("b", {"inbox", "--json"}));
  ASSERT_EQ(inbox["inbox"].size(), 1u);
  EXPECT_EQ(inbox["inbox"][0]["message"], "完成");
  // Delete, and garbage ids.
  r = c.Agent("a", {"draft", "save", "--to", "1299999999", c.WriteFile("x.pdf", "%PDF-1.7")});
  const std::string second = c.Json(c.Agent("a", {"draft", "list", "--json"}))["drafts"][0]["id"];
  EXPECT_EQ(c.Agent("a", {"draft", "delete", second}).exit_code, 0);
  r = c.Agent("a", {"draft", "show", second});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("下書きはありません"), std::string::npos) << r.err;
  EXPECT_NE(c.Agent("a", {"draft", "show", "../../etc/passwd"}).exit_code, 0);
  EXPECT_EQ(c.Agent("a", {"draft", "save", "--to", "12", c.Sub("x.pdf")}).exit_code, 2);
}

TEST(ExchangeIntegrationTest, KilledDownloadResumesAtTheFirstMissingChunk) {
  Cluster c;
  c.StartBroker();
  c.Office("a", "0123456789", "KJ000000000001");
  c.Office("b", "1299999999", "KJ000000000002");
  c.SlowTransfers("a");  // the sender's chunk size is the download's
  c.SlowTransfers("b");
  const std::string content = "%PDF-1.7\n" + testing::RandomHex(2 << 20);  // 4 MiB: 1024 chunks
  RunResult r = c.Agent("a", {"send", "--to", "1299999999", "--quiet", c.WriteFile("big.pdf", content)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto fetch = c.StartAgent("b", {"fetch", "--all", "--dest", c.Sub("recv")});
  ASSERT_TRUE(fetch->WaitForErr("progress download 2", 30000)) << fetch->err();
  fetch->Kill(SIGKILL);
  const std::string killed = fetch->Finish(10000).err;
  const size_t last = killed.rfind("progress download ");
  ASSERT_NE(last, std::string::npos);
  const uint64_t reached = std::stoull(killed.substr(last + 18));
  r = c.Agent("b", {"fetch", "--all", "--dest", c.Sub("recv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The second run starts where the first stopped, not from zero.
  const size_t first = r.err.find("progress download ");
  ASSERT_NE(first, std::string::npos) << r.err;
  const uint64_t resumed_at = std::stoull(r.err.substr(first + 18));
  EXPECT_GT(resumed_at, 0u) << r.err.substr(0, 200);
  EXPECT_LE(resumed_at, reached);
  EXPECT_GE(resumed_at + 4096, reached);
  EXPECT_TRUE(*ReadFile(c.Sub("recv/big.pdf")) == content);
  EXPECT_TRUE(ListDir(c.Sub("recv")).size() == 1) << "no .part left behind";
}

// `tayori-agent check`: for staff and care software vendors, no broker and
// no set-up terminal needed.
TEST(CheckCommandTest, ValidExportPassesAndBrokenOnesSayWhereAndWhy) {
  testing::TempDir dir;
  const std::map<std::string, std::string> env = {{"XDG_STATE_HOME", dir.Sub("s")}, {"LANG", "C.UTF-8"}};
  auto write = [&](const testing::CorpusFile& f) {
    EXPECT_TRUE(WriteFileAtomic(dir.Sub(f.name), f.content).ok());
    return dir.Sub(f.name);
  };
  testing::Corpus corpus;
  std::vector<std::string> args = {"check"};
  for (const auto& f : corpus.Unit("plan_1_2", false)) args.push_back(write(f));
  RunResult r = testing::Run(testing::BinDir() + "/tayori-agent", args, env);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("このまま1回で送信できます"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("送信先: 1299999999"), std::string::npos) << r.out;

  args.push_back("--json");
  auto j = nlohmann::json::parse(testing::Run(testing::BinDir() + "/tayori-agent", args, env).out);
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["unit"], "plan_1_2");
  EXPECT_EQ(j["files"].size(), 3u);
  EXPECT_EQ(j["files"][0]["recipient"], "1299999999");

  // A broken 第6表 set: a bad insurer number on line 2, and no 第7表.
  auto plan = corpus.File("UPPLAN", true);
  const std::string good_insurer = ",131001,";
  plan.content.replace(plan.content.find(good_insurer, plan.content.find("\r\n")), good_insurer.size(), ",13100X,");
  const std::vector<std::string> broken = {"check", write(plan), write(corpus.File("UPHOSOKU", true))};
  r = testing::Run(testing::BinDir() + "/tayori-agent", broken, env);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("2行目 2列目"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("保険者番号は6桁"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ファイルの組み合わせが正しくありません"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("UPSIKYU"), std::string::npos) << r.out;
  // English by flag, and by locale.
  auto en = broken;
  en.push_back("--lang");
  en.push_back("en");
  r = testing::Run(testing::BinDir() + "/tayori-agent", en, env);
  EXPECT_NE(r.out.find("line 2 column 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("insurer number is 6 digits"), std::string::npos) << r.out;
  r = testing::Run(testing::BinDir() + "/tayori-agent", broken,
                   {{"XDG_STATE_HOME", dir.Sub("s")}, {"LANG", "en_US.UTF-8"}});
  EXPECT_NE(r.out.find("wrong combination"), std::string::npos) << r.out;

  // Archives and renamed files, with the national client's hints.
  EXPECT_TRUE(WriteFileAtomic(dir.Sub("export.zip"), "PK\x03\x04rest").ok());
  EXPECT_TRUE(WriteFileAtomic(dir.Sub("12月分提供票.CSV"), plan.content).ok());
  r = testing::Run(testing::BinDir() + "/tayori-agent",
                   {"check", dir.Sub("export.zip"), dir.Sub("12月分提供票.CSV"), dir.Sub("missing.pdf"), "--json"},
                   env);
  EXPECT_EQ(r.exit_code, 2);
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["files"][0]["problems"][0]["reason"], "archive");
  EXPECT_EQ(j["files"][1]["problems"][0]["reason"], "name_invalid");
  EXPECT_EQ(j["files"][2]["problems"][0]["reason"], "file_type_invalid");
  // Bad flags.
  EXPECT_EQ(
      testing::Run(testing::BinDir() + "/tayori-agent", {"check", "--to", "12", dir.Sub("export.zip")}, env).exit_code,
      2);
  EXPECT_NE(testing::Run(testing::BinDir() + "/tayori-agent", {"check"}, env).exit_code, 0);
}

TEST(ExchangeIntegrationTest, SendRefusesBadSetsWithTheNationalWording) {
  Cluster c;
  c.StartBroker();
  c.Office("a", "0123456789", "KJ000000000001");
  c.Office("b", "1299999999", "KJ000000000002");
  testing::Corpus corpus;
  auto plan = corpus.File("UPPLAN", true);
  RunResult r = c.Agent("a", {"send", c.WriteFile(plan.name, plan.content)});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("ファイルの組み合わせが正しくありません。CSVファイルの組み合わせを確認してください。"),
            std::string::npos)
      << r.err;
  r = c.Agent("a", {"send", "--to", "1299999999", c.WriteFile("export.zip", "PK\x05\x06" + std::string(18, '\0'))});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("展開"), std::string::npos) << r.err;
  r = c.Agent("a", {"send", "--json", c.WriteFile("only.pdf", "%PDF-1.7")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(nlohmann::json::parse(r.out)["problems"][0]["reason"], "party_invalid");
  // A message or file name that is not text (Shift_JIS bytes from another
  // program) is refused before anything is stored, and says what to do.
  const std::string pdf = c.WriteFile("plan.pdf", "%PDF-1.7");
  r = c.Agent("a", {"send", "--to", "1299999999", "--message", "\x8C\x76\x89\xE6", pdf});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("メッセージを入力し直して"), std::string::npos) << r.err;
  r = c.Agent("a", {"send", "--to", "1299999999", c.WriteFile("\x8C\x76\x89\xE6.pdf", "%PDF-1.7")});
  EXPECT_EQ(r.exit_code, 2);
  r = c.Agent("a", {"draft", "save", "--to", "1299999999", "--message", "\x8C\x76", pdf});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("メッセージを入力し直して"), std::string::npos) << r.err;
  EXPECT_EQ(c.Agent("a", {"send", "--to", "1299999999", "--message", "よろしく", pdf}).exit_code, 0);
  EXPECT_EQ(c.Json(c.Agent("b", {"inbox", "--json"}))["inbox"].size(), 1u);
}

TEST(ExchangeIntegrationTest, BrokerRefusesGarbageConfig) {
  testing::TempDir dir;
  const std::string bad = dir.Sub("bad.yaml");
  ASSERT_TRUE(WriteFileAtomic(bad, "endpoint: tcp://127.0.0.1:0\nretention: forever\n").ok());
  RunResult r =
      testing::Run(testing::BinDir() + "/tayori-broker", {"--config", bad}, {{"XDG_STATE_HOME", dir.Sub("s")}});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("retention"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("設定ファイル"), std::string::npos) << r.err;
  r = testing::Run(testing::BinDir() + "/tayori-broker", {"--config", dir.Sub("missing.yaml")},
                   {{"XDG_STATE_HOME", dir.Sub("s")}});
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace tayori
