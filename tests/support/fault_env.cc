#include "tests/support/fault_env.h"

namespace tayori::testing {

class FaultInjectionEnv::File : public WritableFile {
 public:
  File(FaultInjectionEnv* env, std::string path, std::unique_ptr<WritableFile> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}
  Status Append(std::string_view data) override {
    RETURN_IF_ERROR(env_->CheckSpace(data.size()));
    return base_->Append(data);
  }
  Status Sync() override {
    RETURN_IF_ERROR(env_->SyncFault("fsync failed for " + path_));
    RETURN_IF_ERROR(base_->Sync());
    env_->Synced(path_, base_->Size());
    return Status::Ok();
  }
  Status Close() override { return base_->Close(); }
  uint64_t Size() const override { return base_->Size(); }

 private:
  FaultInjectionEnv* const env_;
  const std::string path_;
  std::unique_ptr<WritableFile> base_;
};

void FaultInjectionEnv::FailSyncs(bool fail) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_syncs_ = fail;
}

void FaultInjectionEnv::SetSpaceLeft(int64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  space_left_ = bytes;
}

int64_t FaultInjectionEnv::sync_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sync_count_;
}

Status FaultInjectionEnv::CheckSpace(size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  if (space_left_ < 0) return Status::Ok();
  if (static_cast<int64_t>(n) > space_left_) {
    space_left_ = 0;
    return IoError("cannot write: No space left on device");
  }
  space_left_ -= static_cast<int64_t>(n);
  return Status::Ok();
}

Status FaultInjectionEnv::SyncFault(const std::string& what) {
  std::lock_guard<std::mutex> lock(mu_);
  if (fail_syncs_) return IoError(what + ": Input/output error");
  ++sync_count_;
  return Status::Ok();
}

void FaultInjectionEnv::Synced(const std::string& path, uint64_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  files_[path].synced = size;
}

Status FaultInjectionEnv::Track(const std::string& path, bool created, uint64_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(path);
  if (it == files_.end()) {
    FileState state;
    state.synced = size;  // what was there before this Env wrote to it
    state.new_in_dir = created;
    files_[path] = state;
  } else if (created) {
    it->second.synced = 0;
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritableFile(const std::string& path, int mode) {
  const bool existed = base_->FileExists(path);
  ASSIGN_OR_RETURN(auto file, base_->NewWritableFile(path, mode));
  RETURN_IF_ERROR(Track(path, !existed, 0));
  if (existed) {
    std::lock_guard<std::mutex> lock(mu_);
    files_[path].synced = 0;  // truncated: nothing of it is durable yet
  }
  return std::unique_ptr<WritableFile>(new File(this, path, std::move(file)));
}

StatusOr<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewAppendableFile(const std::string& path, int mode) {
  const bool existed = base_->FileExists(path);
  ASSIGN_OR_RETURN(auto file, base_->NewAppendableFile(path, mode));
  RETURN_IF_ERROR(Track(path, !existed, file->Size()));
  return std::unique_ptr<WritableFile>(new File(this, path, std::move(file)));
}

Status FaultInjectionEnv::TruncateFile(const std::string& path, uint64_t size) {
  RETURN_IF_ERROR(base_->TruncateFile(path, size));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(path);
  if (it != files_.end() && it->second.synced > size) it->second.synced = size;
  return Status::Ok();
}

void FaultInjectionEnv::FailRenamesOf(const std::string& suffix) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_renames_of_ = suffix;
}

Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string& suffix = fail_renames_of_;
    if (!suffix.empty() && from.size() >= suffix.size() &&
        from.compare(from.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return IoError("rename " + from + ": injected failure");
    }
  }
  Replaced replaced;
  if (base_->FileExists(to)) {
    ASSIGN_OR_RETURN(std::string old, base_->ReadFile(to));
    replaced.old_content = std::move(old);
  }
  RETURN_IF_ERROR(base_->RenameFile(from, to));
  std::lock_guard<std::mutex> lock(mu_);
  if (!renamed_.count(to)) renamed_[to] = std::move(replaced);
  auto it = files_.find(from);
  if (it != files_.end()) {
    files_[to] = it->second;
    files_.erase(from);
  }
  return Status::Ok();
}

Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  RETURN_IF_ERROR(base_->RemoveFile(path));
  std::lock_guard<std::mutex> lock(mu_);
  files_.erase(path);
  renamed_.erase(path);
  return Status::Ok();
}

Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  RETURN_IF_ERROR(SyncFault("fsync failed for " + dir));
  RETURN_IF_ERROR(base_->SyncDir(dir));
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [path, state] : files_) {
    if (DirName(path) == dir) state.new_in_dir = false;
  }
  for (auto it = renamed_.begin(); it != renamed_.end();) {
    it = DirName(it->first) == dir ? renamed_.erase(it) : std::next(it);
  }
  return Status::Ok();
}

Status FaultInjectionEnv::DropUnsyncedData() {
  std::lock_guard<std::mutex> lock(mu_);
  // Renames whose folder was never synced: what they replaced comes back.
  for (const auto& [path, replaced] : renamed_) {
    files_.erase(path);
    if (replaced.old_content) {
      RETURN_IF_ERROR(base_->WriteFileAtomic(path, *replaced.old_content, 0600));
    } else if (base_->FileExists(path)) {
      RETURN_IF_ERROR(base_->RemoveFile(path));
    }
  }
  renamed_.clear();
  for (const auto& [path, state] : files_) {
    if (!base_->FileExists(path)) continue;
    if (state.new_in_dir) {
      RETURN_IF_ERROR(base_->RemoveFile(path));
    } else {
      RETURN_IF_ERROR(base_->TruncateFile(path, state.synced));
    }
  }
  files_.clear();
  return Status::Ok();
}

// A file open for reading that counts what is read from it.
class FaultInjectionEnv::CountedFile : public RandomAccessFile {
 public:
  CountedFile(FaultInjectionEnv* env, std::string path, std::unique_ptr<RandomAccessFile> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}
  Status Read(uint64_t offset, size_t n, std::string* out) const override {
    Status st = base_->Read(offset, n, out);
    if (st.ok()) {
      std::lock_guard<std::mutex> l(env_->mu_);
      env_->read_[path_] += out->size();
    }
    return st;
  }

 private:
  FaultInjectionEnv* const env_;
  const std::string path_;
  const std::unique_ptr<RandomAccessFile> base_;
};

StatusOr<std::unique_ptr<RandomAccessFile>> FaultInjectionEnv::NewRandomAccessFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> base, base_->NewRandomAccessFile(path));
  return std::unique_ptr<RandomAccessFile>(std::make_unique<CountedFile>(this, path, std::move(base)));
}

uint64_t FaultInjectionEnv::bytes_read(const std::string& path) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = read_.find(path);
  return it == read_.end() ? 0 : it->second;
}

}  // namespace tayori::testing
