// Env: the clock and the file system behind one interface, so tests can
// inject time instead of sleeping (leveldb's Env, Envoy's TimeSource).
//
// Env::Default() is process-wide and thread-safe. A FakeEnv is owned by the
// test that creates it and must outlive everything it is passed to.
#ifndef TAYORI_COMMON_ENV_H_
#define TAYORI_COMMON_ENV_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace tayori {

class Env {
 public:
  virtual ~Env() = default;
  // Wall-clock time in milliseconds since the Unix epoch.
  virtual int64_t NowMillis() = 0;
  int64_t NowSeconds() { return NowMillis() / 1000; }

  static Env* Default();
};

// A clock that moves only when told to. Thread-safe.
class FakeEnv : public Env {
 public:
  explicit FakeEnv(int64_t start_millis) : now_(start_millis) {}
  int64_t NowMillis() override { return now_.load(); }
  void Advance(int64_t millis) { now_ += millis; }
  void Set(int64_t millis) { now_ = millis; }

 private:
  std::atomic<int64_t> now_;
};

// The user's state folder for tayori: $XDG_STATE_HOME/tayori, or
// ~/.local/state/tayori. Only config loaders call this.
std::string DefaultStateDir();

// File helpers. All report failures as IoError with the path in the detail.
StatusOr<std::string> ReadFile(const std::string& path);
// Writes to PATH.tmp, fsyncs, renames over PATH, fsyncs the directory.
Status WriteFileAtomic(const std::string& path, const std::string& data, int mode = 0644);
Status FsyncDir(const std::string& dir);
Status MakeDirs(const std::string& dir, int mode = 0755);
bool FileExists(const std::string& path);
// Names (not paths) of the entries of DIR, sorted; empty if DIR is missing.
std::vector<std::string> ListDir(const std::string& dir);

// A duration as the config files write it: a whole number and a unit, d
// (days), h, m or s: "90d", "12h", "3s". Returns seconds.
StatusOr<int64_t> ParseDuration(const std::string& text);
std::string FormatDuration(int64_t seconds);

// "2026-11-21" for a Unix time, in Japan Standard Time (UTC+9, no DST).
std::string JstDate(int64_t unix_seconds);
// "2026-11-21 09:15" in JST.
std::string JstDateTime(int64_t unix_seconds);
// Parses "YYYY-MM-DD" as a date; returns days since the epoch.
StatusOr<int64_t> ParseDate(const std::string& text);
// Days since the epoch of the JST calendar day containing UNIX_SECONDS.
int64_t JstDay(int64_t unix_seconds);
std::string DayToDate(int64_t days);
// The last day of a one-year term starting on START_DAY (2026-11-21 ->
// 2027-11-20).
int64_t OneYearEnd(int64_t start_day);

}  // namespace tayori

#endif  // TAYORI_COMMON_ENV_H_
