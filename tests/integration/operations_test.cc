// The operator's side of the real programs: a backup taken while sends
// flow, restored; a stop by SIGTERM in the middle of an upload; the config
// check that packages and units run before starting the broker; a terminal
// set up from the broker.info file the operator hands out.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "tests/support/cluster.h"
#include "tests/support/test_util.h"

namespace tayori {
namespace {

using testing::Cluster;
using testing::RunResult;

TEST(OperationsIntegrationTest, ATerminalIsSetUpFromTheBrokerInfoFile) {
  Cluster c;
  c.StartBroker();
  ASSERT_EQ(c.Admin({"office", "add", "0123456789", "--name", "さくら"}).exit_code, 0);
  for (const char* user : {"KJ000000000001", "KJ000000000002"}) {
    ASSERT_EQ(c.Admin({"ca", "issue", "--dir", c.CaDir(), "--office", "0123456789", "--user", user, "--type",
                       "care-insurance", "--out", c.Sub(user)})
                  .exit_code,
              0);
  }
  auto init = [&](const std::vector<std::string>& broker, const std::string& user = "KJ000000000001") {
    std::vector<std::string> args = {"init"};
    args.insert(args.end(), broker.begin(), broker.end());
    args.insert(args.end(), {"--cert", c.Sub(user + "/cert.pem"), "--key", c.Sub(user + "/key.pem"), "--ca",
                             c.CaDir() + "/ca.pem"});
    return c.Agent("a", args);
  };
  // CR LF line ends, as mail may leave them.
  auto crlf = [](const std::string& text) {
    std::string out;
    for (const char ch : text) out += ch == '\n' ? std::string("\r\n") : std::string(1, ch);
    return out;
  };
  const std::string info = *ReadFile(c.DataDir() + "/broker.info");

  // Garbage, a missing file, no key, a bad key: refused, nothing set up.
  const std::string endpoint_line = info.substr(0, info.find('\n') + 1);
  for (const std::string& bad :
       {c.WriteFile("garbage.info", "endpoint: [\x01\xff"), c.WriteFile("keyless.info", endpoint_line),
        c.WriteFile("short.info", endpoint_line + "public_key: short\n"), c.Sub("missing.info")}) {
    const RunResult r = init({"--broker-info", bad});
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_NE(r.err.find("接続先の情報（broker.info）を読めないか"), std::string::npos) << r.err;
  }
  // A broker listening on every interface, without public_endpoint: staff
  // are told to call the operator.
  std::string wildcard = info;
  wildcard.replace(wildcard.find("127.0.0.1"), 9, "0.0.0.0");
  RunResult r = init({"--broker-info", c.WriteFile("wildcard.info", wildcard)});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("接続できる接続先が書かれていません"), std::string::npos) << r.err;
  // Both ways at once, or neither.
  r = init({"--broker-info", c.WriteFile("good.info", info), "--broker", c.endpoint()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--broker-info"), std::string::npos) << r.err;
  EXPECT_EQ(init({}).exit_code, 2);
  EXPECT_FALSE(FileExists(c.Sub("a/agent.yaml")));

  // public_endpoint is what broker.info hands out.
  const std::string port = c.endpoint().substr(c.endpoint().rfind(':') + 1);
  c.KillBroker();
  c.StartBroker(port, "public_endpoint: tcp://localhost:" + port + "\n");
  const std::string published = *ReadFile(c.DataDir() + "/broker.info");
  EXPECT_NE(published.find("endpoint: tcp://localhost:" + port + "\n"), std::string::npos) << published;
  r = init({"--broker-info", c.WriteFile("broker.info", crlf(published))});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(ReadFile(c.Sub("a/agent.yaml"))->find("tcp://localhost:" + port), std::string::npos);
  r = c.Agent("a", {"enrol"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("さくら"), std::string::npos) << r.out;

  // Set up again with the same certificate (a corrected broker.info): the
  // address is taken again; the terminal's keys and settings are kept.
  const std::string yaml = c.Sub("a/agent.yaml");
  ASSERT_TRUE(WriteFileAtomic(yaml, *ReadFile(yaml) + "download_dir: " + c.Sub("受信") + "\n").ok());
  const std::string curve = *ReadFile(c.Sub("a/keys/curve.key"));
  const std::string e2e = *ReadFile(c.Sub("a/keys/e2e.key"));
  const std::string before = *ReadFile(yaml);
  r = init({"--broker-info", c.Sub("wildcard.info")});  // a bad one changes nothing
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(*ReadFile(yaml), before);
  r = init({"--broker-info", c.WriteFile("good.info", info)});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("初期設定済み"), std::string::npos) << r.out;
  EXPECT_NE(ReadFile(yaml)->find("broker: " + c.endpoint() + "\n"), std::string::npos) << *ReadFile(yaml);
  EXPECT_NE(ReadFile(yaml)->find("download_dir: " + c.Sub("受信")), std::string::npos) << *ReadFile(yaml);
  EXPECT_EQ(*ReadFile(c.Sub("a/keys/curve.key")), curve);
  EXPECT_EQ(*ReadFile(c.Sub("a/keys/e2e.key")), e2e);
  EXPECT_EQ(c.Agent("a", {"enrol"}).exit_code, 0);
  // A list of brokers sharing one store that holds this one stays as it is.
  const std::string list = "tcp://localhost:" + port + "," + c.endpoint();
  ASSERT_TRUE(WriteFileAtomic(
                  yaml, std::regex_replace(*ReadFile(yaml), std::regex("broker: [^\n]*"), "broker: \"" + list + "\""))
                  .ok());
  EXPECT_EQ(init({"--broker-info", c.Sub("good.info")}).exit_code, 0);
  EXPECT_NE(ReadFile(yaml)->find(list), std::string::npos) << *ReadFile(yaml);
  // Another certificate is no correction: refused, keys kept.
  r = init({"--broker-info", c.Sub("good.info")}, "KJ000000000002");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("別の証明書"), std::string::npos) << r.err;
  EXPECT_EQ(*ReadFile(c.Sub("a/keys/curve.key")), curve);
}

TEST(OperationsIntegrationTest, BackupWhileSendsFlowRestoresEverySendAcceptedBeforeIt) {
  Cluster c;
  c.StartBroker();
  c.Office("a", "0123456789", "KJ000000000001");
  c.Office("b", "1299999999", "KJ000000000002");
  std::map<std::string, std::string> before;  // file name -> content
  for (int i = 0; i < 3; ++i) {
    const std::string name = "before" + std::to_string(i) + ".pdf";
    before[name] = "%PDF-1.7\n" + testing::RandomHex(100000 + i);
    RunResult r = c.Agent("a", {"send", "--to", "1299999999", c.WriteFile(name, before[name])});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // A send in the middle of its upload while the backup is taken.
  c.SlowTransfers("a");
  const std::string during = "%PDF-1.7\n" + testing::RandomHex(1 << 20);
  auto sender = c.StartAgent("a", {"send", "--to", "1299999999", c.WriteFile("during.pdf", during)});
  ASSERT_TRUE(sender->WaitForErr("progress upload 2", 30000)) << sender->err();

  RunResult r = c.Admin({"backup", c.Sub("backup1")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("backup in " + c.Sub("backup1")), std::string::npos) << r.out;
  EXPECT_FALSE(FileExists(c.Sub("backup1.partial")));
  // Never over an earlier backup; never where the broker cannot write.
  r = c.Admin({"backup", c.Sub("backup1")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("exists"), std::string::npos) << r.err;
  r = c.Admin({"backup", c.Sub("no/such/folder")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no folder"), std::string::npos) << r.err;

  // SIGTERM in the middle of the upload: a clean exit, quickly; the send
  // finishes when the broker is back.
  const auto stop_began = std::chrono::steady_clock::now();
  r = c.StopBroker(15000);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - stop_began, std::chrono::seconds(10));
  c.RestartBroker();
  r = sender->Finish(120000);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = c.StopBroker(15000);
  EXPECT_EQ(r.exit_code, 0) << r.err;

  // The backup as the data_dir: the same broker key, registry and terminals,
  // and every send accepted before the backup, byte-identical.
  c.UseDataDir(c.Sub("backup1"));
  c.RestartBroker();
  auto inbox = c.Json(c.Agent("b", {"inbox", "--json"}));
  ASSERT_GE(inbox["inbox"].size(), before.size()) << inbox.dump();
  size_t restored_before = 0;
  for (const auto& entry : inbox["inbox"]) {
    const std::string id = entry["id"];
    auto fetched = c.Json(c.Agent("b", {"fetch", id, "--dest", c.Sub("recv-" + id), "--json"}));
    ASSERT_EQ(fetched["fetched"][0]["ok"], true) << fetched.dump();
    for (const auto& [name, content] : before) {
      auto got = ReadFile(c.Sub("recv-" + id + "/" + name));
      if (!got.ok()) continue;
      EXPECT_EQ(*got, content) << name;
      ++restored_before;
    }
    // A send caught mid-upload is either whole in the backup or not in it.
    auto got = ReadFile(c.Sub("recv-" + id + "/during.pdf"));
    if (got.ok()) {
      EXPECT_EQ(*got, during);
    }
  }
  EXPECT_EQ(restored_before, before.size());
}

TEST(OperationsIntegrationTest, ConfigCheckSaysWhatWouldStopTheBrokerWithoutServing) {
  Cluster c;
  const std::string broker = testing::BinDir() + "/tayori-broker";
  const std::string base =
      "endpoint: tcp://127.0.0.1:0\nadmin_endpoint: tcp://127.0.0.1:0\n"
      "metrics_endpoint: \"\"\nca_cert: " +
      c.CaDir() + "/ca.pem\nca_crl: " + c.CaDir() + "/crl.pem\n";
  RunResult r =
      testing::Run(broker, {"--config", c.WriteFile("ok.yaml", base + "data_dir: " + c.Sub("data") + "\n"), "--check"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("will be created"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(": OK"), std::string::npos) << r.out;
  EXPECT_FALSE(FileExists(c.Sub("data"))) << "a check creates nothing";

  // Bad values, a data_dir it cannot use, a CA file that does not parse.
  c.WriteFile("a-file", "x");
  const std::map<std::string, std::string> bad = {
      {"log_level: loud\ndata_dir: " + c.Sub("data") + "\n", "log_level"},
      {"data_dir: " + c.Sub("a-file") + "\n", "not a folder"},
      {"data_dir: " + c.Sub("a-file/data") + "\n", "cannot be created"},
      {"data_dir: relative/path\n", "absolute"},
      {"data_dir: [1, 2]\n", "data_dir"},
  };
  for (const auto& [yaml, expected] : bad) {
    r = testing::Run(broker, {"--config", c.WriteFile("bad.yaml", base + yaml), "--check"});
    EXPECT_EQ(r.exit_code, 2) << yaml;
    EXPECT_NE(r.err.find(expected), std::string::npos) << yaml << r.err;
    EXPECT_NE(r.err.find("設定"), std::string::npos) << "Japanese first: " << r.err;
  }
  r = testing::Run(broker, {"--config", c.WriteFile("garbage.yaml", std::string("\x01\xff: [\n", 6)), "--check"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  c.WriteFile("bad-ca.pem", "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
  r = testing::Run(
      broker,
      {"--config", c.WriteFile("badca.yaml", "ca_cert: " + c.Sub("bad-ca.pem") + "\ndata_dir: " + c.Sub("data") + "\n"),
       "--check"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("bad-ca.pem"), std::string::npos) << r.err;
  // No CA yet: the broker would start (and refuse enrolment); said as a warning.
  r = testing::Run(
      broker,
      {"--config", c.WriteFile("noca.yaml", "ca_cert: " + c.Sub("none.pem") + "\ndata_dir: " + c.Sub("data") + "\n"),
       "--check"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("warning: no CA certificate"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace tayori
