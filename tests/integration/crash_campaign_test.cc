// Crash campaign: the real broker and agents as processes, SIGKILLed at
// random points of bulk sends, downloads (with their acks) and retention
// sweeps, then restarted and the interrupted work finished as staff would
// (the same command again). At the end every accepted send must have
// arrived exactly once and byte-identical, nothing may have arrived that
// was not sent, and every send must read 済 with its receipt.
//
// The fast test run does a few kills; scripts/crash-campaign.sh does 100
// (TAYORI_CRASH_KILLS) with a seed of its choosing (TAYORI_CRASH_SEED).
// The kill points are random in time, so a run is repeatable in its choices
// and not in its timing; its result must not depend on either.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "tests/support/careplan_corpus.h"
#include "tests/support/cluster.h"

namespace tayori {
namespace {

using testing::Cluster;
using testing::Process;
using testing::RunResult;

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

class Campaign {
 public:
  explicit Campaign(uint32_t seed) : rng_(seed) {
    c_.StartBroker("0", "sweep_interval: 1s\n");
    c_.Office("a", "0123456789", "KJ000000000001");
    c_.SlowTransfers("a");
    for (size_t i = 0; i < kOffices.size(); ++i) {
      c_.Office(Recipient(i), kOffices[i], "KJ00000000010" + std::to_string(i));
      c_.SlowTransfers(Recipient(i));
    }
  }

  // One random piece of work, one kill in it, and the work finished.
  void Round() {
    const size_t op = Pick(0, 3);
    std::printf("round: %s\n", op < 2 ? "bulk send" : op == 2 ? "download" : "sweep");
    std::fflush(stdout);
    switch (op) {
      case 0:
      case 1:
        Bulk();
        break;
      case 2:
        Fetch(Pick(0, kOffices.size() - 1));
        break;
      default:
        Sweep();
        break;
    }
  }

  // Finishes everything and counts what broke.
  void Check(int kills) {
    if (!c_.broker_running()) c_.RestartBroker();
    for (size_t i = 0; i < kOffices.size(); ++i) FinishFetch(i);
    int sends = 0, lost = 0, duplicated = 0, damaged = 0;
    for (size_t i = 0; i < kOffices.size(); ++i) {
      const std::string dir = c_.Sub("dl-" + Recipient(i));
      std::set<std::string> seen;
      for (const std::string& name : ListDir(dir)) {
        if (name[0] == '.') {
          ++damaged;  // a partial download left visible
          ADD_FAILURE() << "partial file " << name;
          continue;
        }
        seen.insert(name);
      }
      for (const auto& [batch, files] : expected_[i]) {
        ++sends;
        bool arrived = true, intact = true;
        for (const auto& [name, content] : files) {
          auto got = ReadFile(dir + "/" + name);
          if (!got.ok()) {
            arrived = false;
          } else if (*got != content) {
            intact = false;
          }
          seen.erase(name);
        }
        lost += arrived ? 0 : 1;
        damaged += intact ? 0 : 1;
      }
      // What is left is a second copy ("name (2).CSV") or something never sent.
      duplicated += static_cast<int>(seen.size());
      for (const auto& name : seen) ADD_FAILURE() << Recipient(i) << " got " << name << " twice or unsent";
      // Each send once in the recipient's mailbox.
      const auto t0 = std::chrono::steady_clock::now();
      RunResult listed = c_.Agent(Recipient(i), {"inbox", "--json"});
      ASSERT_EQ(listed.exit_code, 0)
          << Recipient(i) << " inbox after "
          << std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - t0).count()
          << " s: " << listed.out << listed.err;
      auto inbox = nlohmann::json::parse(listed.out);
      const int extra = static_cast<int>(inbox["inbox"].size()) - static_cast<int>(expected_[i].size());
      if (extra > 0) duplicated += extra;
    }
    // Every send 済, with the recipient's receipt.
    RunResult listed = c_.Agent("a", {"sent", "--json"}, 300000);
    ASSERT_EQ(listed.exit_code, 0) << listed.out << listed.err;
    auto sent = nlohmann::json::parse(listed.out);
    int not_done = 0;
    for (const auto& e : sent["sent"]) {
      if (e["state"] != "downloaded" || !e["receipt"].get<bool>()) ++not_done;
    }
    std::printf("crash campaign: seed %u, kills %d, sends %d, lost %d, duplicated %d, damaged %d, not 済 %d\n", seed_,
                kills, sends, lost, duplicated, damaged, not_done);
    EXPECT_EQ(lost, 0);
    EXPECT_EQ(duplicated, 0);
    EXPECT_EQ(damaged, 0);
    EXPECT_EQ(not_done, 0);
    EXPECT_EQ(static_cast<int>(sent["sent"].size()), sends);
  }

