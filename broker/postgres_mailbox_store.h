// PostgresMailboxStore: MailboxStore on PostgreSQL (libpq), for several
// stateless brokers sharing one highly available database (docs/scale.md).
// The tables are kSchema in postgres_mailbox_store.cc; records are the
// same protobuf bytes the RocksDB store keeps, with the columns the lists
// and the sweeper look them up by.
//
// Durability follows the server: a synced write of the interface is a
// plain COMMIT (with synchronous_commit on, and on a standby too when the
// server has synchronous standbys); a write the interface calls not synced
// commits with synchronous_commit off. Owns two connections: one for
// statements, used under a mutex (thread-safe, one statement at a time),
// and one that LISTENs for other brokers' events (the serving thread's).
// A broken connection is made again on the next call, so the broker
// recovers when the database does.
#ifndef TAYORI_BROKER_POSTGRES_MAILBOX_STORE_H_
#define TAYORI_BROKER_POSTGRES_MAILBOX_STORE_H_

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "broker/mailbox_store.h"

struct pg_conn;

namespace tayori::broker {

class PostgresMailboxStore : public MailboxStore {
 public:
  // The schema version this build writes. A database marked with a newer
  // one is refused (schema_too_new) rather than misread.
  static constexpr int kSchemaVersion = 1;

  // Connects with CONNINFO (a libpq connection string or URI, multi-host
  // allowed; target_session_attrs=read-write finds the primary) and creates
  // the tables if the database has none yet.
  static StatusOr<std::unique_ptr<PostgresMailboxStore>> Open(const std::string& conninfo);
  ~PostgresMailboxStore() override;

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
  // VACUUM of the chunk and message tables.
  Status Compact() override;
  // Not for a shared database: unimplemented, naming pg_basebackup.
  Status Checkpoint(const std::string& dir) override;

  Status PutNotice(const pb::Notice& notice) override;
  StatusOr<std::vector<pb::Notice>> ListNotices() override;

  // The sweep lock: pg_try_advisory_lock on this store's connection, held
  // as long as the connection lives (taken again after a reset).
  bool LeadsSweep() override;
  // pg_notify on channel tayori_events; every broker LISTENs on a
  // connection of its own.
  bool PublishEvents(const std::vector<std::pair<std::string, pb::Event>>& events) override;
  int EventFd() override;
  void TakeEvents(const std::function<void(const std::string& office, const pb::Event& event)>& fn) override;

  StatusOr<std::vector<pb::MessageRecord>> ListInbox(const std::string& office, const std::string& after_id,
                                                     size_t limit) override;
  StatusOr<std::vector<pb::MessageRecord>> ListSent(const std::string& office, const std::string& after_id,
                                                    size_t limit) override;

 private:
  class Result;
  struct Statement;
  explicit PostgresMailboxStore(std::string conninfo) : conninfo_(std::move(conninfo)) {}

  // Under mu_: a live connection (reset if it broke).
  Status Ready();
  Status CreateSchema();
  // Under mu_: runs SQL with PARAMS (all sent as binary, results binary).
  StatusOr<Result> Exec(const std::string& sql, const std::vector<std::optional<std::string>>& params = {});
  // Under mu_: runs every statement in one transaction; SYNCED false
  // commits with synchronous_commit off. ROWS, if given, gets the first
  // column of every row the statements answer with.
  Status Transaction(const std::vector<Statement>& statements, bool synced, std::vector<std::string>* rows = nullptr);
  StatusOr<std::vector<pb::MessageRecord>> Records(Result& r, int column);
  StatusOr<std::vector<pb::MessageRecord>> ListBy(const char* column, const std::string& office,
                                                  const std::string& after_id, size_t limit);

  // The LISTEN connection, (re)made and listening; -1 if it cannot be.
  int Listening();

  const std::string conninfo_;
  std::mutex mu_;
  pg_conn* conn_ = nullptr;    // guarded by mu_
  uint64_t resets_ = 0;        // guarded by mu_: connections made so far
  uint64_t lock_held_in_ = 0;  // guarded by mu_: the connection holding the sweep lock (0: none)
  std::mutex listen_mu_;
  pg_conn* listen_ = nullptr;                                  // guarded by listen_mu_
  std::chrono::steady_clock::time_point next_listen_attempt_;  // guarded by listen_mu_
};

}  // namespace tayori::broker

#endif  // TAYORI_BROKER_POSTGRES_MAILBOX_STORE_H_
