#include "common/env.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace tayori {
namespace {

Status Errno(const std::string& what, const std::string& path) {
  return IoError(what + " " + path + ": " + std::strerror(errno));
}

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

std::string DefaultStateDir() {
  const char* xdg = std::getenv("XDG_STATE_HOME");
  if (xdg != nullptr && *xdg == '/') return std::string(xdg) + "/tayori";
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.local/state/tayori";
}

// ------------------------------------------------------------------ POSIX files

namespace {

Status FileErrno(const std::string& what, const std::string& path) {
  if (errno == ENOENT) return NotFound("not_found", what + " " + path + ": " + std::strerror(errno));
  return Errno(what, path);
}

class PosixWritableFile : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd, uint64_t size) : path_(std::move(path)), fd_(fd), size_(size) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Append(std::string_view data) override {
    size_t off = 0;
    while (off < data.size()) {
      const ssize_t n = ::write(fd_, data.data() + off, data.size() - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Errno("cannot write", path_);
      }
      off += static_cast<size_t>(n);
    }
    size_ += data.size();
    return Status::Ok();
  }
  Status Sync() override {
    if (::fsync(fd_) != 0) return Errno("fsync failed for", path_);
    return Status::Ok();
  }
  Status Close() override {
    if (fd_ < 0) return Status::Ok();
    const int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) return Errno("cannot close", path_);
    return Status::Ok();
  }
  uint64_t Size() const override { return size_; }

 private:
  const std::string path_;
  int fd_;
  uint64_t size_;
};

class PosixRandomAccessFile : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }
  Status Read(uint64_t offset, size_t n, std::string* out) const override {
    out->resize(n);
    size_t got = 0;
    while (got < n) {
      const ssize_t r = ::pread(fd_, out->data() + got, n - got, static_cast<off_t>(offset + got));
      if (r < 0) {
        if (errno == EINTR) continue;
        return Errno("cannot read", path_);
      }
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    out->resize(got);
    return Status::Ok();
  }

 private:
  const std::string path_;
  const int fd_;
};

StatusOr<std::unique_ptr<WritableFile>> OpenWritable(const std::string& path, int flags, int mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | flags, mode);
  if (fd < 0) return FileErrno("cannot create", path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Status s = Errno("cannot stat", path);
    ::close(fd);
    return s;
  }
  return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd, static_cast<uint64_t>(st.st_size)));
}

}  // namespace

int64_t PosixEnv::NowMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t PosixEnv::MonotonicMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

StatusOr<std::unique_ptr<RandomAccessFile>> PosixEnv::NewRandomAccessFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return FileErrno("cannot open", path);
  return std::unique_ptr<RandomAccessFile>(new PosixRandomAccessFile(path, fd));
}

StatusOr<std::unique_ptr<WritableFile>> PosixEnv::NewWritableFile(const std::string& path, int mode) {
  return OpenWritable(path, O_TRUNC, mode);
}

StatusOr<std::unique_ptr<WritableFile>> PosixEnv::NewAppendableFile(const std::string& path, int mode) {
  return OpenWritable(path, O_APPEND, mode);
}

Status PosixEnv::TruncateFile(const std::string& path, uint64_t size) {
  if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) return FileErrno("cannot truncate", path);
  return Status::Ok();
}

StatusOr<uint64_t> PosixEnv::GetFileSize(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return FileErrno("cannot stat", path);
  return static_cast<uint64_t>(st.st_size);
}

StatusOr<int64_t> PosixEnv::GetFileModificationNanos(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return FileErrno("cannot stat", path);
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

Status PosixEnv::RenameFile(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return FileErrno("cannot rename " + from + " onto", to);
  return Status::Ok();
}

Status PosixEnv::RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0) return FileErrno("cannot remove", path);
  return Status::Ok();
}

Status PosixEnv::RemoveDir(const std::string& dir) {
  if (::rmdir(dir.c_str()) != 0) return FileErrno("cannot remove directory", dir);
  return Status::Ok();
}

Status PosixEnv::SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return FileErrno("cannot open directory", dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Errno("fsync failed for", dir);
  return Status::Ok();
}

Status PosixEnv::CreateDirs(const std::string& dir, int mode) {
  if (dir.empty()) return Status::Ok();
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    partial = dir.substr(0, pos);
    if (partial.empty()) continue;
    if (::mkdir(partial.c_str(), mode) != 0 && errno != EEXIST) {
      return Errno("cannot create directory", partial);
    }
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return IoError("not a directory: " + dir);
  }
  return Status::Ok();
}

bool PosixEnv::FileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

bool PosixEnv::IsRegularFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::vector<std::string> PosixEnv::GetChildren(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return names;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

// ------------------------------------------------------------------ helpers

Env* Env::Default() {
  static PosixEnv env;
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
  const std::string tmp = path + ".tmp-" + std::to_string(getpid()) + "-" + std::to_string(writes.fetch_add(1));
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
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
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
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
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
