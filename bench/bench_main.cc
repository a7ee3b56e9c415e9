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
#include <sodium.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "bench/checker_bench.h"
#include "bench/harness.h"
#include "bench/primitives.h"
#include "bench/proc.h"
#include "bench/report.h"
#include "bench/soak.h"
#include "common/careplan/rules.h"
#include "common/env.h"

namespace {

using nlohmann::json;
using tayori::bench::Bench;
using tayori::bench::BulkFigures;
using tayori::bench::Die;
using tayori::bench::Must;
using tayori::bench::Percentile;

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
    // How the workload packs, on its first 50 MB (the CSV units repeat).
    const json packing = tayori::bench::MeasurePacking(files, 50'000'000);
    const json floor =
        tayori::bench::CryptoFloor(primitives, static_cast<double>(big.bytes), static_cast<double>(csv_bytes),
                                   checker["mb_per_s"].get<double>(), packing);
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

// A flag out of range: the flag and what it may be, and exit status 2
// (bad input). A NaN is out of every range.
void CheckRange(const char* flag, double value, double least, double most, const char* allowed) {
  if (value >= least && value <= most) return;
  std::fprintf(stderr, "tayori-bench: %s must be %s\n", flag, allowed);
  std::exit(2);
}

// --soak: only the soak, on RocksDB. Exit status 1 if anything was lost.
int RunSoakOnly(int soak_agents, int kb, tayori::bench::SoakOptions so, bool json_out) {
  CheckRange("--soak-agents", soak_agents, 2, 100000, "2..100000");
  CheckRange("--soak-seconds", so.seconds, 1, 86400, "1..86400");
  CheckRange("--soak-rate", so.sends_per_second, 0.01, 1000, "0.01..1000");
  CheckRange("--soak-warmup", so.warmup_requests, 0, 100000, "0..100000");
  CheckRange("--kb", kb, 1, 100000, "1..100000");
  if (sodium_init() < 0) Die("libsodium");
  so.kb = kb;
  Bench b(soak_agents);
  b.StartBroker();
  std::fprintf(stderr, "soak: setting up %d offices and terminals ...\n", soak_agents);
  b.SetUpOffices();
  tayori::bench::SoakSetup setup{b.Endpoint(), b.Key(), b.BrokerPid(), b.MetricsEndpoint(), {}, {}, b.Dir()};
  for (int i = 0; i < soak_agents; ++i) {
    setup.homes.push_back(b.Home(i));
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
  app.add_option("--groups", f.groups, "recipients in the big bulk (1..50, default 50)");
  app.add_option("--mb", f.mb, "megabytes per group (1..10, default 10)");
  app.add_option("--small-groups", f.small_groups, "recipients in the small bulk (1..groups, default 5)");
  app.add_option("--sends", f.sends, "single sends for the latency figure (1..100000, default 1000)");
  app.add_option("--kb", f.kb, "kilobytes per single send (1..100000, default 100)");
  app.add_flag("--no-scp", f.no_scp, "skip the scp baseline");
  app.add_option("--scale", f.scale,
                 "messages in one mailbox for the listing and purge figures (0..1000000, default 100000; 0 skips)");
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
  app.add_option("--soak-agents", soak_agents, "terminals in the soak, one office each (2..100000, default 1000)");
  app.add_option("--soak-seconds", so.seconds, "seconds the soak sends (1..86400, default 600)");
  app.add_option("--soak-rate", so.sends_per_second, "sends per second in the soak (0.01..1000, default 5)");
  app.add_option("--soak-warmup", so.warmup_requests,
                 "requests each terminal makes, a burst, before the sends begin (0..100000, default 0)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the error, or --help
    return e.get_exit_code() == 0 ? 0 : 2;
  }
  if (soak) return RunSoakOnly(soak_agents, f.kb, so, json_out);
  CheckRange("--groups", f.groups, 1, 50, "1..50");
  CheckRange("--small-groups", f.small_groups, 1, f.groups, "1..groups");
  CheckRange("--mb", f.mb, 1, 10, "1..10");
  CheckRange("--sends", f.sends, 1, 100000, "1..100000");
  CheckRange("--kb", f.kb, 1, 100000, "1..100000");
  CheckRange("--scale", f.scale, 0, 1000000, "0..1000000");
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
