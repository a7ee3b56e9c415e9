// FaultInjectionEnv: an Env over another (normally the real file system)
// that fails on demand, so tests show what a failed fsync, a full disk or a
// power cut does without killing processes (leveldb's
// FaultInjectionTestEnv).
//
// Power loss: DropUnsyncedData() truncates every file written through this
// Env to what its last Sync() made durable, deletes files created since
// their folder was last synced, and puts back what a rename replaced when
// the folder was not synced after it. Owned by the test; thread-safe; must
// outlive what it is passed to.
#ifndef TAYORI_TESTS_SUPPORT_FAULT_ENV_H_
#define TAYORI_TESTS_SUPPORT_FAULT_ENV_H_

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/env.h"

namespace tayori::testing {

class FaultInjectionEnv : public Env {
 public:
  explicit FaultInjectionEnv(Env* base) : base_(base) {}

  // ---- faults
  // Sync() of files and SyncDir() fail with an I/O error while set.
  void FailSyncs(bool fail);
  // Appends fail with "No space left on device" once BYTES more have been
  // written (-1: no limit).
  void SetSpaceLeft(int64_t bytes);
  // Renames of a path ending in SUFFIX fail with an I/O error while set
  // ("" for none): a program stopped between two renames.
  void FailRenamesOf(const std::string& suffix);
  // Simulates a power cut (see above).
  Status DropUnsyncedData();
  int64_t sync_count() const;
  // Bytes read so far from PATH through files this Env opened.
  uint64_t bytes_read(const std::string& path) const;

  // ---- Env
  int64_t NowMillis() override { return base_->NowMillis(); }
  int64_t MonotonicMillis() override { return base_->MonotonicMillis(); }
  StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override;
  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path, int mode) override;
  StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path, int mode) override;
  Status TruncateFile(const std::string& path, uint64_t size) override;
  StatusOr<uint64_t> GetFileSize(const std::string& path) override { return base_->GetFileSize(path); }
  StatusOr<int64_t> GetFileModificationNanos(const std::string& path) override {
    return base_->GetFileModificationNanos(path);
  }
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status RemoveFile(const std::string& path) override;
  Status RemoveDir(const std::string& dir) override { return base_->RemoveDir(dir); }
  Status SyncDir(const std::string& dir) override;
  Status CreateDirs(const std::string& dir, int mode) override { return base_->CreateDirs(dir, mode); }
  bool FileExists(const std::string& path) override { return base_->FileExists(path); }
  bool IsRegularFile(const std::string& path) override { return base_->IsRegularFile(path); }
  std::vector<std::string> GetChildren(const std::string& dir) override { return base_->GetChildren(dir); }

 private:
  class File;
  friend class File;
  class CountedFile;
  friend class CountedFile;
  struct FileState {
    uint64_t synced = 0;      // bytes made durable by Sync()
    bool new_in_dir = false;  // created, and its folder not synced since
  };
  struct Replaced {
    std::optional<std::string> old_content;  // what the rename replaced (none: nothing)
  };
  Status Track(const std::string& path, bool created, uint64_t size);
  Status CheckSpace(size_t n);
  Status SyncFault(const std::string& what);
  void Synced(const std::string& path, uint64_t size);

  Env* const base_;
  mutable std::mutex mu_;
  bool fail_syncs_ = false;                  // guarded by mu_
  int64_t space_left_ = -1;                  // guarded by mu_
  std::string fail_renames_of_;              // guarded by mu_
  int64_t sync_count_ = 0;                   // guarded by mu_
  std::map<std::string, FileState> files_;   // guarded by mu_
  std::map<std::string, Replaced> renamed_;  // by target path; guarded by mu_
  std::map<std::string, uint64_t> read_;     // bytes read, by path; guarded by mu_
};

}  // namespace tayori::testing

#endif  // TAYORI_TESTS_SUPPORT_FAULT_ENV_H_
