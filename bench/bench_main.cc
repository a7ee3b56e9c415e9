// tayori-bench: the headline load, measured on this machine against
// baselines measured in the same run. Starts a real broker and real agents
// on loopback with synthetic offices and certificates, then reports:
//   - a bulk send of G groups x M MB: wall time to the last durable
//     acceptance, MB/s, CPU time, peak RSS of broker and agent, and the same
//     for a small bulk (memory must not grow with the bulk);
//   - the same bytes pushed by scp (aes128-gcm) to a private sshd on
//     loopback, and written by dd conv=fsync: tayori's time as a ratio;
//   - G recipients downloading concurrently: aggregate MB/s;
//   - N single sends of K KB: latency to durable acceptance, p50 and p99;
//   - the care plan checker alone on valid data, MB/s on one core
//     (bench/checker_bench.h); --checker measures only that.
// --store runs the broker on PostgreSQL instead of RocksDB: "local" starts a
// throwaway server; a connection string uses an existing one, in a new
// database tayori_bench_PID that the run leaves behind; "both" runs it all
// on RocksDB, then on a throwaway server, and prints their ratios.
// Prints figures; asserts nothing about time.
#include <signal.h>
#include <sodium.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "agent/agent.h"
#include "bench/baselines.h"
#include "bench/checker_bench.h"
#include "bench/primitives.h"
#include "bench/proc.h"
#include "bench/report.h"
#include "bench/soak.h"
#include "broker/admin_client.h"
#include "broker/postgres_mailbox_store.h"
#include "broker/rocksdb_mailbox_store.h"
#include "common/careplan/rules.h"
#include "common/crypto/curve.h"
#include "common/env.h"
#include "common/ids.h"
#include "tests/support/careplan_corpus.h"
#include "tests/support/postgres_server.h"
#include "tests/support/test_util.h"

