// Env: the clocks and the file system behind one interface (leveldb's Env,
// Envoy's TimeSource), so tests inject time instead of sleeping and fail an
// fsync, fill the disk or drop unsynced writes without killing processes.
//
// Every file operation that durability rests on (open, read, write, fsync,
// rename, list, remove) goes through an Env. Env::Default() is process-wide
// and thread-safe. Test Envs (FakeEnv here, FaultInjectionEnv in
// tests/support/fault_env.h) are owned by the test that creates them and
// must outlive everything they are passed to.
#ifndef TAYORI_COMMON_ENV_H_
#define TAYORI_COMMON_ENV_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tayori {

// A file open for writing, appending at its end. Not thread-safe. Data is
// durable only after Sync(); the destructor closes without syncing.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  virtual Status Sync() = 0;  // fsync: data and size reach the disk
  virtual Status Close() = 0;
  // Bytes in the file (what was there when opened, plus what was appended).
  virtual uint64_t Size() const = 0;
};

// A file open for reading at any offset. Thread-safe.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads N bytes at OFFSET into *OUT; fewer only at the end of the file.
  virtual Status Read(uint64_t offset, size_t n, std::string* out) const = 0;
  // The same into DST (room for N bytes), setting *GOT. The default goes
  // through Read and copies; a system's file reads straight into DST.
  virtual Status ReadTo(uint64_t offset, size_t n, char* dst, size_t* got) const;
};

class Env {
 public:
  virtual ~Env() = default;

  // ---- clocks
  // Wall-clock time in milliseconds since the Unix epoch (retention,
  // licences, ids).
  virtual int64_t NowMillis() = 0;
  int64_t NowSeconds() { return NowMillis() / 1000; }
  // A clock that never goes back, for timeouts of live connections.
  virtual int64_t MonotonicMillis() = 0;

  // ---- files. Failures are IoError with the path in the detail; a missing
  // file is NotFound (reason "not_found").
  virtual StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) = 0;
  // Creates PATH (MODE) or truncates it.
  virtual StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path, int mode) = 0;
  // Opens PATH (created with MODE if missing) to append after what it holds.
  virtual StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path, int mode) = 0;
  virtual Status TruncateFile(const std::string& path, uint64_t size) = 0;
  virtual StatusOr<uint64_t> GetFileSize(const std::string& path) = 0;
  // When PATH was last written (nanoseconds since the epoch, as the file
  // system keeps it): with the size, tells a file still being written.
  virtual StatusOr<int64_t> GetFileModificationNanos(const std::string& path) = 0;
  // Atomically replaces TO. Durable once the directory is synced.
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  // Removes an empty directory.
  virtual Status RemoveDir(const std::string& dir) = 0;
  // fsync of a directory: makes creations, renames and removals in it durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  // mkdir -p; IoError if DIR exists and is not a directory.
  virtual Status CreateDirs(const std::string& dir, int mode) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  virtual bool IsRegularFile(const std::string& path) = 0;
  // Names (not paths) of the entries of DIR, sorted; empty if DIR is missing.
  virtual std::vector<std::string> GetChildren(const std::string& dir) = 0;

  // ---- helpers on top of the above
  StatusOr<std::string> ReadFile(const std::string& path);
  // Writes a temporary file beside PATH (a name of its own per call), fsyncs
  // it, renames it over PATH, fsyncs the directory.
  Status WriteFileAtomic(const std::string& path, std::string_view data, int mode = 0644);

  static Env* Default();
};

// The operating system's files and clocks (port/env_posix.cc, or
// port/env_windows.cc with NTFS's FlushFileBuffers and write-through
// renames). Thread-safe.
class SystemEnv : public Env {
 public:
  int64_t NowMillis() override;
  int64_t MonotonicMillis() override;
  StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override;
  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path, int mode) override;
  StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path, int mode) override;
  Status TruncateFile(const std::string& path, uint64_t size) override;
  StatusOr<uint64_t> GetFileSize(const std::string& path) override;
  StatusOr<int64_t> GetFileModificationNanos(const std::string& path) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status RemoveFile(const std::string& path) override;
  Status RemoveDir(const std::string& dir) override;
  Status SyncDir(const std::string& dir) override;
  Status CreateDirs(const std::string& dir, int mode) override;
  bool FileExists(const std::string& path) override;
  bool IsRegularFile(const std::string& path) override;
  std::vector<std::string> GetChildren(const std::string& dir) override;
};

// Real files, and clocks that move only when told to: Advance() moves the
// wall clock (days of retention pass in a test), AdvanceMonotonic() the
// monotonic one (timeouts of live connections). Thread-safe.
class FakeEnv : public SystemEnv {
 public:
  explicit FakeEnv(int64_t start_millis) : now_(start_millis), mono_(0) {}
  int64_t NowMillis() override { return now_.load(); }
  int64_t MonotonicMillis() override { return mono_.load(); }
  void Advance(int64_t millis) { now_ += millis; }
  void Set(int64_t millis) { now_ = millis; }
  void AdvanceMonotonic(int64_t millis) { mono_ += millis; }

 private:
  std::atomic<int64_t> now_;
  std::atomic<int64_t> mono_;
};

// The user's state folder for tayori: $XDG_STATE_HOME/tayori, or
// ~/.local/state/tayori; %LOCALAPPDATA%\tayori on Windows. Only config
// loaders call this.
std::string DefaultStateDir();

// Env::Default() shorthands, for configuration files and tools that are
// not part of a durability path.
StatusOr<std::string> ReadFile(const std::string& path);
Status WriteFileAtomic(const std::string& path, const std::string& data, int mode = 0644);
Status FsyncDir(const std::string& dir);
Status MakeDirs(const std::string& dir, int mode = 0755);
bool FileExists(const std::string& path);
std::vector<std::string> ListDir(const std::string& dir);

// The folder part of PATH ("." if none). Paths are split at '/' (and, on
// Windows, '\' too).
std::string DirName(const std::string& path);
// "name.csv", "name (2).csv", ...: the first path in DIR that neither exists
// (through ENV) nor is in TAKEN. Files are never written over.
std::string UniquePath(Env* env, const std::string& dir, const std::string& name,
                       const std::set<std::string>& taken = {});
// The last part of PATH.
std::string BaseName(const std::string& path);

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
