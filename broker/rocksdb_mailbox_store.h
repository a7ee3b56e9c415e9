// RocksDbMailboxStore: MailboxStore on RocksDB, one column family per record
// kind (schema/README.md). Chunks live in blob files; large ones bypass the
// WAL (StoreOptions::unlogged_chunk_bytes). Owns the DB handle;
// thread-safe as RocksDB is.
#ifndef TAYORI_BROKER_ROCKSDB_MAILBOX_STORE_H_
#define TAYORI_BROKER_ROCKSDB_MAILBOX_STORE_H_

#include <rocksdb/db.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "broker/mailbox_store.h"
#include "common/env.h"

namespace tayori::broker {

struct StoreOptions {
  // The compaction filter drops chunks, records and index entries of any
  // message begun more than this long ago: a backstop behind the sweeper,
  // which normally deletes them much earlier. 0: no backstop.
  int64_t backstop_seconds = 0;
  Env* env = Env::Default();  // the backstop's clock
  // The files RocksDB writes go through this (nullptr: the default one).
  // Tests and fuzz targets pass an in-memory or fault-injecting one; the
  // store does not own it.
  rocksdb::Env* rocksdb_env = nullptr;
  // A chunk at least this long goes to the memtable only, not to the WAL,
  // and committing a message of at least this many bytes flushes the chunk
  // family before the commit's synced write: such chunks reach the disk
  // once, in a blob file, instead of twice (WAL, then blob file). A crash
  // before the flush loses them, and ListChunks no longer lists them, so the
  // agent uploads them again. Smaller chunks go through the WAL, so a small
  // send does not cost a flush. 0: every chunk goes through the WAL.
  size_t unlogged_chunk_bytes = 1 << 20;
};

class RocksDbMailboxStore : public MailboxStore {
 public:
  // Opens (creating if missing) the store in DIR.
  static StatusOr<std::unique_ptr<RocksDbMailboxStore>> Open(const std::string& dir, const StoreOptions& options = {});
  // True if RocksDB checksums what it stores with the CPU's CRC32
  // instruction (rocksdb_crc32c.h), false if with its own software one.
  bool hardware_crc32c() const { return hardware_crc32c_; }
  ~RocksDbMailboxStore() override;

  Status PutOffice(const pb::OfficeRecord& office, bool create_only) override;
  StatusOr<pb::OfficeRecord> GetOffice(const std::string& office) override;
  StatusOr<std::vector<pb::OfficeRecord>> ListOffices() override;
  Status Enrol(const pb::OfficeRecord& office, const std::string& curve_pk) override;
  Status RemoveTerminal(const pb::OfficeRecord& office, const std::string& curve_pk) override;
  StatusOr<std::string> OfficeForCurveKey(const std::string& curve_pk) override;

  StatusOr<std::optional<pb::MessageRecord>> FindBySendId(const std::string& sender,
                                                          const std::string& send_id) override;
  Status BeginMessage(const pb::MessageRecord& record) override;
  StatusOr<pb::MessageRecord> GetMessage(const std::string& message_id) override;
  Status PutMessage(const pb::MessageRecord& record) override;
  Status PutChunk(const std::string& message_id, uint32_t file, uint32_t chunk, const std::string& data) override;
  StatusOr<std::string> GetChunk(const std::string& message_id, uint32_t file, uint32_t chunk) override;
  StatusOr<std::vector<uint64_t>> ListChunks(const std::string& message_id) override;
  Status CommitMessage(const pb::MessageRecord& record, int64_t old_expire) override;
  Status MarkDownloaded(const pb::MessageRecord& record) override;
  StatusOr<std::vector<pb::MessageRecord>> DueForExpiry(int64_t now, size_t limit, std::string* cursor) override;
  Status ApplyExpiry(const std::vector<pb::MessageRecord>& expire, const std::vector<int64_t>& old_expires,
                     const std::vector<pb::MessageRecord>& purge, std::set<std::string>* left_alone = nullptr) override;
  Status ForEachMessage(const std::function<void(const pb::MessageRecord&)>& fn) override;
  Status Compact() override;
  Memory MemoryUsage() override;
  Status Checkpoint(const std::string& dir) override;
  Status PutNotice(const pb::Notice& notice) override;
  StatusOr<std::vector<pb::Notice>> ListNotices() override;
  StatusOr<std::vector<pb::MessageRecord>> ListInbox(const std::string& office, const std::string& after_id,
                                                     size_t limit) override;
  StatusOr<std::vector<pb::MessageRecord>> ListSent(const std::string& office, const std::string& after_id,
                                                    size_t limit) override;

 private:
  enum Cf { kDefault, kRegistry, kMessages, kChunks, kInbox, kSent, kDedup, kExpiry, kNotices, kNumCf };
  RocksDbMailboxStore() = default;
  StatusOr<std::vector<pb::MessageRecord>> ListIndex(Cf cf, const std::string& office, const std::string& after_id,
                                                     size_t limit);
  Status Write(rocksdb::WriteBatch* batch, bool sync);

  size_t unlogged_chunk_bytes_ = 0;
  bool hardware_crc32c_ = false;
  static constexpr uint64_t kFlushAllEvery = 64;
  std::atomic<uint64_t> unlogged_flushes_{0};

  std::vector<std::unique_ptr<rocksdb::CompactionFilter>> filters_;  // outlive db_
  std::shared_ptr<rocksdb::Cache> block_cache_;                      // shared by every family
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> cf_;
};

}  // namespace tayori::broker

#endif  // TAYORI_BROKER_ROCKSDB_MAILBOX_STORE_H_
