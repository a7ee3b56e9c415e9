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
// database tayori_bench_PID that the run leaves behind.
// Prints figures; asserts nothing about time.
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sodium.h>
#include <sys/socket.h>
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
#include "bench/checker_bench.h"
#include "bench/primitives.h"
#include "bench/proc.h"
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
using tayori::bench::Percentile;
using tayori::bench::ProcCpuSeconds;
using tayori::bench::ProcStatusKb;
using tayori::bench::ResetPeakRss;
using tayori::testing::Process;
using tayori::testing::RunResult;

double Now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

int FreePort() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

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

struct BulkFigures {
  double seconds = 0, agent_cpu = 0, broker_cpu = 0;
  long agent_rss_kb = 0, broker_rss_kb = 0;
  uint64_t bytes = 0;
};

class Bench {
 public:
  explicit Bench(int groups) : groups_(groups), ca_(dir_.Sub("ca"), tayori::Env::Default()->NowSeconds()) {}

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

  // Seconds for scp (aes128-gcm) of FILES to a private sshd on loopback; <0 if unavailable.
  double Scp(const std::vector<std::string>& files) {
    if (::access("/usr/sbin/sshd", X_OK) != 0 || ::access("/usr/bin/scp", X_OK) != 0) return -1;
    const std::string run = std::to_string(++baseline_runs_);
    const std::string d = dir_.Sub("ssh-" + run);
    Must(tayori::MakeDirs(d, 0700), "mkdir");
    Must(tayori::MakeDirs("/run/sshd", 0755), "mkdir /run/sshd");
    for (const char* k : {"host", "client"}) {
      RunResult r = tayori::testing::Run("/usr/bin/ssh-keygen", {"-q", "-t", "ed25519", "-N", "", "-f", d + "/" + k});
      if (r.exit_code != 0) return -1;
    }
    std::filesystem::copy_file(d + "/client.pub", d + "/authorized_keys");
    const int port = FreePort();
    Must(tayori::WriteFileAtomic(d + "/sshd_config",
                                 "Port " + std::to_string(port) + "\nListenAddress 127.0.0.1\nHostKey " + d +
                                     "/host\nAuthorizedKeysFile " + d +
                                     "/authorized_keys\nPasswordAuthentication no\n"
                                     "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
                                     "PermitRootLogin prohibit-password\nPidFile " +
                                     d +
                                     "/sshd.pid\n"
                                     "Subsystem sftp internal-sftp\nCiphers aes128-gcm@openssh.com\n"),
         "sshd config");
    Process sshd("/usr/sbin/sshd", {"-D", "-e", "-f", d + "/sshd_config"});
    const std::string dest = dir_.Sub("scp-dest-" + run);
    Must(tayori::MakeDirs(dest), "mkdir");
    const struct passwd* pw = ::getpwuid(::getuid());
    std::vector<std::string> args = {
        "-q", "-B",          "-c", "aes128-gcm@openssh.com",   "-P", std::to_string(port),
        "-i", d + "/client", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"};
    args.insert(args.end(), files.begin(), files.end());
    args.push_back(std::string(pw ? pw->pw_name : "root") + "@127.0.0.1:" + dest + "/");
    // sshd needs a moment to listen: retry the connection, not a fixed sleep.
    for (int attempt = 0; attempt < 50; ++attempt) {
      RunResult probe = tayori::testing::Run(
          "/usr/bin/ssh", {"-q", "-p", std::to_string(port), "-i", d + "/client", "-o", "BatchMode=yes", "-o",
                           "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                           std::string(pw ? pw->pw_name : "root") + "@127.0.0.1", "true"});
      if (probe.exit_code == 0) break;
      if (attempt == 49) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const double t0 = Now();
    RunResult r = tayori::testing::Run("/usr/bin/scp", args, {}, 3600 * 1000);
    const double seconds = Now() - t0;
    sshd.Kill(SIGTERM);
    return r.exit_code == 0 ? seconds : -1;
  }

  // Seconds for dd conv=fsync of FILES (one dd each, like one commit per send).
  double Dd(const std::vector<std::string>& files) {
    const std::string dest = dir_.Sub("dd-dest-" + std::to_string(++baseline_runs_));
    Must(tayori::MakeDirs(dest), "mkdir");
    const double t0 = Now();
    for (const auto& f : files) {
      RunResult r = tayori::testing::Run("/bin/dd", {"if=" + f, "of=" + dest + "/" + f.substr(f.rfind('/') + 1),
                                                     "bs=1M", "conv=fsync", "status=none"});
      if (r.exit_code != 0) return -1;
    }
    return Now() - t0;
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
  // expire at one moment 20 seconds after the last is written (a timed
  // probe of 100 commits, removed again, says how long writing takes).
  // Sets *EXPIRE_AT to it and returns the id in the middle of the mailbox.
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
      Must(store->CommitMessage(probe.back(), 0), "commit");
    }
    const double per_commit = (Now() - t0) / 100;
    Must(store->ApplyExpiry({}, {}, probe), "remove the probe");
    *expire_at = tayori::Env::Default()->NowSeconds() + 20 + static_cast<int64_t>(2 * per_commit * n);
    std::string middle;
    for (int i = 0; i < n; ++i) {
      const tayori::pb::MessageRecord r = record(i, Recipient(0), *expire_at);
      Must(store->CommitMessage(r, 0), "commit");
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

// One workload's figures, as main builds them.
json WorkloadJson(const std::string& name, int groups, int mb, const BulkFigures& big, const BulkFigures& small,
                  int small_groups, double scp, double dd, const json& floor) {
  const double mbs = static_cast<double>(big.bytes) / 1e6;
  return {{"workload", name},
          {"groups", groups},
          {"mb_per_group", mb},
          {"bytes", big.bytes},
          {"seconds", big.seconds},
          {"mb_per_s", mbs / big.seconds},
          {"agent_cpu_seconds", big.agent_cpu},
          {"broker_cpu_seconds", big.broker_cpu},
          {"agent_cpu_s_per_mb", big.agent_cpu / mbs},
          {"broker_cpu_s_per_mb", big.broker_cpu / mbs},
          {"agent_peak_rss_mib", big.agent_rss_kb / 1024.0},
          {"broker_peak_rss_mib", big.broker_rss_kb / 1024.0},
          {"small_bulk",
           {{"groups", small_groups},
            {"seconds", small.seconds},
            {"agent_peak_rss_mib", small.agent_rss_kb / 1024.0},
            {"broker_peak_rss_mib", small.broker_rss_kb / 1024.0}}},
          {"scp_seconds", scp},
          {"dd_fsync_seconds", dd},
          {"ratio_to_scp", scp > 0 ? big.seconds / scp : -1},
          {"ratio_to_dd", dd > 0 ? big.seconds / dd : -1},
          {"floor", floor}};
}

// The figures of J (as main builds them) for a person.
void PrintText(const json& j) {
  std::printf("broker store: %s\n", j["store"].get<std::string>().c_str());
  const json& p = j["primitives"];
  std::printf(
      "per byte on one core: AES-256-GCM %.0f MB/s, SHA-256 %.0f MB/s, CurveZMQ box %.0f MB/s, care plan "
      "checker %.0f MB/s; fdatasync of 1 MiB %.2f ms, of 4 KiB %.2f ms\n",
      p["aes_gcm_mb_s"].get<double>(), p["sha256_mb_s"].get<double>(), p["curve_box_mb_s"].get<double>(),
      j["checker"]["mb_per_s"].get<double>(), p["fsync_1mib_ms"].get<double>(), p["fsync_4kib_ms"].get<double>());
  for (const json& w : j["workloads"]) {
    const double scp = w["scp_seconds"], dd = w["dd_fsync_seconds"], seconds = w["seconds"];
    std::printf("bulk send, %s workload, %d x %d MB (%.0f MB): %.2f s, %.1f MB/s\n",
                w["workload"].get<std::string>().c_str(), w["groups"].get<int>(), w["mb_per_group"].get<int>(),
                w["bytes"].get<double>() / 1e6, seconds, w["mb_per_s"].get<double>());
    std::printf(
        "  CPU: agent %.2f s (%.2f ms/MB), broker %.2f s (%.2f ms/MB); crypto and check floor: agent %.2f s, "
        "broker %.2f s, %.2f s on two cores\n",
        w["agent_cpu_seconds"].get<double>(), w["agent_cpu_s_per_mb"].get<double>() * 1000,
        w["broker_cpu_seconds"].get<double>(), w["broker_cpu_s_per_mb"].get<double>() * 1000,
        w["floor"]["agent_seconds"].get<double>(), w["floor"]["broker_seconds"].get<double>(),
        w["floor"]["two_core_seconds"].get<double>());
    std::printf("  peak RSS: agent %.1f MiB, broker %.1f MiB (bulk of %d: agent %.1f MiB, broker %.1f MiB)\n",
                w["agent_peak_rss_mib"].get<double>(), w["broker_peak_rss_mib"].get<double>(),
                w["small_bulk"]["groups"].get<int>(), w["small_bulk"]["agent_peak_rss_mib"].get<double>(),
                w["small_bulk"]["broker_peak_rss_mib"].get<double>());
    if (scp > 0) {
      std::printf("  scp (aes128-gcm, loopback) of the same bytes: %.2f s -> tayori / scp = %.2f\n", scp,
                  seconds / scp);
    } else {
      std::printf("  scp baseline not available\n");
    }
    std::printf("  dd conv=fsync of the same bytes: %.2f s -> tayori / dd = %.2f\n", dd, seconds / dd);
  }
  const json& dl = j["downloads"];
  const json& single = j["single_send"];
  const json& scale = j["scale"];
  std::printf("downloads: %d recipients at once, %.0f MB in %.2f s: %.1f MB/s\n", dl["recipients"].get<int>(),
              dl["bytes"].get<double>() / 1e6, dl["seconds"].get<double>(), dl["mb_per_s"].get<double>());
  std::printf("single %d KB send to durable acceptance, %d sends: p50 %.1f ms, p99 %.1f ms\n", single["kb"].get<int>(),
              single["sends"].get<int>(), single["p50_ms"].get<double>(), single["p99_ms"].get<double>());
  if (scale["messages"].get<int>() > 0) {
    std::printf("mailbox of %d pending: a page of 100 lists in %.2f ms (first), %.2f ms (middle)\n",
                scale["messages"].get<int>(), scale["list_first_page_ms"].get<double>(),
                scale["list_middle_page_ms"].get<double>());
    std::printf("send p99 while they all expire: %.1f ms (pending %llu -> %llu during the sends); without: %.1f ms\n",
                scale["send_p99_ms_during_expiry"].get<double>(),
                scale["pending_when_sends_began"].get<unsigned long long>(),
                scale["pending_when_sends_ended"].get<unsigned long long>(), scale["send_p99_ms_quiet"].get<double>());
  }
  tayori::bench::PrintChecker(j["checker"]);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tayori-bench: bulk send, downloads and latency against scp and dd baselines"};
  int groups = 50, mb = 10, small_groups = 5, sends = 1000, kb = 100, scale = 100000;
  bool json_out = false, no_scp = false, checker_only = false;
  std::string only = "both", store;
  app.add_option("--groups", groups, "recipients in the big bulk (default 50)");
  app.add_option("--mb", mb, "megabytes per group (default 10)");
  app.add_option("--small-groups", small_groups, "recipients in the small bulk (default 5)");
  app.add_option("--sends", sends, "single sends for the latency figure (default 1000)");
  app.add_option("--kb", kb, "kilobytes per single send (default 100)");
  app.add_flag("--no-scp", no_scp, "skip the scp baseline");
  app.add_option("--scale", scale,
                 "messages in one mailbox for the listing and purge figures (default 100000; 0 skips)");
  app.add_option("--workload", only,
                 "pdf (a small unit and a PDF per recipient), csv (a unit of CSV), or both (default)")
      ->check(CLI::IsMember({"pdf", "csv", "both"}));
  app.add_flag("--checker", checker_only, "only the care plan checker's throughput (no broker, no network)");
  app.add_flag("--json", json_out, "one JSON document on stdout");
  app.add_option("--store", store,
                 "the broker on PostgreSQL: 'local' (a throwaway server) or a libpq connection string "
                 "(a new database tayori_bench_PID is made on it); default: RocksDB");
  bool soak = false;
  int soak_agents = 1000;
  tayori::bench::SoakOptions so;
  app.add_flag("--soak", soak,
               "only the soak: many terminals connected and subscribed while sends, downloads and events go on");
  app.add_option("--soak-agents", soak_agents, "terminals in the soak, one office each (default 1000)");
  app.add_option("--soak-seconds", so.seconds, "how long the soak sends (default 600)");
  app.add_option("--soak-rate", so.sends_per_second, "sends per second in the soak (default 5)");
  CLI11_PARSE(app, argc, argv);
  if (soak) {
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
  if (groups < 1 || groups > 50 || small_groups < 1 || small_groups > groups || mb < 1 || mb > 10 || sends < 1 ||
      kb < 1) {
    Die("--groups 1..50, --small-groups 1..groups, --mb 1..10, --sends and --kb positive");
  }
  if (sodium_init() < 0) Die("libsodium");
  std::fprintf(stderr, "care plan checker ...\n");
  const json checker = tayori::bench::MeasureChecker(mb, 9);
  if (checker_only) {
    if (json_out) {
      std::printf("%s\n", json{{"checker", checker}}.dump(2).c_str());
    } else {
      tayori::bench::PrintChecker(checker);
    }
    return 0;
  }

  Bench b(groups);
  std::fprintf(stderr, "primitives ...\n");
  const json primitives = tayori::bench::MeasurePrimitives(b.Dir());
  if (!store.empty()) b.UsePostgres(store);
  b.StartBroker();
  b.SetUpOffices();
  json workloads = json::array();
  for (const std::string workload : {"pdf", "csv"}) {
    if (only != "both" && only != workload) continue;
    std::fprintf(stderr, "%s: bulk %d x %d MB ...\n", workload.c_str(), small_groups, mb);
    BulkFigures small = b.Bulk(workload, small_groups, mb, nullptr);
    std::fprintf(stderr, "%s: bulk %d x %d MB ...\n", workload.c_str(), groups, mb);
    std::vector<std::string> files;
    BulkFigures big = b.Bulk(workload, groups, mb, &files);
    std::fprintf(stderr, "%s: scp ...\n", workload.c_str());
    const double scp = no_scp ? -1 : b.Scp(files);
    std::fprintf(stderr, "%s: dd ...\n", workload.c_str());
    const double dd = b.Dd(files);
    // The agent checks the CSV content it sends; a PDF only by its head.
    uint64_t csv_bytes = 0;
    for (const auto& f : files) csv_bytes += tayori::careplan::IsCsvName(f) ? std::filesystem::file_size(f) : 0;
    const json floor = tayori::bench::CryptoFloor(primitives, static_cast<double>(big.bytes),
                                                  static_cast<double>(csv_bytes), checker["mb_per_s"].get<double>());
    workloads.push_back(WorkloadJson(workload, groups, mb, big, small, small_groups, scp, dd, floor));
  }
  std::fprintf(stderr, "downloads ...\n");
  auto [dl_seconds, dl_bytes] = b.Downloads();
  std::fprintf(stderr, "latency %d x %d KB ...\n", sends, kb);
  std::vector<double> lat = b.Latency(sends, kb);

  // Scale: a mailbox of SCALE pending messages; listing it, then sends while
  // all of them expire at once, against sends without a purge.
  double list_first = 0, list_middle = 0;
  std::vector<double> quiet, purging;
  uint64_t pending_before = 0, pending_after = 0;
  if (scale > 0) {
    std::fprintf(stderr, "scale: %d messages in one mailbox ...\n", scale);
    b.StopBroker();
    int64_t expire_at = 0;
    const std::string middle = b.Populate(scale, &expire_at);
    b.StartBroker();
    list_first = b.ListPage("");
    list_middle = b.ListPage(middle);
    quiet = b.Latency(200, kb, 1);
    while (tayori::Env::Default()->NowSeconds() < expire_at) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    pending_before = b.Pending();
    purging = b.Latency(200, kb, 1);
    pending_after = b.Pending();
  }

  json j = {
      {"store", store.empty() ? "rocksdb" : "postgresql"},
      {"primitives", primitives},
      {"workloads", workloads},
      {"downloads",
       {{"recipients", groups},
        {"bytes", dl_bytes},
        {"seconds", dl_seconds},
        {"mb_per_s", static_cast<double>(dl_bytes) / 1e6 / dl_seconds}}},
      {"single_send",
       {{"sends", sends}, {"kb", kb}, {"p50_ms", Percentile(lat, 0.5)}, {"p99_ms", Percentile(lat, 0.99)}}},
      {"scale",
       {{"messages", scale},
        {"list_first_page_ms", list_first},
        {"list_middle_page_ms", list_middle},
        {"send_p99_ms_quiet", Percentile(quiet, 0.99)},
        {"send_p99_ms_during_expiry", Percentile(purging, 0.99)},
        {"pending_when_sends_began", pending_before},
        {"pending_when_sends_ended", pending_after}}},
      {"checker", checker},
  };
  if (json_out) {
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  PrintText(j);
  return 0;
}