namespace {

using nlohmann::json;
using tayori::bench::BulkFigures;
using tayori::bench::Percentile;
using tayori::bench::ProcCpuSeconds;
using tayori::bench::ProcStatusKb;
using tayori::bench::ResetPeakRss;
using tayori::testing::Process;
using tayori::testing::RunResult;

double Now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// The broker and the PostgreSQL server this run started, stopped by Die
// (exit skips destructors).
pid_t g_broker_pid = -1;
tayori::testing::PostgresServer* g_postgres = nullptr;

void Die(const std::string& what) {
  if (g_broker_pid > 0) ::kill(g_broker_pid, SIGKILL);
  if (g_postgres != nullptr) g_postgres->Crash();
  std::fprintf(stderr, "tayori-bench: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T Must(tayori::StatusOr<T> v, const std::string& what) {
  if (!v.ok()) Die(what + ": " + v.status().ToString());
  return std::move(v).value();
}

void Must(const tayori::Status& st, const std::string& what) {
  if (!st.ok()) Die(what + ": " + st.ToString());
}

class Bench {
 public:
  explicit Bench(int groups) : groups_(groups), ca_(dir_.Sub("ca"), tayori::Env::Default()->NowSeconds()) {}
  // Its broker and server stop with it (their destructors); Die no longer
  // names them.
  ~Bench() {
    g_broker_pid = -1;
    g_postgres = nullptr;
  }

  void StartBroker() {
    const std::string config = dir_.Sub("broker.yaml");
    // A restart keeps the endpoint the agents were set up with.
    const std::string endpoint = endpoint_.empty() ? "tcp://127.0.0.1:0" : endpoint_;
    Must(tayori::WriteFileAtomic(config, "endpoint: " + endpoint +
                                             "\nadmin_endpoint: tcp://127.0.0.1:0\n"
                                             "sweep_interval: 1s\n"
                                             "metrics_endpoint: \"\"\ndata_dir: " +
                                             dir_.Sub("broker") + "\nca_cert: " + ca_.ca_pem() +
                                             "\nca_crl: " + ca_.crl_pem() + "\n" +
                                             (store_.empty() ? "" : "store: \"" + store_ + "\"\n")),
         "broker config");
    broker_ = std::make_unique<Process>(tayori::testing::BinDir() + "/tayori-broker",
                                        std::vector<std::string>{"--config", config});
    g_broker_pid = broker_->pid();
    if (!broker_->WaitForOut("data_dir:", 30000)) Die("broker did not start: " + broker_->err());
    std::smatch m;
    const std::string out = broker_->out();
    std::regex_search(out, m, std::regex("endpoint: (tcp://\\S+)"));
    endpoint_ = m[1];
    std::regex_search(out, m, std::regex("public_key: (\\S{40})"));
    key_ = m[1];
  }

  std::string Recipient(int i) const {
    char b[16];
    std::snprintf(b, sizeof b, "13%08d", i % 100000000);
    return b;
  }

  void SetUpOffices() {
    auto admin = Must(tayori::broker::ConnectAdmin(dir_.Sub("broker"), 30000), "admin");
    auto add = [&](const std::string& office, const std::string& name) {
      tayori::pb::Request req;
      req.mutable_office_add()->set_office(office);
      req.mutable_office_add()->set_name(name);
      Must(admin->Call(req), "office add " + office);
    };
    add(kSender, "bench sender");
    for (int i = 0; i < groups_; ++i) add(Recipient(i), "bench recipient " + std::to_string(i));
    Home("sender", kSender, "KJ000000000001");
    for (int i = 0; i < groups_; ++i)
      Home("r" + std::to_string(i), Recipient(i), "KJ1" + Recipient(i).substr(0, 10) + "0");
  }

  void Home(const std::string& label, const std::string& office, const std::string& user) {
    const int64_t now = tayori::Env::Default()->NowSeconds();
    const std::string certs = ca_.IssueValid(label, office, user.substr(0, 14), now);
    tayori::agent::InitOptions io;
    io.home = dir_.Sub("home-" + label);
    io.broker = endpoint_;
    io.broker_key = key_;
    io.cert_path = certs + "/cert.pem";
    io.key_path = certs + "/key.pem";
    io.ca_path = ca_.ca_pem();
    Must(tayori::agent::Agent::Init(io, tayori::Env::Default()), "init " + label);
    auto agent = Must(tayori::agent::Agent::Open(io.home, tayori::Env::Default()), "open " + label);
    Must(agent->Enrol(), "enrol " + label);
  }

  // Group i: a 実績 CSV unit and a PDF, MB megabytes in all.
  std::vector<std::string> MakeGroup(const std::string& dir, int i, int mb) {
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
  std::vector<std::string> MakeCsvGroup(const std::string& dir, int i, int mb, int run) {
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

  // A bulk send of GROUPS groups of MB megabytes: WORKLOAD "pdf" (a small
  // 実績 unit and a PDF each) or "csv" (a unit of CSV each).
  BulkFigures Bulk(const std::string& workload, int groups, int mb, std::vector<std::string>* all_files) {
    const std::string base = dir_.Sub("bulk-" + workload + "-" + std::to_string(groups));
    const std::string csv_dir = base + "/csv";
    const std::string pdf_dir = base + "/pdf";
    std::vector<std::string> args = {"--home", dir_.Sub("home-sender"), "bulk", csv_dir, "--json", "--message",
                                     "bench"};
    BulkFigures fig;
    ++bulk_runs_;
    for (int i = 0; i < groups; ++i) {
      if (workload == "csv") {
        for (const auto& p : MakeCsvGroup(csv_dir, i, mb, bulk_runs_)) {
          fig.bytes += std::filesystem::file_size(p);
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
        fig.bytes += std::filesystem::file_size(p);
        if (all_files) all_files->push_back(p);
      }
    }
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

  // The baselines for FILES (bench/baselines.h), each in a folder of its own.
  double Scp(const std::vector<std::string>& files) {
    return tayori::bench::ScpSeconds(files, dir_.Sub("scp-" + std::to_string(++baseline_runs_)));
  }
  double Dd(const std::vector<std::string>& files) {
    return tayori::bench::DdSeconds(files, dir_.Sub("dd-" + std::to_string(++baseline_runs_)));
  }

  // Every recipient fetches everything at once; returns seconds and bytes.
  std::pair<double, uint64_t> Downloads() {
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

  // Files N committed, payload-less messages into recipient 0's mailbox
  // directly in the store (the broker must not be running), all due to
  // expire at one moment: 20 s plus twice the estimated writing time after
  // the start (a timed probe of 100 commits, removed again, gives the
  // estimate), so about 20 s after the last is written. Sets *EXPIRE_AT to
  // it and returns the id in the middle of the mailbox.
  std::string Populate(int n, int64_t* expire_at) {
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

  void StopBroker() {
    g_broker_pid = -1;
    broker_->Kill(SIGTERM);
    broker_->Finish(30000);
    broker_.reset();
  }

  // Milliseconds to list one page of 100 of recipient 0's mailbox after AFTER.
  double ListPage(const std::string& after) {
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

  uint64_t Pending() {
    auto admin = Must(tayori::broker::ConnectAdmin(dir_.Sub("broker"), 30000), "admin");
    tayori::pb::Request req;
    req.mutable_stats();
    return Must(admin->Call(req), "stats").response.stats().pending_messages();
  }

  std::vector<double> Latency(int sends, int kb, int to = 0) {
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

  const std::string& Dir() const { return dir_.path(); }

  // Runs the broker on PostgreSQL: STORE is "local" or a connection string.
  void UsePostgres(const std::string& store) {
    if (store.find_first_of("\"\\\n") != std::string::npos) Die("--store: no quotes, backslashes or newlines");
    std::string base = store;
    if (store == "local") {
      postgres_ = Must(tayori::testing::PostgresServer::Start(), "start PostgreSQL");
      g_postgres = postgres_.get();
      base = postgres_->conninfo();
    }
    const std::string db = "tayori_bench_" + std::to_string(::getpid());
    Must(tayori::testing::CreatePostgresDatabase(base, db), "create database");
    // A later keyword wins in a libpq connection string.
    store_ = base + " dbname=" + db;
  }

  static constexpr const char* kSender = "0123456789";
  const int groups_;
  tayori::testing::TempDir dir_;
  tayori::testing::CaFixture ca_;
  std::unique_ptr<tayori::testing::PostgresServer> postgres_;  // with --store local; outlives broker_
  std::unique_ptr<Process> broker_;
  std::string store_;  // the broker's store: connection string, or empty for RocksDB
  std::string endpoint_, key_;
  int baseline_runs_ = 0;  // names the folders of each scp and dd run
  int bulk_runs_ = 0;      // stamps the names of each bulk's CSV units
};

// What main was asked to measure on each store.
struct Flags {
  int groups = 50, mb = 10, small_groups = 5, sends = 1000, kb = 100, scale = 100000;
  bool no_scp = false;
  std::string only = "both";
};

// One run on STORE (empty: RocksDB; "local" or a connection string:
// PostgreSQL): bulk sends and baselines, downloads, latency, scale.
json RunOnStore(const Flags& f, const std::string& store, const json& primitives, const json& checker) {
  Bench b(f.groups);
  if (!store.empty()) b.UsePostgres(store);
  std::fprintf(stderr, "on %s:\n", store.empty() ? "RocksDB" : "PostgreSQL");
  b.StartBroker();
  b.SetUpOffices();
  json workloads = json::array();
  for (const std::string workload : {"pdf", "csv"}) {
    if (f.only != "both" && f.only != workload) continue;
    std::fprintf(stderr, "%s: bulk %d x %d MB ...\n", workload.c_str(), f.small_groups, f.mb);
    BulkFigures small = b.Bulk(workload, f.small_groups, f.mb, nullptr);
    std::fprintf(stderr, "%s: bulk %d x %d MB ...\n", workload.c_str(), f.groups, f.mb);
    std::vector<std::string> files;
    BulkFigures big = b.Bulk(workload, f.groups, f.mb, &files);
    std::fprintf(stderr, "%s: scp ...\n", workload.c_str());
    const double scp = f.no_scp ? -1 : b.Scp(files);
    std::fprintf(stderr, "%s: dd ...\n", workload.c_str());
    const double dd = b.Dd(files);
    // The agent checks the CSV content it sends; a PDF only by its head.
    uint64_t csv_bytes = 0;
    for (const auto& file : files)
      csv_bytes += tayori::careplan::IsCsvName(file) ? std::filesystem::file_size(file) : 0;
    const json floor = tayori::bench::CryptoFloor(primitives, static_cast<double>(big.bytes),
                                                  static_cast<double>(csv_bytes), checker["mb_per_s"].get<double>());
    workloads.push_back(WorkloadJson(workload, f.groups, f.mb, big, small, f.small_groups, scp, dd, floor));
  }
  std::fprintf(stderr, "downloads ...\n");
  auto [dl_seconds, dl_bytes] = b.Downloads();
  std::fprintf(stderr, "latency %d x %d KB ...\n", f.sends, f.kb);
  std::vector<double> lat = b.Latency(f.sends, f.kb);

  // Scale: a mailbox of SCALE pending messages; listing it, then sends while
  // all of them expire at once, against sends without a purge.
  double list_first = 0, list_middle = 0;
  std::vector<double> quiet, purging;
  uint64_t pending_before = 0, pending_after = 0;
  if (f.scale > 0) {
    std::fprintf(stderr, "scale: %d messages in one mailbox ...\n", f.scale);
    b.StopBroker();
    int64_t expire_at = 0;
    const std::string middle = b.Populate(f.scale, &expire_at);
    b.StartBroker();
    list_first = b.ListPage("");
    list_middle = b.ListPage(middle);
    quiet = b.Latency(200, f.kb, 1);
    if (tayori::Env::Default()->NowSeconds() >= expire_at) {
      Die("the quiet sends ran into the mailbox's expiry: their figure would include it");
    }
    while (tayori::Env::Default()->NowSeconds() < expire_at) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    pending_before = b.Pending();
    purging = b.Latency(200, f.kb, 1);
    pending_after = b.Pending();
  }

  return {
      {"store", store.empty() ? "rocksdb" : "postgresql"},
      {"primitives", primitives},
      {"workloads", workloads},
      {"downloads",
       {{"recipients", f.groups},
        {"bytes", dl_bytes},
        {"seconds", dl_seconds},
        {"mb_per_s", static_cast<double>(dl_bytes) / 1e6 / dl_seconds}}},
      {"single_send",
       {{"sends", f.sends}, {"kb", f.kb}, {"p50_ms", Percentile(lat, 0.5)}, {"p99_ms", Percentile(lat, 0.99)}}},
      {"scale",
       {{"messages", f.scale},
        {"list_first_page_ms", list_first},
        {"list_middle_page_ms", list_middle},
        {"send_p99_ms_quiet", Percentile(quiet, 0.99)},
        {"send_p99_ms_during_expiry", Percentile(purging, 0.99)},
        {"pending_when_sends_began", pending_before},
        {"pending_when_sends_ended", pending_after}}},
      {"checker", checker},
  };
}

// --soak: only the soak, on RocksDB. Exit status 1 if anything was lost.
int RunSoakOnly(int soak_agents, int kb, tayori::bench::SoakOptions so, bool json_out) {
  if (soak_agents < 2 || soak_agents > 100000 || so.seconds < 1 || so.sends_per_second <= 0 || kb < 1) {
    Die("--soak-agents 2..100000, --soak-seconds and --soak-rate positive");
  }
  if (sodium_init() < 0) Die("libsodium");
  so.kb = kb;
  Bench b(soak_agents);
  b.StartBroker();
  std::fprintf(stderr, "soak: setting up %d offices and terminals ...\n", soak_agents);
  b.SetUpOffices();
  tayori::bench::SoakSetup setup{b.endpoint_, b.key_, b.broker_->pid(), {}, {}, b.Dir()};
  for (int i = 0; i < soak_agents; ++i) {
    setup.homes.push_back(b.dir_.Sub("home-r" + std::to_string(i)));
    setup.offices.push_back(b.Recipient(i));
  }
  const json j = tayori::bench::RunSoak(setup, so);
  if (j.contains("error")) Die("soak: " + j["error"].get<std::string>());
  if (json_out) {
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    tayori::bench::PrintSoak(j);
  }
  return tayori::bench::SoakClean(j) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tayori-bench: bulk send, downloads and latency against scp and dd baselines"};
  Flags f;
  bool json_out = false, checker_only = false;
  std::string store;
  app.add_option("--groups", f.groups, "recipients in the big bulk (default 50)");
  app.add_option("--mb", f.mb, "megabytes per group (default 10)");
  app.add_option("--small-groups", f.small_groups, "recipients in the small bulk (default 5)");
  app.add_option("--sends", f.sends, "single sends for the latency figure (default 1000)");
  app.add_option("--kb", f.kb, "kilobytes per single send (default 100)");
  app.add_flag("--no-scp", f.no_scp, "skip the scp baseline");
  app.add_option("--scale", f.scale,
                 "messages in one mailbox for the listing and purge figures (default 100000; 0 skips)");
  app.add_option("--workload", f.only,
                 "pdf (a small unit and a PDF per recipient), csv (a unit of CSV), or both (default)")
      ->check(CLI::IsMember({"pdf", "csv", "both"}));
  app.add_flag("--checker", checker_only, "only the care plan checker's throughput (no broker, no network)");
  app.add_flag("--json", json_out, "one JSON document on stdout");
  app.add_option("--store", store,
                 "the broker on PostgreSQL: 'local' (a throwaway server) or a libpq connection string "
                 "(a new database tayori_bench_PID is made on it); 'both': the run on RocksDB, then on a "
                 "throwaway PostgreSQL, and their ratios; default: RocksDB");
  bool soak = false;
  int soak_agents = 1000;
  tayori::bench::SoakOptions so;
  app.add_flag("--soak", soak,
               "only the soak: many terminals connected and subscribed while sends, downloads and events go on");
  app.add_option("--soak-agents", soak_agents, "terminals in the soak, one office each (default 1000)");
  app.add_option("--soak-seconds", so.seconds, "how long the soak sends (default 600)");
  app.add_option("--soak-rate", so.sends_per_second, "sends per second in the soak (default 5)");
  CLI11_PARSE(app, argc, argv);
  if (soak) return RunSoakOnly(soak_agents, f.kb, so, json_out);
  if (f.groups < 1 || f.groups > 50 || f.small_groups < 1 || f.small_groups > f.groups || f.mb < 1 || f.mb > 10 ||
      f.sends < 1 || f.kb < 1) {
    Die("--groups 1..50, --small-groups 1..groups, --mb 1..10, --sends and --kb positive");
  }
  if (sodium_init() < 0) Die("libsodium");
  std::fprintf(stderr, "care plan checker ...\n");
  const json checker = tayori::bench::MeasureChecker(f.mb, 9);
  if (checker_only) {
    if (json_out) {
      std::printf("%s\n", json{{"checker", checker}}.dump(2).c_str());
    } else {
      tayori::bench::PrintChecker(checker);
    }
    return 0;
  }

  tayori::testing::TempDir primitives_dir;
  std::fprintf(stderr, "primitives ...\n");
  const json primitives = tayori::bench::MeasurePrimitives(primitives_dir.path());
  json j;
  if (store == "both") {
    // The same run on each store, one after the other; ratios against RocksDB.
    const json runs =
        json::array({RunOnStore(f, "", primitives, checker), RunOnStore(f, "local", primitives, checker)});
    j = {{"runs", runs}, {"comparison", tayori::bench::CompareStores(runs)}};
  } else {
    j = RunOnStore(f, store, primitives, checker);
  }
  if (json_out) {
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  if (!j.contains("runs")) {
    tayori::bench::PrintRun(j);
    return 0;
  }
  for (const json& run : j["runs"]) {
    tayori::bench::PrintRun(run);
    std::printf("\n");
  }
  tayori::bench::PrintComparison(j["comparison"]);
  return 0;
}
