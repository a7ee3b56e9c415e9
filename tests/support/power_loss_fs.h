// PowerLossFileSystem: a RocksDB FileSystem over the real one that knows
// what has been made durable, so a test can cut the power under a running
// broker's store (RocksDB's FaultInjectionTestFS, which Debian does not
// ship, does the same).
//
// Durable is: bytes of a file up to its last Sync/Fsync; a file's existence
// and a rename once its folder was fsynced after them. Cut() freezes that
// picture and makes every later write, rename and deletion do nothing, so
// the broker can be stopped without writing more; ApplyCut() then leaves on
// disk only what was durable at the cut: files truncated to their synced
// size, files created since their folder's last fsync deleted, renames not
// yet made durable undone. Then the store reopens as after a power cut.
// Thread-safe; tests only.
#ifndef TAYORI_TESTS_SUPPORT_POWER_LOSS_FS_H_
#define TAYORI_TESTS_SUPPORT_POWER_LOSS_FS_H_

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/status.h"

namespace tayori::testing {

class PowerLossFileSystem : public rocksdb::FileSystemWrapper {
 public:
  PowerLossFileSystem();
  const char* Name() const override { return "PowerLossFileSystem"; }

  // An Env for rocksdb::Options::env whose files go through this.
  rocksdb::Env* env() { return env_.get(); }

  // The power goes: from now on nothing more reaches the disk.
  void Cut();
  // Leaves on disk only what was durable at the cut (the store must be
  // closed). The file system works normally again afterwards.
  Status ApplyCut();
  // Files whose unsynced bytes the cut dropped (for a test to show it
  // dropped something).
  int dropped_files() const;

  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r, rocksdb::IODebugContext* d) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* d) override;
  rocksdb::IOStatus ReuseWritableFile(const std::string& f, const std::string& old, const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSWritableFile>* r, rocksdb::IODebugContext* d) override;
  rocksdb::IOStatus NewDirectory(const std::string& name, const rocksdb::IOOptions& o,
                                 std::unique_ptr<rocksdb::FSDirectory>* r, rocksdb::IODebugContext* d) override;
  rocksdb::IOStatus RenameFile(const std::string& src, const std::string& dst, const rocksdb::IOOptions& o,
                               rocksdb::IODebugContext* d) override;
  rocksdb::IOStatus DeleteFile(const std::string& f, const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override;
  rocksdb::IOStatus Truncate(const std::string& f, size_t size, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* d) override;

 private:
  class File;
  class Directory;
  friend class File;
  friend class Directory;

  struct FileState {
    uint64_t size = 0;        // bytes written
    uint64_t synced = 0;      // bytes made durable
    bool new_in_dir = false;  // created (or renamed here) since its folder's last fsync
  };
  struct Rename {
    std::optional<std::string> replaced;  // what the target held before, if anything
  };

  bool cut() const;
  void Appended(const std::string& path, uint64_t n);
  void Synced(const std::string& path);
  void DirSynced(const std::string& dir);

  std::unique_ptr<rocksdb::Env> env_;
  mutable std::mutex mu_;
  bool cut_ = false;                              // guarded by mu_
  std::map<std::string, FileState> files_;        // guarded by mu_
  std::map<std::string, Rename> renames_;         // by target; guarded by mu_
  std::map<std::string, FileState> at_cut_;       // guarded by mu_
  std::map<std::string, Rename> renames_at_cut_;  // guarded by mu_
  int dropped_ = 0;                               // guarded by mu_
};

}  // namespace tayori::testing

#endif  // TAYORI_TESTS_SUPPORT_POWER_LOSS_FS_H_