  uint32_t seed_ = 0;

 private:
  const std::vector<std::string> kOffices = {"1299999999", "1300000000", "1400000000"};

  static std::string Recipient(size_t i) { return "r" + std::to_string(i); }
  size_t Pick(size_t lo, size_t hi) { return std::uniform_int_distribution<size_t>(lo, hi)(rng_); }

  // Waits a random moment, then kills PROC or the broker (with PROC left to
  // carry on against the restarted broker, as an agent does).
  void KillSomething(Process* proc, bool broker_only = false) {
    std::this_thread::sleep_for(std::chrono::milliseconds(Pick(0, 400)));
    if (broker_only || Pick(0, 1) == 0) {
      std::printf("  kill the broker\n");
      c_.KillBroker();
      c_.RestartBroker();
      if (proc != nullptr) proc->Finish(120000);
    } else {
      std::printf("  kill the agent\n");
      proc->Kill(SIGKILL);
      proc->Finish(10000);
    }
  }

  // Runs ARGS of HOME until it succeeds (as staff would, a few times).
  void Finish(const std::string& home, const std::vector<std::string>& args) {
    RunResult r;
    for (int attempt = 0; attempt < 3; ++attempt) {
      r = c_.Agent(home, args);
      if (r.exit_code == 0) return;
    }
    ADD_FAILURE() << home << " did not finish: " << r.out << r.err;
  }

  // A new export (a unit of actuals and a PDF for each office), sent in bulk.
  void Bulk() {
    ++batch_;
    const std::string dir = c_.Sub("export-" + std::to_string(batch_));
    ASSERT_TRUE(MakeDirs(dir).ok());
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "20261121%02d%02d%02d", batch_ / 3600 % 24, batch_ / 60 % 60, batch_ % 60);
    std::vector<std::string> args = {"bulk", dir, "--json"};
    for (size_t i = 0; i < kOffices.size(); ++i) {
      auto& files = expected_[i][batch_];
      for (const auto& f : testing::Corpus("0123456789", kOffices[i], stamp).Unit("actuals", true)) {
        ASSERT_TRUE(WriteFileAtomic(dir + "/" + f.name, f.content).ok());
        files[f.name] = f.content;
      }
      const std::string pdf = "b" + std::to_string(batch_) + "-" + kOffices[i] + ".pdf";
      const std::string content = "%PDF-1.7\n" + testing::RandomHex(Pick(20, 200) << 10);
      ASSERT_TRUE(WriteFileAtomic(c_.Sub(pdf), content).ok());
      files[pdf] = content;
      args.push_back("--attach");
      args.push_back(kOffices[i] + "=" + c_.Sub(pdf));
    }
    auto proc = c_.StartAgent("a", args);
    KillSomething(proc.get());
    Finish("a", args);
  }

  void FinishFetch(size_t i) {
    Finish(Recipient(i), {"fetch", "--all", "--dest", c_.Sub("dl-" + Recipient(i)), "--json"});
  }

  void Fetch(size_t i) {
    auto proc = c_.StartAgent(Recipient(i), {"fetch", "--all", "--dest", c_.Sub("dl-" + Recipient(i)), "--json"});
    KillSomething(proc.get());
    FinishFetch(i);
  }

  void Sweep() {
    auto proc = c_.StartAdmin({"sweep"});
    KillSomething(proc.get(), /*broker_only=*/true);
  }

  Cluster c_;
  std::mt19937 rng_;
  int batch_ = 0;
  // recipient index -> batch -> file name -> content
  std::map<size_t, std::map<int, std::map<std::string, std::string>>> expected_;
};

TEST(CrashCampaignTest, EveryAcceptedSendArrivesOnceThroughKills) {
  const int kills = EnvInt("TAYORI_CRASH_KILLS", 4);
  const uint32_t seed = static_cast<uint32_t>(EnvInt("TAYORI_CRASH_SEED", 1));
  Campaign campaign(seed);
  campaign.seed_ = seed;
  for (int k = 0; k < kills && !HasFatalFailure(); ++k) campaign.Round();
  campaign.Check(kills);
}

}  // namespace
}  // namespace tayori
