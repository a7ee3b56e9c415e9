// Cluster: the real tayori-broker, tayori-admin and tayori-agent programs
// as separate processes on loopback (port 0, temp dirs), for integration
// tests. One test thread.
#ifndef TAYORI_TESTS_SUPPORT_CLUSTER_H_
#define TAYORI_TESTS_SUPPORT_CLUSTER_H_

#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "common/env.h"
#include "tests/support/test_util.h"

namespace tayori::testing {

class Cluster {
 public:
  Cluster() : state_(dir_.Sub("state")) {
    env_ = {{"XDG_STATE_HOME", state_}, {"LANG", "C.UTF-8"}};
    RunResult r = Admin({"ca", "init", "--dir", CaDir()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }

  std::string CaDir() const { return dir_.Sub("ca"); }
  std::string DataDir() const { return data_dir_.empty() ? dir_.Sub("broker-data") : data_dir_; }
  // The data_dir of the next StartBroker (a restored backup, say).
  void UseDataDir(const std::string& dir) { data_dir_ = dir; }
  const std::string& endpoint() const { return endpoint_; }
  const std::string& broker_key() const { return key_; }
  // The running broker's process (nullptr when stopped).
  Process* broker() { return broker_.get(); }

  // Starts the broker; PORT 0 picks one (kept for restarts). EXTRA is more
  // config (YAML lines).
  void StartBroker(const std::string& port = "0", const std::string& extra = "") {
    if (!extra.empty()) extra_ = extra;
    const std::string config = dir_.Sub("broker.yaml");
    EXPECT_TRUE(WriteFileAtomic(config, "endpoint: tcp://127.0.0.1:" + port +
                                            "\nadmin_endpoint: tcp://127.0.0.1:0\ndata_dir: " + DataDir() +
                                            "\nca_cert: " + CaDir() + "/ca.pem\nca_crl: " + CaDir() +
                                            "/crl.pem\nmax_chunk_bytes: 65536\nmin_chunk_bytes: 4096\n"
                                            "metrics_endpoint: 127.0.0.1:0\n" +
                                            extra_)
                    .ok());
    broker_ =
        std::make_unique<Process>(BinDir() + "/tayori-broker", std::vector<std::string>{"--config", config}, env_);
    ASSERT_TRUE(broker_->WaitForOut("data_dir:", 20000)) << broker_->err();
    std::smatch m;
    const std::string out = broker_->out();
    ASSERT_TRUE(std::regex_search(out, m, std::regex("endpoint: (tcp://127.0.0.1:(\\d+))")));
    endpoint_ = m[1];
    port_ = m[2];
    ASSERT_TRUE(std::regex_search(out, m, std::regex("public_key: (\\S{40})")));
    key_ = m[1];
  }
  void KillBroker() {
    broker_->Kill(SIGKILL);
    broker_->Finish(10000);
    broker_.reset();
  }
  // SIGTERM, as systemd stops it: the broker's exit, collected.
  RunResult StopBroker(int timeout_ms) {
    broker_->Kill(SIGTERM);
    RunResult r = broker_->Finish(timeout_ms);
    broker_.reset();
    return r;
  }
  void RestartBroker() { StartBroker(port_); }
  bool broker_running() const { return broker_ != nullptr; }

  RunResult Admin(std::vector<std::string> args) {
    args.insert(args.begin(), {"--broker-dir", DataDir()});
    return Run(BinDir() + "/tayori-admin", args, env_);
  }
  std::unique_ptr<Process> StartAdmin(std::vector<std::string> args) {
    args.insert(args.begin(), {"--broker-dir", DataDir()});
    return std::make_unique<Process>(BinDir() + "/tayori-admin", args, env_);
  }
  std::vector<std::string> AgentArgs(const std::string& home, std::vector<std::string> args) {
    args.insert(args.begin(), {"--home", dir_.Sub(home)});
    return args;
  }
  RunResult Agent(const std::string& home, std::vector<std::string> args, int timeout_ms = 60000) {
    return Run(BinDir() + "/tayori-agent", AgentArgs(home, args), env_, timeout_ms);
  }
  std::unique_ptr<Process> StartAgent(const std::string& home, std::vector<std::string> args) {
    return std::make_unique<Process>(BinDir() + "/tayori-agent", AgentArgs(home, args), env_);
  }

  // Registers, certifies, sets up and enrols an office terminal.
  void Office(const std::string& home, const std::string& number, const std::string& user,
              const std::string& type = "care-insurance") {
    RunResult r = Admin({"office", "add", number, "--name", "office " + home});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = Admin({"ca", "issue", "--dir", CaDir(), "--office", number, "--user", user, "--type", type, "--out",
               dir_.Sub("certs-" + home)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = Agent(home,
              {"init", "--broker", endpoint_, "--broker-key", key_, "--cert", dir_.Sub("certs-" + home + "/cert.pem"),
               "--key", dir_.Sub("certs-" + home + "/key.pem"), "--ca", CaDir() + "/ca.pem"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Small chunks and quick retries, so uploads span many round trips.
    const std::string yaml = dir_.Sub(home + "/agent.yaml");
    ASSERT_TRUE(WriteFileAtomic(yaml, *ReadFile(yaml) + "chunk_size: 65536\nwindow: 2\n"
                                                        "attempt_timeout_s: 1\ntimeout_s: 60\n")
                    .ok());
    r = Agent(home, {"enrol"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // Tiny chunks, one in flight: a transfer of a few MB takes thousands of
  // round trips, so a test can stop it in the middle without racing it.
  void SlowTransfers(const std::string& home) {
    const std::string yaml = dir_.Sub(home + "/agent.yaml");
    std::string text = *ReadFile(yaml);
    text.replace(text.find("chunk_size: 65536"), 17, "chunk_size: 4096");
    text.replace(text.find("window: 2"), 9, "window: 1");
    ASSERT_TRUE(WriteFileAtomic(yaml, text).ok());
  }

  std::string WriteFile(const std::string& name, const std::string& data) {
    const std::string path = dir_.Sub(name);
    EXPECT_TRUE(WriteFileAtomic(path, data).ok());
    return path;
  }
  std::string Sub(const std::string& name) const { return dir_.Sub(name); }

  nlohmann::json Json(const RunResult& r) {
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }

 private:
  TempDir dir_;
  std::string state_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<Process> broker_;
  std::string endpoint_, port_, key_, extra_, data_dir_;
};

}  // namespace tayori::testing

#endif  // TAYORI_TESTS_SUPPORT_CLUSTER_H_
