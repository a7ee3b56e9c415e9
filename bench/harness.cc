#include "bench/harness.h"

#include <errno.h>
#include <signal.h>
#include <sodium.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <regex>
#include <set>

#include "agent/agent.h"
#include "bench/baselines.h"
#include "bench/checker_bench.h"
#include "bench/proc.h"
#include "broker/admin_client.h"
#include "broker/postgres_mailbox_store.h"
#include "broker/rocksdb_mailbox_store.h"
#include "common/env.h"
#include "common/ids.h"
#include "tests/support/careplan_corpus.h"

namespace tayori::bench {

using testing::Process;
using testing::RunResult;

namespace {

// The brokers and PostgreSQL servers of live Benches, for Die (exit skips
// destructors).
std::mutex g_mu;
std::set<pid_t> g_brokers;
std::set<testing::PostgresServer*> g_servers;

void Register(pid_t pid) {
  std::lock_guard<std::mutex> l(g_mu);
  g_brokers.insert(pid);
}

void Unregister(pid_t pid) {
  std::lock_guard<std::mutex> l(g_mu);
  g_brokers.erase(pid);
}

}  // namespace

double Now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

void Die(const std::string& what) {
  {
    std::lock_guard<std::mutex> l(g_mu);
    for (pid_t pid : g_brokers) ::kill(pid, SIGKILL);
    for (auto* server : g_servers) server->Crash();
  }
  std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, what.c_str());
  std::exit(1);
}

void Must(const Status& st, const std::string& what) {
  if (!st.ok()) Die(what + ": " + st.ToString());
}

Bench::Bench(int groups) : groups_(groups), ca_(dir_.Sub("ca"), Env::Default()->NowSeconds()) {}

Bench::~Bench() {
  std::lock_guard<std::mutex> l(g_mu);
  if (broker_) g_brokers.erase(broker_->pid());
  for (const auto& p : peers_) g_brokers.erase(p->pid());
  g_servers.erase(postgres_.get());
}

void Bench::UsePostgres(const std::string& store) {
  if (store.find_first_of("\"\\\n") != std::string::npos) Die("--store: no quotes, backslashes or newlines");
  std::string base = store;
  if (store == "local") {
    postgres_ = Must(testing::PostgresServer::Start(), "start PostgreSQL");
    std::lock_guard<std::mutex> l(g_mu);
    g_servers.insert(postgres_.get());
    base = postgres_->conninfo();
  }
  const std::string db = "tayori_bench_" + std::to_string(::getpid());
  Must(testing::CreatePostgresDatabase(base, db), "create database");
  // A later keyword wins in a libpq connection string.
  UseDatabase(base + " dbname=" + db);
}

void Bench::UseDatabase(const std::string& conninfo) {
  if (conninfo.find_first_of("\"\\\n") != std::string::npos) Die("--store: no quotes, backslashes or newlines");
  store_ = conninfo;
}

std::unique_ptr<Process> Bench::Launch(const std::string& data_dir, const std::string& endpoint, std::string* chosen) {
  const std::string config = data_dir + ".yaml";
  Must(WriteFileAtomic(config, "endpoint: " + endpoint +
                                   "\nadmin_endpoint: tcp://127.0.0.1:0\n"
                                   "sweep_interval: 1s\n"
                                   // every terminal of the bench comes from loopback
                                   "max_connections_per_address: 100000\n"
                                   "metrics_endpoint: 127.0.0.1:0\ndata_dir: " +
                                   data_dir + "\nca_cert: " + ca_.ca_pem() + "\nca_crl: " + ca_.crl_pem() + "\n" +
                                   (store_.empty() ? "" : "store: \"" + store_ + "\"\n")),
       "broker config");
  auto broker =
      std::make_unique<Process>(testing::BinDir() + "/tayori-broker", std::vector<std::string>{"--config", config});
  Register(broker->pid());
  if (!broker->WaitForOut("data_dir:", 30000)) Die("broker did not start: " + broker->err());
  std::smatch m;
  const std::string out = broker->out();
  std::regex_search(out, m, std::regex("endpoint: (tcp://\\S+)"));
  *chosen = m[1];
  return broker;
}

