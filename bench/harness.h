// Bench: a throwaway tayori on loopback for the bench programs
// (tayori-bench, tayori-ha-demo): a test CA, one broker, or several sharing
// one PostgreSQL store and one key pair, offices with a terminal each, and
// the loads they measure. Owns its temp folder, broker processes and any
// PostgreSQL server it started; all stop with it. Not for tests: it exits
// the program (Die) on any failure.
#ifndef TAYORI_BENCH_HARNESS_H_
#define TAYORI_BENCH_HARNESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bench/report.h"
#include "common/status.h"
#include "tests/support/postgres_server.h"
#include "tests/support/test_util.h"

namespace tayori::bench {

// Seconds on the steady clock.
double Now();

// Prints WHAT, kills every broker and server a live Bench started, exits 1.
[[noreturn]] void Die(const std::string& what);

template <typename T>
T Must(StatusOr<T> v, const std::string& what) {
  if (!v.ok()) Die(what + ": " + v.status().ToString());
  return std::move(v).value();
}
void Must(const Status& st, const std::string& what);

class Bench {
 public:
  static constexpr const char* kSender = "0123456789";

  // GROUPS offices besides the sender (Recipient(0..GROUPS-1)).
  explicit Bench(int groups);
  ~Bench();
  Bench(const Bench&) = delete;
  Bench& operator=(const Bench&) = delete;

  // Runs the brokers on PostgreSQL: STORE is "local" (a throwaway server)
  // or a connection string, on which a new database tayori_bench_PID is made.
  // Before StartBroker.
  void UsePostgres(const std::string& store);
  // Runs the brokers on the PostgreSQL database CONNINFO names, as it is.
  void UseDatabase(const std::string& conninfo);

  // Starts the first broker, or starts it again after StopBroker on the
  // endpoint the terminals were set up with.
  void StartBroker();
  void StopBroker();
  // Starts another broker on the same PostgreSQL store with the first's
  // key pair and admin key; before SetUpOffices, whose terminals then list
  // every broker. Returns its number for KillPeer.
  int StartPeer();
  // SIGKILLs peer N (a machine lost).
  void KillPeer(int n);

  // Registers the sender and the GROUPS offices and sets up a terminal
  // for each: home-sender and home-r0, home-r1, ...
  void SetUpOffices();
  std::string Recipient(int i) const;
  std::string Home(int i) const { return dir_.Sub("home-r" + std::to_string(i)); }
  std::string SenderHome() const { return dir_.Sub("home-sender"); }

  // The arguments of `tayori-agent bulk` sending GROUPS groups of MB
  // megabytes to Recipient(0..GROUPS-1): WORKLOAD "pdf" (a small 実績 unit
  // and a PDF each) or "csv" (a unit of CSV each). Writes the files; adds
  // their bytes to FIG and their paths to ALL_FILES if given.
  std::vector<std::string> BulkArgs(const std::string& workload, int groups, int mb, BulkFigures* fig,
                                    std::vector<std::string>* all_files);
  // Runs that bulk and measures it.
  BulkFigures Bulk(const std::string& workload, int groups, int mb, std::vector<std::string>* all_files);

  // The baselines for FILES (bench/baselines.h), each in a folder of its own.
  double Scp(const std::vector<std::string>& files);
  double Dd(const std::vector<std::string>& files);

  // Every office fetches everything at once; returns seconds and bytes.
  std::pair<double, uint64_t> Downloads();

  // Files N committed, payload-less messages into Recipient(0)'s mailbox
  // directly in the store (the broker must not be running), all due to
  // expire at one moment: 20 s plus twice the estimated writing time after
  // the start (a timed probe of 100 commits, removed again, gives the
  // estimate), so about 20 s after the last is written. Sets *EXPIRE_AT to
  // it and returns the id in the middle of the mailbox.
  std::string Populate(int n, int64_t* expire_at);

  // Milliseconds to list one page of 100 of Recipient(0)'s mailbox after AFTER.
  double ListPage(const std::string& after);
  // Messages pending in the store, from the first broker's statistics.
  uint64_t Pending();
  // SENDS sends of KB kilobytes from the sender to Recipient(TO), one after
  // another; each one's milliseconds to durable acceptance.
  std::vector<double> Latency(int sends, int kb, int to = 0);

  const std::string& Dir() const { return dir_.path(); }
  std::string Sub(const std::string& name) const { return dir_.Sub(name); }
  const std::string& Endpoint() const { return endpoint_; }
  const std::string& Key() const { return key_; }
  pid_t BrokerPid() const { return broker_->pid(); }
  // host:port of the first broker's metrics endpoint.
  const std::string& MetricsEndpoint() const { return metrics_endpoint_; }

 private:
  std::unique_ptr<testing::Process> Launch(const std::string& data_dir, const std::string& endpoint,
                                           std::string* chosen);
  void SetUpTerminal(const std::string& label, const std::string& office, const std::string& user);
  std::vector<std::string> MakeGroup(const std::string& dir, int i, int mb);
  std::vector<std::string> MakeCsvGroup(const std::string& dir, int i, int mb, int run);

  const int groups_;
  testing::TempDir dir_;
  testing::CaFixture ca_;
  std::unique_ptr<testing::PostgresServer> postgres_;  // with "local"; outlives the brokers
  std::unique_ptr<testing::Process> broker_;
  std::vector<std::unique_ptr<testing::Process>> peers_;
  std::string store_;  // the brokers' store: connection string, or empty for RocksDB
  std::string endpoint_, key_, metrics_endpoint_;
  std::vector<std::string> peer_endpoints_;
  int baseline_runs_ = 0;  // names the folders of each scp and dd run
  int bulk_runs_ = 0;      // stamps the names of each bulk's CSV units
};

}  // namespace tayori::bench

#endif  // TAYORI_BENCH_HARNESS_H_
