// RocksDbMailboxStore: MailboxStore on RocksDB, one column family per record
// kind (schema/README.md). Chunks live in blob files. Owns the DB handle;
// thread-safe as RocksDB is.
#ifndef TAYORI_BROKER_ROCKSDB_MAILBOX_STORE_H_
#define TAYORI_BROKER_ROCKSDB_MAILBOX_STORE_H_

#include <rocksdb/db.h>

#include <memory>
#include <string>
#include <vector>

#include "broker/mailbox_store.h"

namespace tayori::broker {

class RocksDbMailboxStore : public MailboxStore {
 public:
  // Opens (creating if missing) the store in DIR.
  static StatusOr<std::unique_ptr<RocksDbMailboxStore>> Open(const std::string& dir);
  ~RocksDbMailboxStore() override;

  Status PutOffice(const pb::OfficeRecord& office, bool create_only) override;
  StatusOr<pb::OfficeRecord> GetOffice(const std::string& office) override;
  StatusOr<std::vector<pb::OfficeRecord>> ListOffices() override;
  Status Enrol(const pb::OfficeRecord& office) override;
  StatusOr<std::string> OfficeForCurveKey(const std::string& curve_pk) override;

  StatusOr<std::optional<pb::MessageRecord>> FindBySendId(const std::string& sender,
                                                          const std::string& send_id) override;
  Status BeginMessage(const pb::MessageRecord& record) override;
  StatusOr<pb::MessageRecord> GetMessage(const std::string& message_id) override;
  Status PutChunk(const std::string& message_id, uint32_t file, uint32_t chunk,
                  const std::string& data) override;
  StatusOr<std::string> GetChunk(const std::string& message_id, uint32_t file,
                                 uint32_t chunk) override;
  StatusOr<std::vector<uint64_t>> ListChunks(const std::string& message_id) override;
  Status CommitMessage(const pb::MessageRecord& record) override;
  Status MarkDownloaded(const pb::MessageRecord& record) override;
  StatusOr<std::vector<pb::MessageRecord>> ListInbox(const std::string& office,
                                                     const std::string& after_id,
                                                     size_t limit) override;
  StatusOr<std::vector<pb::MessageRecord>> ListSent(const std::string& office,
                                                    const std::string& after_id,
                                                    size_t limit) override;

 private:
  enum Cf { kDefault, kRegistry, kMessages, kChunks, kInbox, kSent, kDedup, kNumCf };
  RocksDbMailboxStore() = default;
  StatusOr<std::vector<pb::MessageRecord>> ListIndex(Cf cf, const std::string& office,
                                                     const std::string& after_id, size_t limit);
  Status Write(rocksdb::WriteBatch* batch, bool sync);

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> cf_;
};

}  // namespace tayori::broker

#endif  // TAYORI_BROKER_ROCKSDB_MAILBOX_STORE_H_
