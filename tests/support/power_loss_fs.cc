#include "tests/support/power_loss_fs.h"

#include <unistd.h>

#include <cerrno>

#include "common/env.h"

namespace tayori::testing {

using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

// A file written through the wrapper: counts what is written and synced;
// after the cut, accepts everything and keeps nothing.
class PowerLossFileSystem::File : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  File(PowerLossFileSystem* fs, std::string path, std::unique_ptr<rocksdb::FSWritableFile> target)
      : FSWritableFileOwnerWrapper(std::move(target)), fs_(fs), path_(std::move(path)) {}

  IOStatus Append(const Slice& data, const IOOptions& o, IODebugContext* d) override {
    if (fs_->cut()) return IOStatus::OK();
    IOStatus s = FSWritableFileOwnerWrapper::Append(data, o, d);
    if (s.ok()) fs_->Appended(path_, data.size());
    return s;
  }
  IOStatus Append(const Slice& data, const IOOptions& o, const rocksdb::DataVerificationInfo& v,
                  IODebugContext* d) override {
    if (fs_->cut()) return IOStatus::OK();
    IOStatus s = FSWritableFileOwnerWrapper::Append(data, o, v, d);
    if (s.ok()) fs_->Appended(path_, data.size());
    return s;
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& o, IODebugContext* d) override {
    if (fs_->cut()) return IOStatus::OK();
    IOStatus s = FSWritableFileOwnerWrapper::PositionedAppend(data, offset, o, d);
    if (s.ok()) fs_->Appended(path_, data.size());
    return s;
  }
  IOStatus Truncate(uint64_t size, const IOOptions& o, IODebugContext* d) override {
    return fs_->cut() ? IOStatus::OK() : FSWritableFileOwnerWrapper::Truncate(size, o, d);
  }
  IOStatus Flush(const IOOptions& o, IODebugContext* d) override {
    return fs_->cut() ? IOStatus::OK() : FSWritableFileOwnerWrapper::Flush(o, d);
  }
  IOStatus Sync(const IOOptions& o, IODebugContext* d) override {
    if (fs_->cut()) return IOStatus::OK();
    IOStatus s = FSWritableFileOwnerWrapper::Sync(o, d);
    if (s.ok()) fs_->Synced(path_);
    return s;
  }
  IOStatus Fsync(const IOOptions& o, IODebugContext* d) override {
    if (fs_->cut()) return IOStatus::OK();
    IOStatus s = FSWritableFileOwnerWrapper::Fsync(o, d);
    if (s.ok()) fs_->Synced(path_);
    return s;
  }
  IOStatus RangeSync(uint64_t, uint64_t, const IOOptions&, IODebugContext*) override {
    return IOStatus::OK();  // starts writeback; promises nothing
  }
  IOStatus Close(const IOOptions& o, IODebugContext* d) override {
    return fs_->cut() ? IOStatus::OK() : FSWritableFileOwnerWrapper::Close(o, d);
  }

 private:
  PowerLossFileSystem* const fs_;
  const std::string path_;
};

// A folder: its fsync makes the files created and renamed in it durable.
class PowerLossFileSystem::Directory : public rocksdb::FSDirectoryWrapper {
 public:
  Directory(PowerLossFileSystem* fs, std::string path, std::unique_ptr<rocksdb::FSDirectory> target)
      : FSDirectoryWrapper(std::move(target)), fs_(fs), path_(std::move(path)) {}
  IOStatus Fsync(const IOOptions& o, IODebugContext* d) override {
    if (fs_->cut()) return IOStatus::OK();
    IOStatus s = FSDirectoryWrapper::Fsync(o, d);
    if (s.ok()) fs_->DirSynced(path_);
    return s;
  }
  IOStatus FsyncWithDirOptions(const IOOptions& o, IODebugContext* d, const rocksdb::DirFsyncOptions& opts) override {
    if (fs_->cut()) return IOStatus::OK();
    IOStatus s = FSDirectoryWrapper::FsyncWithDirOptions(o, d, opts);
    if (s.ok()) fs_->DirSynced(path_);
    return s;
  }

 private:
  PowerLossFileSystem* const fs_;
  const std::string path_;
};

namespace {

// What a new file after the cut is: accepted, kept nowhere.
class NowhereFile : public rocksdb::FSWritableFile {
 public:
  IOStatus Append(const Slice&, const IOOptions&, IODebugContext*) override { return IOStatus::OK(); }
  IOStatus Close(const IOOptions&, IODebugContext*) override { return IOStatus::OK(); }
  IOStatus Flush(const IOOptions&, IODebugContext*) override { return IOStatus::OK(); }
  IOStatus Sync(const IOOptions&, IODebugContext*) override { return IOStatus::OK(); }
};

}  // namespace

PowerLossFileSystem::PowerLossFileSystem() : FileSystemWrapper(rocksdb::FileSystem::Default()) {
  // The Env borrows this file system; the test owns both.
  env_ = rocksdb::NewCompositeEnv(std::shared_ptr<rocksdb::FileSystem>(this, [](rocksdb::FileSystem*) {}));
}

bool PowerLossFileSystem::cut() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cut_;
}

void PowerLossFileSystem::Appended(const std::string& path, uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  files_[path].size += n;
}

void PowerLossFileSystem::Synced(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  FileState& f = files_[path];
  f.synced = f.size;
}