void Bench::StartBroker() {
  // A restart keeps the endpoint the terminals were set up with.
  broker_ = Launch(dir_.Sub("broker"), endpoint_.empty() ? "tcp://127.0.0.1:0" : endpoint_, &endpoint_);
  std::smatch m;
  const std::string out = broker_->out();
  std::regex_search(out, m, std::regex("public_key: (\\S{40})"));
  key_ = m[1];
  std::regex_search(out, m, std::regex("metrics_endpoint: (\\S+)"));
  metrics_endpoint_ = m[1];
}

void Bench::StopBroker() {
  Unregister(broker_->pid());
  broker_->Kill(SIGTERM);
  broker_->Finish(30000);
  broker_.reset();
}

int Bench::StartPeer() {
  if (store_.empty()) Die("brokers share a PostgreSQL store only");
  const std::string data_dir = dir_.Sub("broker-peer" + std::to_string(peers_.size()));
  Must(MakeDirs(data_dir), "mkdir");
  for (const char* key : {"server.key", "admin.key"}) {
    std::filesystem::copy_file(dir_.Sub("broker/") + key, data_dir + "/" + key);
  }
  std::string endpoint;
  peers_.push_back(Launch(data_dir, "tcp://127.0.0.1:0", &endpoint));
  peer_endpoints_.push_back(endpoint);
  return static_cast<int>(peers_.size()) - 1;
}

void Bench::KillPeer(int n) {
  Unregister(peers_.at(n)->pid());
  peers_.at(n)->Kill(SIGKILL);
  peers_.at(n)->Finish(30000);
}

std::string Bench::Recipient(int i) const {
  char b[16];
  std::snprintf(b, sizeof b, "13%08d", i % 100000000);
  return b;
}

void Bench::SetUpOffices() {
  auto admin = Must(tayori::broker::ConnectAdmin(dir_.Sub("broker"), 30000), "admin");
  auto add = [&](const std::string& office, const std::string& name) {
    tayori::pb::Request req;
    req.mutable_office_add()->set_office(office);
    req.mutable_office_add()->set_name(name);
    Must(admin->Call(req), "office add " + office);
  };
  add(kSender, "bench sender");
  for (int i = 0; i < groups_; ++i) add(Recipient(i), "bench recipient " + std::to_string(i));
  SetUpTerminal("sender", kSender, "KJ000000000001");
  for (int i = 0; i < groups_; ++i)
    SetUpTerminal("r" + std::to_string(i), Recipient(i), "KJ1" + Recipient(i).substr(0, 10) + "0");
}

void Bench::SetUpTerminal(const std::string& label, const std::string& office, const std::string& user) {
  const int64_t now = tayori::Env::Default()->NowSeconds();
  const std::string certs = ca_.IssueValid(label, office, user.substr(0, 14), now);
  tayori::agent::InitOptions io;
  io.home = dir_.Sub("home-" + label);
  // Every broker, comma-separated: the terminal moves between them.
  io.broker = endpoint_;
  for (const auto& e : peer_endpoints_) io.broker += "," + e;
  io.broker_key = key_;
  io.cert_path = certs + "/cert.pem";
  io.key_path = certs + "/key.pem";
  io.ca_path = ca_.ca_pem();
  Must(tayori::agent::Agent::Init(io, tayori::Env::Default()), "init " + label);
  auto agent = Must(tayori::agent::Agent::Open(io.home, tayori::Env::Default()), "open " + label);
  Must(agent->Enrol(), "enrol " + label);
}

// Group i: a 実績 CSV unit and a PDF, MB megabytes in all.
std::vector<std::string> Bench::MakeGroup(const std::string& dir, int i, int mb) {
  Must(tayori::MakeDirs(dir), "mkdir");
  std::vector<std::string> paths;
  uint64_t used = 0;
  for (const auto& f : tayori::testing::Corpus(kSender, Recipient(i)).Unit("actuals", true)) {
    paths.push_back(dir + "/" + f.name);
    Must(tayori::WriteFileAtomic(paths.back(), f.content), "write");
    used += f.content.size();
  }
  std::string pdf = "%PDF-1.7\n";
  pdf.resize(static_cast<size_t>(mb) * 1000 * 1000 - used);
  randombytes_buf(pdf.data() + 9, pdf.size() - 9);
  paths.push_back(dir + "/attach-" + std::to_string(i) + ".pdf");
  Must(tayori::WriteFileAtomic(paths.back(), pdf), "write");
  return paths;
}

