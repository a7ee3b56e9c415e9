// Env's files and clocks on Linux (env.h): open, pread, write, fsync and
// rename, as POSIX has them.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/env.h"

namespace tayori {
namespace {

Status Errno(const std::string& what, const std::string& path) {
  return IoError(what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

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
    Status st = ReadTo(offset, n, out->data(), &got);
    out->resize(got);
    return st;
  }
  Status ReadTo(uint64_t offset, size_t n, char* dst, size_t* got) const override {
    *got = 0;
    while (*got < n) {
      const ssize_t r = ::pread(fd_, dst + *got, n - *got, static_cast<off_t>(offset + *got));
      if (r < 0) {
        if (errno == EINTR) continue;
        return Errno("cannot read", path_);
      }
      if (r == 0) break;
      *got += static_cast<size_t>(r);
    }
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

StatusOr<std::unique_ptr<RandomAccessFile>> SystemEnv::NewRandomAccessFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return FileErrno("cannot open", path);
  return std::unique_ptr<RandomAccessFile>(new PosixRandomAccessFile(path, fd));
}

StatusOr<std::unique_ptr<WritableFile>> SystemEnv::NewWritableFile(const std::string& path, int mode) {
  return OpenWritable(path, O_TRUNC, mode);
}

StatusOr<std::unique_ptr<WritableFile>> SystemEnv::NewAppendableFile(const std::string& path, int mode) {
  return OpenWritable(path, O_APPEND, mode);
}

Status SystemEnv::TruncateFile(const std::string& path, uint64_t size) {
  if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) return FileErrno("cannot truncate", path);
  return Status::Ok();
}

StatusOr<uint64_t> SystemEnv::GetFileSize(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return FileErrno("cannot stat", path);
  return static_cast<uint64_t>(st.st_size);
}

StatusOr<int64_t> SystemEnv::GetFileModificationNanos(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return FileErrno("cannot stat", path);
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

Status SystemEnv::RenameFile(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return FileErrno("cannot rename " + from + " onto", to);
  return Status::Ok();
}

Status SystemEnv::RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0) return FileErrno("cannot remove", path);
  return Status::Ok();
}

Status SystemEnv::RemoveDir(const std::string& dir) {
  if (::rmdir(dir.c_str()) != 0) return FileErrno("cannot remove directory", dir);
  return Status::Ok();
}

Status SystemEnv::SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return FileErrno("cannot open directory", dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Errno("fsync failed for", dir);
  return Status::Ok();
}

Status SystemEnv::CreateDirs(const std::string& dir, int mode) {
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

bool SystemEnv::FileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

bool SystemEnv::IsRegularFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::vector<std::string> SystemEnv::GetChildren(const std::string& dir) {
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

}  // namespace tayori