void PowerLossFileSystem::DirSynced(const std::string& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [path, f] : files_) {
    if (DirName(path) == dir) f.new_in_dir = false;
  }
  for (auto it = renames_.begin(); it != renames_.end();) {
    it = DirName(it->first) == dir ? renames_.erase(it) : std::next(it);
  }
}

IOStatus PowerLossFileSystem::NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                              std::unique_ptr<rocksdb::FSWritableFile>* r, IODebugContext* d) {
  if (cut()) {
    r->reset(new NowhereFile);
    return IOStatus::OK();
  }
  std::unique_ptr<rocksdb::FSWritableFile> inner;
  IOStatus s = target()->NewWritableFile(f, o, &inner, d);
  if (!s.ok()) return s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    files_[f] = FileState{0, 0, true};
  }
  r->reset(new File(this, f, std::move(inner)));
  return s;
}

IOStatus PowerLossFileSystem::ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                                 std::unique_ptr<rocksdb::FSWritableFile>* r, IODebugContext* d) {
  if (cut()) {
    r->reset(new NowhereFile);
    return IOStatus::OK();
  }
  std::unique_ptr<rocksdb::FSWritableFile> inner;
  IOStatus s = target()->ReopenWritableFile(f, o, &inner, d);
  if (!s.ok()) return s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!files_.count(f)) {
      // Written before this file system saw it: durable as it stands.
      uint64_t size = 0;
      (void)target()->GetFileSize(f, IOOptions(), &size, d);
      files_[f] = FileState{size, size, false};
    }
  }
  r->reset(new File(this, f, std::move(inner)));
  return s;
}

IOStatus PowerLossFileSystem::ReuseWritableFile(const std::string& f, const std::string& old,
                                                const rocksdb::FileOptions& o,
                                                std::unique_ptr<rocksdb::FSWritableFile>* r, IODebugContext* d) {
  IOStatus s = RenameFile(old, f, IOOptions(), d);
  if (!s.ok()) return s;
  return NewWritableFile(f, o, r, d);
}

IOStatus PowerLossFileSystem::NewDirectory(const std::string& name, const IOOptions& o,
                                           std::unique_ptr<rocksdb::FSDirectory>* r, IODebugContext* d) {
  std::unique_ptr<rocksdb::FSDirectory> inner;
  IOStatus s = target()->NewDirectory(name, o, &inner, d);
  if (!s.ok()) return s;
  std::string dir = name;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  r->reset(new Directory(this, dir, std::move(inner)));
  return s;
}

IOStatus PowerLossFileSystem::RenameFile(const std::string& src, const std::string& dst, const IOOptions& o,
                                         IODebugContext* d) {
  if (cut()) return IOStatus::OK();
  Rename rename;
  bool exists = target()->FileExists(dst, o, d).ok();
  if (exists) {
    std::string old;
    if (!rocksdb::ReadFileToString(target(), dst, &old).ok()) return IOStatus::IOError("read " + dst);
    rename.replaced = std::move(old);
  }
  IOStatus s = target()->RenameFile(src, dst, o, d);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  if (!renames_.count(dst)) renames_[dst] = std::move(rename);
  FileState moved = files_.count(src) ? files_[src] : FileState{};
  if (!files_.count(src)) {
    uint64_t size = 0;
    (void)target()->GetFileSize(dst, o, &size, d);
    moved = FileState{size, size, false};
  }
  files_.erase(src);
  files_[dst] = moved;
  return s;
}

IOStatus PowerLossFileSystem::DeleteFile(const std::string& f, const IOOptions& o, IODebugContext* d) {
  if (cut()) return IOStatus::OK();
  IOStatus s = target()->DeleteFile(f, o, d);
  if (s.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    files_.erase(f);
    renames_.erase(f);
  }
  return s;
}

IOStatus PowerLossFileSystem::Truncate(const std::string& f, size_t size, const IOOptions& o, IODebugContext* d) {
  if (cut()) return IOStatus::OK();
  IOStatus s = target()->Truncate(f, size, o, d);
  if (s.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = files_.find(f);
    if (it != files_.end()) {
      it->second.size = size;
      it->second.synced = std::min<uint64_t>(it->second.synced, size);
    }
  }
  return s;
}

void PowerLossFileSystem::Cut() {
  std::lock_guard<std::mutex> lock(mu_);
  cut_ = true;
  at_cut_ = files_;
  renames_at_cut_ = renames_;
}

Status PowerLossFileSystem::ApplyCut() {
  std::lock_guard<std::mutex> lock(mu_);
  dropped_ = 0;
  // Renames not made durable: the target holds what it held before.
  for (const auto& [path, rename] : renames_at_cut_) {
    if (rename.replaced) {
      RETURN_IF_ERROR(WriteFileAtomic(path, *rename.replaced));
    } else {
      (void)::unlink(path.c_str());
    }
    at_cut_.erase(path);
    ++dropped_;
  }
  for (const auto& [path, f] : at_cut_) {
    if (f.new_in_dir) {
      if (::unlink(path.c_str()) == 0) ++dropped_;
    } else if (f.synced < f.size) {
      // A file deleted while the power went (a race with Cut) is gone anyway.
      if (::truncate(path.c_str(), static_cast<off_t>(f.synced)) != 0 && errno != ENOENT) {
        return IoError("truncate " + path);
      }
      ++dropped_;
    }
  }
  files_.clear();
  renames_.clear();
  cut_ = false;
  return Status::Ok();
}

int PowerLossFileSystem::dropped_files() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

}  // namespace tayori::testing
