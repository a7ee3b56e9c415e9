// tayori-ha-demo: what losing the database's primary and a broker in the
// middle of a busy hour costs, end to end (run by scripts/ha-demo.sh).
//
// On a PostgreSQL cluster already running (scripts/ha-cluster.sh), starts 3
// brokers sharing one database and one key pair, and offices whose
// terminals list all three. Runs a bulk of GROUPS x MB from one office
// while OFFICES offices send to each other and download. Once half the bulk
// is accepted, SIGKILLs one broker and runs --kill-primary (a command that
// SIGKILLs the primary and returns once the database takes writes again,
// printing JSON, as `scripts/ha-cluster.sh failover` does). Then every office downloads what is left, and each
// send a terminal recorded as accepted is looked for, by the SHA-256 of its
// files, among what its recipient saved. The same load without kills on
// one broker on RocksDB gives the throughput to compare with.
//
// Prints one JSON document; exit status 1 if a send was lost or
// duplicated, or the load could not finish.
#include <sodium.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "agent/agent.h"
#include "bench/harness.h"
#include "common/env.h"
#include "common/ids.h"

namespace {

using nlohmann::json;
using tayori::bench::Bench;
using tayori::bench::Die;
using tayori::bench::Must;
using tayori::bench::Now;

struct Flags {
  std::string store;         // the cluster's connection string
  std::string kill_primary;  // shell command: SIGKILL the primary, wait for writes
  int groups = 50, mb = 10, offices = 20, kb = 200;
};

// What one run of the load did.
struct Load {
  double started_at = 0;    // Now() at the start
  double seconds = 0;       // start to the last office stopping
  double killed_at = -1;    // Now() of the kills; -1: none
  double back_at = -1;      // Now() when the database took writes again
  std::string failover;     // what --kill-primary printed
  uint64_t bytes = 0;       // plaintext bytes of the sends accepted
  int bulk_runs = 0;        // `tayori-agent bulk` runs it took
  double bulk_seconds = 0;  // start to the bulk's last acceptance
  uint64_t bulk_bytes = 0;
  int failed_sends = 0;             // office sends that gave up (the next is a new one)
  std::vector<double> accepted_at;  // Now() of each office send accepted
  // Per office, the sends begun after back_at and accepted.
  std::vector<int> accepted_after_back;
  std::vector<std::string> errors;  // why sends gave up, the first few
};

// The files' SHA-256s, sorted and joined: one send's content.
std::string ContentKey(std::vector<std::string> hashes) {
  std::sort(hashes.begin(), hashes.end());
  std::string key;
  for (const auto& h : hashes) key += h + ";";
  return key;
}

std::string FileSha256(const std::string& path) {
  const std::string data = Must(tayori::ReadFile(path), "read " + path);
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return tayori::ToHex(std::string(reinterpret_cast<char*>(h), sizeof h));
}

// Downloads what is new for the terminal AGENT into RECV/<message id>/;
// returns how many it saved, or the first failure that may pass (the
// broker unreachable). A message refused for good is added to REFUSED and
// not tried again.
tayori::StatusOr<int> FetchNew(tayori::agent::Agent* agent, const std::string& recv, std::set<std::string>* refused) {
  auto inbox = agent->Inbox();
  if (!inbox.ok()) return inbox.status();
  int saved = 0;
  for (const auto& item : *inbox) {
    const std::string id = item.entry.message_id();
    if (!item.is_new || refused->count(id)) continue;
    auto fetched = agent->Fetch(id, recv + "/" + id, nullptr);
    if (fetched.ok()) {
      ++saved;
    } else if (fetched.status().code() == tayori::Code::kUnavailable ||
               fetched.status().code() == tayori::Code::kDeadlineExceeded) {
      return fetched.status();
    } else {
      std::fprintf(stderr, "cannot download %s: %s\n", id.c_str(), fetched.status().ToString().c_str());
      refused->insert(id);
    }
  }
  return saved;
}

// Office I of the small ones (terminal Home(GROUPS + I)) sends KB-kilobyte
// PDFs to the next office and downloads its own mail, until STOP.
void OfficeLoop(Bench* b, const Flags& f, int i, const std::atomic<bool>* stop, std::mutex* mu, Load* load) {
  const int me = f.groups + i, to = f.groups + (i + 1) % f.offices;
  auto agent = Must(tayori::agent::Agent::Open(b->Home(me), tayori::Env::Default()), "open office");
  std::string pdf = "%PDF-1.7\n";
  pdf.resize(static_cast<size_t>(f.kb) * 1000);
  std::set<std::string> refused;  // left for the tally to try again
  for (int n = 0; !stop->load(); ++n) {
    randombytes_buf(pdf.data() + 9, pdf.size() - 9);
    const std::string path = b->Sub("out-" + std::to_string(i) + "-" + std::to_string(n) + ".pdf");
    Must(tayori::WriteFileAtomic(path, pdf), "write");
    bool after_back;
    {
      std::lock_guard<std::mutex> l(*mu);
      after_back = load->back_at >= 0;
    }
    auto sent = agent->Send({b->Recipient(to), "", {path}}, nullptr);
    {
      std::lock_guard<std::mutex> l(*mu);
      if (sent.ok()) {
        load->accepted_at.push_back(Now());
        load->bytes += pdf.size();
        if (after_back) ++load->accepted_after_back[i];
      } else {
        ++load->failed_sends;
        if (load->errors.size() < 5) load->errors.push_back(sent.status().ToString());
      }
    }
    (void)FetchNew(agent.get(), b->Sub("recv-" + std::to_string(me)), &refused);  // a failure: next round
  }
}

// The bulk and the offices at once; with KILL, the kills once half the
// bulk is accepted. Returns when the bulk is done and every office has had
// a send begun after the database took writes again accepted. KILL returns
// what --kill-primary printed, once the database takes writes.
Load RunLoad(Bench* b, const Flags& f, const std::function<std::string()>& kill) {
  Load load;
  load.accepted_after_back.assign(f.offices, 0);
  tayori::bench::BulkFigures fig;
  const std::vector<std::string> args = b->BulkArgs("pdf", f.groups, f.mb, &fig, nullptr);
  std::mutex mu;
  std::atomic<bool> stop{false}, bulk_done{false};
  const double t0 = Now();
  load.started_at = t0;
  if (!kill) load.back_at = t0;  // nothing to come back from
  std::thread bulk([&] {
    // Run again as an operator would: accepted groups are not sent twice.
    for (load.bulk_runs = 1; load.bulk_runs <= 3; ++load.bulk_runs) {
      auto r = tayori::testing::Run(tayori::testing::BinDir() + "/tayori-agent", args, {}, 3600 * 1000);
      if (r.exit_code == 0) break;
      std::fprintf(stderr, "bulk run %d failed: %s%s\n", load.bulk_runs,
                   r.out.substr(r.out.size() > 1000 ? r.out.size() - 1000 : 0).c_str(), r.err.c_str());
    }
    load.bulk_seconds = Now() - t0;
    bulk_done = true;
  });
  std::vector<std::thread> offices;
  for (int i = 0; i < f.offices; ++i) offices.emplace_back(OfficeLoop, b, std::cref(f), i, &stop, &mu, &load);
  if (kill) {
    auto sender = Must(tayori::agent::Agent::Open(b->SenderHome(), tayori::Env::Default()), "open sender");
    while (!bulk_done) {
      auto history = sender->SentHistory();
      if (history.ok() && static_cast<int>(history->size()) * 2 >= f.groups) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::fprintf(stderr, "half the bulk accepted: killing a broker and the primary ...\n");
    load.killed_at = Now();
    load.failover = kill();
    std::lock_guard<std::mutex> l(mu);
    load.back_at = Now();
  }
  bulk.join();
  // Every office keeps going until it has had a send begun after the
  // database came back accepted; 5 minutes at most.
  for (const double give_up = Now() + 300;;) {
    if (Now() > give_up) Die("an office had no send accepted for 5 minutes after the database came back");
    {
      std::lock_guard<std::mutex> l(mu);
      if (std::all_of(load.accepted_after_back.begin(), load.accepted_after_back.end(), [](int n) { return n > 0; })) {
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  stop = true;
  for (auto& t : offices) t.join();
  load.seconds = Now() - t0;
  if (load.bulk_runs > 3) Die("the bulk did not finish in 3 runs");
  load.bytes += fig.bytes;
  load.bulk_bytes = fig.bytes;
  return load;
}

// After the load: every office downloads what is left, then each accepted
// send is looked for in its recipient's folders by content.
json Tally(Bench* b, const Flags& f) {
  const int all = f.groups + f.offices;
  std::set<std::string> refused;  // guarded by refused_mu
  std::mutex refused_mu;
  std::vector<std::thread> fetchers;
  std::atomic<int> next{0};
  for (int w = 0; w < 4; ++w) {
    fetchers.emplace_back([&] {
      for (int i = next++; i < all; i = next++) {
        auto agent = Must(tayori::agent::Agent::Open(b->Home(i), tayori::Env::Default()), "open recipient");
        // Until an inbox has nothing new; a failure is tried again for 2 minutes.
        std::set<std::string> mine;
        const double deadline = Now() + 120;
        for (;;) {
          auto saved = FetchNew(agent.get(), b->Sub("recv-" + std::to_string(i)), &mine);
          if (saved.ok() && *saved == 0) break;
          if (!saved.ok() && Now() > deadline) Die("downloads still fail: " + saved.status().ToString());
          if (!saved.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(500));
        }
        std::lock_guard<std::mutex> l(refused_mu);
        refused.insert(mine.begin(), mine.end());
      }
    });
  }
  for (auto& t : fetchers) t.join();
  // recipient office -> content key -> messages saved with it
  std::map<std::string, std::map<std::string, int>> received;
  for (int i = 0; i < all; ++i) {
    const std::string recv = b->Sub("recv-" + std::to_string(i));
    if (!std::filesystem::exists(recv)) continue;
    for (const auto& message : std::filesystem::directory_iterator(recv)) {
      std::vector<std::string> hashes;
      for (const auto& file : std::filesystem::directory_iterator(message.path())) {
        if (file.path().filename().string().rfind(".tayori-", 0) == 0) continue;  // an unfinished part
        hashes.push_back(FileSha256(file.path().string()));
      }
      ++received[b->Recipient(i)][ContentKey(hashes)];
    }
  }
  // recipient office -> content key -> sends recorded as accepted with it
  std::map<std::string, std::map<std::string, int>> sent;
  std::vector<std::string> homes = {b->SenderHome()};
  for (int i = 0; i < f.offices; ++i) homes.push_back(b->Home(f.groups + i));
  for (const auto& home : homes) {
    auto agent = Must(tayori::agent::Agent::Open(home, tayori::Env::Default()), "open sender");
    for (const auto& rec : Must(agent->SentHistory(), "sent history")) {
      std::vector<std::string> hashes;
      for (const auto& h : rec.file_sha256()) hashes.push_back(tayori::ToHex(h));
      ++sent[rec.recipient_office()][ContentKey(hashes)];
    }
  }
  // Each send's content is new (random bytes), so one content is one send:
  // recorded or saved more than once, it was duplicated.
  int accepted = 0, delivered = 0, lost = 0, duplicated = 0, unconfirmed = 0;
  for (const auto& [office, keys] : sent) {
    for (const auto& [key, n] : keys) {
      const auto in = received[office].find(key);
      const int got = in == received[office].end() ? 0 : in->second;
      ++accepted;
      (got > 0 ? delivered : lost) += 1;
      duplicated += std::max(n, got) - 1;
    }
  }
  for (const auto& [office, keys] : received) {
    for (const auto& [key, n] : keys) {
      if (sent[office].count(key) == 0) unconfirmed += n;
    }
  }
  return {{"accepted", accepted},
          {"delivered", delivered},
          {"lost", lost},
          {"duplicated", duplicated},
          {"delivered_not_recorded_as_accepted", unconfirmed},
          {"refused_downloads", refused.size()}};
}

// The longest stretch after AT without an office send accepted.
double LongestGap(std::vector<double> times, double at) {
  std::sort(times.begin(), times.end());
  double longest = 0, last = at;
  for (double t : times) {
    if (t < at) continue;
    longest = std::max(longest, t - last);
    last = t;
  }
  return longest;
}

json LoadJson(const Load& load) {
  return {{"seconds", load.seconds},
          {"office_send_errors", load.errors},
          {"mb_accepted", static_cast<double>(load.bytes) / 1e6},
          {"mb_per_s", static_cast<double>(load.bytes) / 1e6 / load.seconds},
          {"office_sends_accepted", load.accepted_at.size()},
          {"office_sends_given_up", load.failed_sends},
          {"bulk_seconds", load.bulk_seconds},
          {"bulk_mb_per_s", static_cast<double>(load.bulk_bytes) / 1e6 / load.bulk_seconds},
          {"bulk_runs", load.bulk_runs}};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tayori-ha-demo: a failover of the database and a broker under load, and what it cost"};
  Flags f;
  app.add_option("--store", f.store, "the cluster's libpq connection string (scripts/ha-cluster.sh up prints it)")
      ->required();
  app.add_option("--kill-primary", f.kill_primary,
                 "shell command that SIGKILLs the cluster's primary and returns, printing JSON, once it takes "
                 "writes again")
      ->required();
  app.add_option("--groups", f.groups, "groups in the bulk (default 50)");
  app.add_option("--mb", f.mb, "megabytes per bulk group (default 10)");
  app.add_option("--offices", f.offices, "offices sending to each other meanwhile (default 20)");
  app.add_option("--kb", f.kb, "kilobytes per office send (default 200)");
  CLI11_PARSE(app, argc, argv);
  if (f.groups < 2 || f.groups > 50 || f.mb < 1 || f.mb > 10 || f.offices < 2 || f.offices > 100 || f.kb < 1) {
    Die("--groups 2..50, --mb 1..10, --offices 2..100, --kb positive");
  }
  if (sodium_init() < 0) Die("libsodium");

  std::fprintf(stderr, "baseline: the same load on one broker on RocksDB ...\n");
  Load single;
  {
    Bench b(f.groups + f.offices);
    b.StartBroker();
    b.SetUpOffices();
    single = RunLoad(&b, f, nullptr);
  }

  std::fprintf(stderr, "3 brokers on the cluster ...\n");
  Bench b(f.groups + f.offices);
  b.UseDatabase(f.store);  // a cluster of its own, made for the demo
  b.StartBroker();
  b.StartPeer();
  b.StartPeer();
  b.SetUpOffices();
  Load ha = RunLoad(&b, f, [&] {
    b.KillPeer(0);
    FILE* p = ::popen(f.kill_primary.c_str(), "r");
    if (p == nullptr) Die("--kill-primary: cannot run it");
    std::string said;
    char buf[512];
    while (std::fgets(buf, sizeof buf, p) != nullptr) said += buf;
    if (::pclose(p) != 0) Die("--kill-primary failed: " + f.kill_primary);
    return said;
  });
  std::fprintf(stderr, "downloading what is left and matching it ...\n");
  json tally = Tally(&b, f);
  const double ratio =
      (static_cast<double>(ha.bytes) / ha.seconds) / (static_cast<double>(single.bytes) / single.seconds);
  json out = tally;
  out["seconds_without_service"] = LongestGap(ha.accepted_at, ha.killed_at);
  out["longest_gap_without_kills_s"] = LongestGap(single.accepted_at, single.started_at);
  out["database_failover"] = json::parse(ha.failover, nullptr, false);
  out["throughput_ratio_to_single_rocksdb"] = ratio;
  out["ha"] = LoadJson(ha);
  out["single_rocksdb"] = LoadJson(single);
  out["killed"] = {"one broker of 3", "the PostgreSQL primary"};
  std::printf("%s\n", out.dump(2).c_str());
  return tally["lost"].get<int>() == 0 && tally["duplicated"].get<int>() == 0 ? 0 : 1;
}