// Group i of the CSV-heavy workload: a 第6表・第7表・補足 unit of MB
// megabytes of valid CSV, its names stamped with the minute RUN (each
// bulk is a new export: the same unit again would rightly not be resent).
std::vector<std::string> Bench::MakeCsvGroup(const std::string& dir, int i, int mb, int run) {
  Must(tayori::MakeDirs(dir), "mkdir");
  std::vector<std::string> paths;
  char stamp[16];
  std::snprintf(stamp, sizeof stamp, "2026112109%02d00", run % 60);
  for (const auto& f : tayori::bench::PlanUnit(kSender, Recipient(i), static_cast<size_t>(mb) * 1000 * 1000, stamp)) {
    paths.push_back(dir + "/" + f.name);
    Must(tayori::WriteFileAtomic(paths.back(), f.content), "write");
  }
  return paths;
}

std::vector<std::string> Bench::BulkArgs(const std::string& workload, int groups, int mb, BulkFigures* fig,
                                         std::vector<std::string>* all_files) {
  const std::string base = dir_.Sub("bulk-" + workload + "-" + std::to_string(groups));
  const std::string csv_dir = base + "/csv";
  const std::string pdf_dir = base + "/pdf";
  std::vector<std::string> args = {"--home", dir_.Sub("home-sender"), "bulk", csv_dir, "--json", "--message", "bench"};
  ++bulk_runs_;
  for (int i = 0; i < groups; ++i) {
    if (workload == "csv") {
      for (const auto& p : MakeCsvGroup(csv_dir, i, mb, bulk_runs_)) {
        fig->bytes += std::filesystem::file_size(p);
        if (all_files) all_files->push_back(p);
      }
      continue;
    }
    auto paths = MakeGroup(csv_dir, i, mb);
    const std::string pdf = pdf_dir + "/" + paths.back().substr(paths.back().rfind('/') + 1);
    Must(tayori::MakeDirs(pdf_dir), "mkdir");
    std::rename(paths.back().c_str(), pdf.c_str());
    paths.back() = pdf;
    args.push_back("--attach");
    args.push_back(Recipient(i) + "=" + pdf);
    for (const auto& p : paths) {
      fig->bytes += std::filesystem::file_size(p);
      if (all_files) all_files->push_back(p);
    }
  }
  return args;
}

BulkFigures Bench::Bulk(const std::string& workload, int groups, int mb, std::vector<std::string>* all_files) {
  BulkFigures fig;
  const std::vector<std::string> args = BulkArgs(workload, groups, mb, &fig, all_files);
  ResetPeakRss(broker_->pid());
  const double cpu0 = ProcCpuSeconds(broker_->pid());
  const double t0 = Now();
  RunResult r = tayori::testing::Run(tayori::testing::BinDir() + "/tayori-agent", args, {}, 3600 * 1000);
  fig.seconds = Now() - t0;
  if (r.exit_code != 0) Die("bulk failed: " + r.out.substr(r.out.size() > 2000 ? r.out.size() - 2000 : 0) + r.err);
  fig.broker_cpu = ProcCpuSeconds(broker_->pid()) - cpu0;
  fig.broker_rss_kb = ProcStatusKb(broker_->pid(), "VmHWM");
  fig.agent_cpu = r.cpu_seconds;
  fig.agent_rss_kb = r.max_rss_kb;
  return fig;
}

double Bench::Scp(const std::vector<std::string>& files) {
  return tayori::bench::ScpSeconds(files, dir_.Sub("scp-" + std::to_string(++baseline_runs_)));
}
double Bench::Dd(const std::vector<std::string>& files) {
  return tayori::bench::DdSeconds(files, dir_.Sub("dd-" + std::to_string(++baseline_runs_)));
}

std::pair<double, uint64_t> Bench::Downloads() {
  std::vector<std::unique_ptr<Process>> fetchers;
  const double t0 = Now();
  for (int i = 0; i < groups_; ++i) {
    fetchers.push_back(std::make_unique<Process>(
        tayori::testing::BinDir() + "/tayori-agent",
        std::vector<std::string>{"--home", dir_.Sub("home-r" + std::to_string(i)), "fetch", "--all", "--quiet",
                                 "--dest", dir_.Sub("recv-" + std::to_string(i))}));
  }
  for (auto& f : fetchers) {
    RunResult r = f->Finish(3600 * 1000);
    if (r.exit_code != 0) Die("fetch failed: " + r.err);
  }
  const double seconds = Now() - t0;
  uint64_t bytes = 0;
  for (int i = 0; i < groups_; ++i) {
    for (const auto& e : std::filesystem::directory_iterator(dir_.Sub("recv-" + std::to_string(i))))
      bytes += e.file_size();
  }
  return {seconds, bytes};
}

