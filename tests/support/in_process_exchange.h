// InProcessExchange: a real broker serving on loopback from a thread of the
// test, a test CA, and agents opened on it through the agent library, each
// on an Env of the test's choosing (a FakeEnv for time, a FaultInjectionEnv
// for a full disk). For tests of agent parts that need a broker but not a
// process of their own. Tests only; header-only.
#ifndef TAYORI_TESTS_SUPPORT_IN_PROCESS_EXCHANGE_H_
#define TAYORI_TESTS_SUPPORT_IN_PROCESS_EXCHANGE_H_

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "agent/agent.h"
#include "broker/admin_client.h"
#include "broker/server.h"
#include "tests/support/test_util.h"

namespace tayori::testing {

class InProcessExchange {
 public:
  // STORE: the broker's store setting (empty: RocksDB in the temp folder;
  // a PostgreSQL connection string).
  explicit InProcessExchange(const std::string& store = "")
      : now_(Env::Default()->NowSeconds()), env_(now_ * 1000), ca_(dir_.Sub("ca"), now_) {
    broker::BrokerOptions o;
    o.store = store;
    o.endpoint = "tcp://127.0.0.1:0";
    o.admin_endpoint = "tcp://127.0.0.1:0";
    o.metrics_endpoint = "";
    o.data_dir = dir_.Sub("broker");
    o.ca_cert = ca_.ca_pem();
    o.ca_crl = ca_.crl_pem();
    o.env = &env_;
    auto server = broker::Server::Start(o);
    EXPECT_TRUE(server.ok()) << server.status().ToString();
    if (!server.ok()) return;
    broker_ = std::move(server).value();
    thread_ = std::thread([this] { broker_->Run(&stop_); });
  }
  ~InProcessExchange() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

  void AddOffice(const std::string& office, const std::string& name) {
    pb::Request req;
    req.mutable_office_add()->set_office(office);
    req.mutable_office_add()->set_name(name);
    auto client = broker::ConnectAdmin(dir_.Sub("broker"), 10000);
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    ASSERT_TRUE((*client)->Call(req).ok());
  }

  // Sets up, enrols and opens the terminal LABEL of OFFICE on ENV (the
  // exchange's FakeEnv if null).
  std::unique_ptr<agent::Agent> NewAgent(const std::string& label, const std::string& office, const std::string& user,
                                         Env* env = nullptr) {
    if (env == nullptr) env = &env_;
    const std::string certs = ca_.IssueValid(label, office, user, now_);
    agent::InitOptions io;
    io.home = home(label);
    io.broker = broker_->endpoint();
    io.broker_key = broker_->public_key();
    io.cert_path = certs + "/cert.pem";
    io.key_path = certs + "/key.pem";
    io.ca_path = ca_.ca_pem();
    EXPECT_TRUE(agent::Agent::Init(io, env).ok());
    std::string yaml = *ReadFile(io.home + "/agent.yaml");
    yaml += "chunk_size: 65536\nattempt_timeout_s: 1\ntimeout_s: 20\ndownload_dir: " + dir_.Sub("dl-" + label) + "\n";
    EXPECT_TRUE(WriteFileAtomic(io.home + "/agent.yaml", yaml).ok());
    auto opened = agent::Agent::Open(io.home, env);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (!opened.ok()) return nullptr;
    auto enrolled = (*opened)->Enrol();
    EXPECT_TRUE(enrolled.ok()) << enrolled.status().ToString();
    return std::move(opened).value();
  }

  std::string home(const std::string& label) const { return dir_.Sub("home-" + label); }
  std::string Sub(const std::string& name) const { return dir_.Sub(name); }
  FakeEnv* env() { return &env_; }

 private:
  const int64_t now_;
  TempDir dir_;
  FakeEnv env_;
  CaFixture ca_;
  std::unique_ptr<broker::Server> broker_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace tayori::testing

#endif  // TAYORI_TESTS_SUPPORT_IN_PROCESS_EXCHANGE_H_
