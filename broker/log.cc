#include "broker/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace tayori::broker {
namespace {

int Rank(const std::string& level) {
  if (level == "debug") return 0;
  if (level == "info") return 1;
  if (level == "warn") return 2;
  if (level == "error") return 3;
  return -1;
}

std::atomic<int> g_min_rank{1};

}  // namespace

bool SetLogLevel(const std::string& level, bool apply) {
  const int rank = Rank(level);
  if (rank < 0) return false;
  if (apply) g_min_rank = rank;
  return true;
}

void Log(const std::string& level, const std::string& event, nlohmann::json fields) {
  if (Rank(level) < g_min_rank.load(std::memory_order_relaxed)) return;
  static std::mutex mu;
  using namespace std::chrono;
  const auto now = system_clock::now();
  const std::time_t t = system_clock::to_time_t(now);
  const int ms = static_cast<int>(duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char ts[64];
  std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  nlohmann::json line = {{"ts", ts}, {"level", level}, {"event", event}};
  if (fields.is_object()) line.update(fields);
  const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::lock_guard<std::mutex> lock(mu);
  std::fprintf(stderr, "%s\n", text.c_str());
  std::fflush(stderr);
}

}  // namespace tayori::broker
