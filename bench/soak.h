// The soak: many terminals connected to one broker for a long while, as on
// the first days of a month. Every terminal keeps a CurveZMQ connection open
// and subscribed to its office's pushed events (renewed every 20 s, as
// `tayori-agent serve` does), all on one ZeroMQ context polled by one
// thread; meanwhile sender threads send PDFs between the offices at a fixed
// rate through the agent library and fetcher threads download each one as
// its new_mail event arrives, checking the bytes. The broker's RSS and CPU
// are sampled throughout, and from its metrics where the memory goes: the
// store's memtables, block cache and table readers, and the C heap.
//
// Reports connections lost (a disconnect seen by a terminal's socket
// monitor), events missed (a send without its new_mail event, a download
// without its downloaded event), sends failed, downloads failed or damaged,
// the broker's RSS over time (and the growth of RSS and of its heap's footprint), and p50/p99 of send, download and
// event delivery. Asserts nothing about time; the caller decides what to do with losses (tayori-bench exits 1).
#ifndef TAYORI_BENCH_SOAK_H_
#define TAYORI_BENCH_SOAK_H_

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tayori::bench {

struct SoakOptions {
  int seconds = 600;            // how long sends go on
  double sends_per_second = 5;  // across all senders
  int senders = 4;              // threads sending
  int fetchers = 2;             // threads downloading
  int kb = 100;                 // size of each PDF
  int drain_seconds = 120;      // after the sends: time for the last downloads and events
  // Before the sends, requests each terminal makes (a subscription renewal
  // each, up to 8 waiting for their answers): a burst of requests from
  // every connection at once, to see what the broker keeps after one.
  int warmup_requests = 0;
};

struct SoakSetup {
  std::string endpoint;              // the broker's office endpoint
  std::string server_key;            // its public key, Z85
  pid_t broker_pid = -1;             // sampled for RSS and CPU
  std::string metrics_endpoint;      // host:port of its metrics, for where memory goes ("": not sampled)
  std::vector<std::string> homes;    // one enrolled terminal per office
  std::vector<std::string> offices;  // the office of each home
  std::string work_dir;              // for files to send and downloads
};

// Runs the soak. {"error": why} if it could not begin (a terminal that
// could not connect and subscribe); otherwise the figures.
nlohmann::json RunSoak(const SoakSetup& setup, const SoakOptions& options);

// The figures of J (RunSoak's result) for a person.
void PrintSoak(const nlohmann::json& j);

// True if J shows nothing lost, missed, failed or damaged.
bool SoakClean(const nlohmann::json& j);

}  // namespace tayori::bench

#endif  // TAYORI_BENCH_SOAK_H_