std::string Bench::Populate(int n, int64_t* expire_at) {
  std::unique_ptr<tayori::broker::MailboxStore> store;
  if (store_.empty()) {
    store = Must(tayori::broker::RocksDbMailboxStore::Open(dir_.Sub("broker/store")), "open store");
  } else {
    store = Must(tayori::broker::PostgresMailboxStore::Open(store_), "open store");
  }
  const int64_t base = tayori::Env::Default()->NowMillis() - 3600 * 1000;
  auto record = [&](int i, const std::string& recipient, int64_t expire) {
    tayori::pb::MessageRecord r;
    const std::string id = tayori::NewId(base + i / 10);
    r.set_message_id(id);
    r.set_send_id(id);
    r.set_sender_office(kSender);
    r.set_recipient_office(recipient);
    r.set_state(tayori::pb::DELIVERED);
    r.set_cipher_bytes(1000);
    r.set_accepted_unix((base + i / 10) / 1000);
    r.set_expire_unix(expire);
    return r;
  };
  std::vector<tayori::pb::MessageRecord> probe;
  const double t0 = Now();
  for (int i = 0; i < 100; ++i) {
    probe.push_back(record(i, "9999999999", INT64_MAX / 2));
    Must(store->BeginMessage(probe.back()), "begin");
    Must(store->CommitMessage(probe.back(), probe.back().expire_unix()), "commit");
  }
  const double per_message = (Now() - t0) / 100;
  Must(store->ApplyExpiry({}, {}, probe), "remove the probe");
  *expire_at = tayori::Env::Default()->NowSeconds() + 20 + static_cast<int64_t>(2 * per_message * n);
  std::string middle;
  for (int i = 0; i < n; ++i) {
    const tayori::pb::MessageRecord r = record(i, Recipient(0), *expire_at);
    Must(store->BeginMessage(r), "begin");
    Must(store->CommitMessage(r, r.expire_unix()), "commit");
    if (i == n / 2) middle = r.message_id();
  }
  if (tayori::Env::Default()->NowSeconds() + 10 > *expire_at) {
    Die("writing the mailbox took longer than planned: the quiet sends would overlap its expiry");
  }
  return middle;
}

double Bench::ListPage(const std::string& after) {
  auto client = tayori::testing::ConnectAs(dir_.Sub("home-r0"), endpoint_, key_, 60000);
  std::vector<double> ms;
  for (int i = 0; i < 20; ++i) {
    tayori::pb::Request req;
    req.mutable_list_inbox()->set_after_id(after);
    req.mutable_list_inbox()->set_limit(100);
    const double t0 = Now();
    auto reply = Must(client->Call(req), "list");
    ms.push_back((Now() - t0) * 1000);
    if (reply.response.list().entries_size() != 100) Die("short page");
  }
  return Percentile(ms, 0.5);
}

uint64_t Bench::Pending() {
  auto admin = Must(tayori::broker::ConnectAdmin(dir_.Sub("broker"), 30000), "admin");
  tayori::pb::Request req;
  req.mutable_stats();
  return Must(admin->Call(req), "stats").response.stats().pending_messages();
}

std::vector<double> Bench::Latency(int sends, int kb, int to) {
  auto agent = Must(tayori::agent::Agent::Open(dir_.Sub("home-sender"), tayori::Env::Default()), "open sender");
  std::string pdf = "%PDF-1.7\n";
  pdf.resize(static_cast<size_t>(kb) * 1000);
  randombytes_buf(pdf.data() + 9, pdf.size() - 9);
  std::vector<double> ms;
  for (int i = 0; i < sends; ++i) {
    // A new file each time: a new send, not a resumed one.
    const std::string path = dir_.Sub("small-" + std::to_string(i) + ".pdf");
    Must(tayori::WriteFileAtomic(path, pdf), "write");
    const double t0 = Now();
    Must(agent->Send({Recipient(to), "", {path}}, nullptr), "send");
    ms.push_back((Now() - t0) * 1000);
    std::filesystem::remove(path);
  }
  return ms;
}

}  // namespace tayori::bench
