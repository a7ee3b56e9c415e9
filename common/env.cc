#include "common/env.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/port/port.h"

namespace tayori {
namespace {

constexpr int64_t kJstOffsetSeconds = 9 * 3600;

// Howard Hinnant's civil-from-days / days-from-civil.
void CivilFromDays(int64_t z, int* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int>(yy + (*m <= 2));
}

int64_t DaysFromCivil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

std::string DefaultStateDir() { return port::UserStateBase() + "/tayori"; }

// ------------------------------------------------------------------ helpers

// The clocks are the same on every system (std::chrono); the files are in
// port/env_posix.cc and port/env_windows.cc.
int64_t SystemEnv::NowMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t SystemEnv::MonotonicMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

Status RandomAccessFile::ReadTo(uint64_t offset, size_t n, char* dst, size_t* got) const {
  *got = 0;
  std::string buf;
  RETURN_IF_ERROR(Read(offset, n, &buf));
  *got = std::min(buf.size(), n);
  std::memcpy(dst, buf.data(), *got);
  return Status::Ok();
}

Env* Env::Default() {
  static SystemEnv env;
  return &env;
}

StatusOr<std::string> Env::ReadFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, NewRandomAccessFile(path));
  // The first read asks for the size the file has, plus one byte to see
  // whether it grew meanwhile; blocks follow while it goes on. A small file
  // costs a small buffer.
  constexpr size_t kBlock = 1 << 20;
  std::string out;
  size_t want = kBlock;
  if (auto size = GetFileSize(path); size.ok()) {
    out.reserve(*size);
    want = static_cast<size_t>(std::min<uint64_t>(*size, kBlock)) + 1;
  }
  while (true) {
    std::string block;
    RETURN_IF_ERROR(file->Read(out.size(), want, &block));
    out += block;
    if (block.size() < want) break;
    want = kBlock;
  }
  return out;
}

Status Env::WriteFileAtomic(const std::string& path, std::string_view data, int mode) {
  // A name of its own per write: two threads or processes writing PATH at
  // once each rename a whole file, never one the other is still writing.
  static std::atomic<uint64_t> writes{0};
  const std::string tmp =
      path + ".tmp-" + std::to_string(port::ProcessId()) + "-" + std::to_string(writes.fetch_add(1));
  ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, NewWritableFile(tmp, mode));
  Status st = file->Append(data);
  if (st.ok()) st = file->Sync();
  if (st.ok()) st = file->Close();
  if (!st.ok()) {
    (void)RemoveFile(tmp);  // best effort: the original stays as it was
    return st;
  }
  RETURN_IF_ERROR(RenameFile(tmp, path));
  return SyncDir(DirName(path));
}

std::string DirName(const std::string& path) {
  size_t slash = path.size();
  while (slash > 0 && !port::IsPathSeparator(path[slash - 1])) --slash;
  if (slash == 0) return ".";
  return slash == 1 ? path.substr(0, 1) : path.substr(0, slash - 1);
}

std::string UniquePath(Env* env, const std::string& dir, const std::string& name, const std::set<std::string>& taken) {
  std::string path = dir + "/" + name;
  const size_t dot = name.find_last_of('.');
  const std::string stem = dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
  const std::string ext = dot == std::string::npos || dot == 0 ? "" : name.substr(dot);
  for (int n = 2; env->FileExists(path) || taken.count(path); ++n) {
    path = dir + "/" + stem + " (" + std::to_string(n) + ")" + ext;
  }
  return path;
}

std::string BaseName(const std::string& path) {
  size_t slash = path.size();
  while (slash > 0 && !port::IsPathSeparator(path[slash - 1])) --slash;
  return path.substr(slash);
}

StatusOr<std::string> ReadFile(const std::string& path) { return Env::Default()->ReadFile(path); }
Status WriteFileAtomic(const std::string& path, const std::string& data, int mode) {
  return Env::Default()->WriteFileAtomic(path, data, mode);
}
Status FsyncDir(const std::string& dir) { return Env::Default()->SyncDir(dir); }
Status MakeDirs(const std::string& dir, int mode) { return Env::Default()->CreateDirs(dir, mode); }
bool FileExists(const std::string& path) { return Env::Default()->FileExists(path); }
std::vector<std::string> ListDir(const std::string& dir) { return Env::Default()->GetChildren(dir); }

StatusOr<int64_t> ParseDuration(const std::string& text) {
  auto bad = [&] {
    return InvalidArgument("config_invalid",
                           "a duration is a number and d, h, m or s (90d, 12h, 3s), got '" + text + "'");
  };
  if (text.size() < 2 || text.size() > 12) return bad();
  const char unit = text.back();
  const std::string digits = text.substr(0, text.size() - 1);
  if (digits.find_first_not_of("0123456789") != std::string::npos) return bad();
  const int64_t n = std::stoll(digits);
  switch (unit) {
    case 'd':
      return n * 86400;
    case 'h':
      return n * 3600;
    case 'm':
      return n * 60;
    case 's':
      return n;
  }
  return bad();
}

std::string FormatDuration(int64_t s) {
  if (s % 86400 == 0) return std::to_string(s / 86400) + "d";
  if (s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

int64_t JstDay(int64_t unix_seconds) {
  int64_t s = unix_seconds + kJstOffsetSeconds;
  return (s >= 0 ? s : s - 86399) / 86400;
}

std::string DayToDate(int64_t days) {
  int y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[32];  // room for any int year
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", y, m, d);
  return buf;
}

int64_t OneYearEnd(int64_t start_day) {
  int y;
  unsigned m, d;
  CivilFromDays(start_day, &y, &m, &d);
  if (m == 2 && d == 29) d = 28;
  return DaysFromCivil(y + 1, m, d) - 1;
}

std::string JstDate(int64_t unix_seconds) { return DayToDate(JstDay(unix_seconds)); }

std::string JstDateTime(int64_t unix_seconds) {
  int64_t s = unix_seconds + kJstOffsetSeconds;
  int64_t sod = ((s % 86400) + 86400) % 86400;
  char buf[16];
  std::snprintf(buf, sizeof buf, " %02d:%02d", static_cast<int>(sod / 3600), static_cast<int>(sod % 3600 / 60));
  return JstDate(unix_seconds) + buf;
}

StatusOr<int64_t> ParseDate(const std::string& text) {
  int y = 0;
  unsigned m = 0, d = 0;
  char tail = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' ||
      std::sscanf(text.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 || d > 31) {
    return InvalidArgument("bad_date", "expected a date as YYYY-MM-DD, got '" + text + "'");
  }
  int64_t days = DaysFromCivil(y, m, d);
  if (DayToDate(days) != text) {
    return InvalidArgument("bad_date", "no such calendar date: '" + text + "'");
  }
  return days;
}

}  // namespace tayori
