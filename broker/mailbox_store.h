// MailboxStore: the broker's durable state — the office registry, messages
// and their chunks, and the per-office inbox, sent and dedup indexes.
//
// The store knows nothing of authorisation or cryptography: the Server checks
// those and then calls here. Readers only ever see messages whose commit has
// been written with sync (see schema/README.md for the record layout).
// Implementations are thread-safe.
#ifndef TAYORI_BROKER_MAILBOX_STORE_H_
#define TAYORI_BROKER_MAILBOX_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "tayori.pb.h"

namespace tayori::broker {

class MailboxStore {
 public:
  virtual ~MailboxStore() = default;

  // ---- registry
  // already_exists if CREATE_ONLY and the office is registered.
  virtual Status PutOffice(const pb::OfficeRecord& office, bool create_only) = 0;
  virtual StatusOr<pb::OfficeRecord> GetOffice(const std::string& office) = 0;
  virtual StatusOr<std::vector<pb::OfficeRecord>> ListOffices() = 0;
  // Records an enrolment: the office record (with its terminals) and the
  // CURVE key index entry of CURVE_PK. Synced.
  virtual Status Enrol(const pb::OfficeRecord& office, const std::string& curve_pk) = 0;
  // Records the removal of a terminal: the office record (without it) and
  // the deletion of CURVE_PK's index entry. Synced.
  virtual Status RemoveTerminal(const pb::OfficeRecord& office, const std::string& curve_pk) = 0;
  // The office a CURVE public key (32 bytes) was enrolled for, or NotFound.
  virtual StatusOr<std::string> OfficeForCurveKey(const std::string& curve_pk) = 0;

  // ---- messages
  virtual StatusOr<std::optional<pb::MessageRecord>> FindBySendId(const std::string& sender,
                                                                  const std::string& send_id) = 0;
  // Stores a new UPLOADING record, its dedup entry and its expiry entry
  // (record.expire_unix: when an abandoned upload is purged).
  virtual Status BeginMessage(const pb::MessageRecord& record) = 0;
  virtual StatusOr<pb::MessageRecord> GetMessage(const std::string& message_id) = 0;
  // Rewrites a record whose indexes do not change (e.g. a download lease).
  // Not synced: losing it in a crash is harmless.
  virtual Status PutMessage(const pb::MessageRecord& record) = 0;
  virtual Status PutChunk(const std::string& message_id, uint32_t file, uint32_t chunk, const std::string& data) = 0;
  virtual StatusOr<std::string> GetChunk(const std::string& message_id, uint32_t file, uint32_t chunk) = 0;
  // Chunks stored for a message, as (file << 32 | chunk), ascending.
  virtual StatusOr<std::vector<uint64_t>> ListChunks(const std::string& message_id) = 0;
  // Makes RECORD (state DELIVERED), begun with BeginMessage, visible in both
  // mailboxes and moves its expiry entry from OLD_EXPIRE to
  // record.expire_unix, in one synced batch. On a store several brokers
  // share, an upload removed or committed through another broker meanwhile
  // is left as it is: unavailable (the agent's retry finds out which). There
  // a chunk acknowledged before a failover may also be gone (chunks are
  // written without waiting for the standby): such an upload is left as it
  // is too, upload_incomplete (the agent uploads what is missing).
  virtual Status CommitMessage(const pb::MessageRecord& record, int64_t old_expire) = 0;
  // Deletes the payload and stores RECORD (state DOWNLOADED) in one synced
  // write batch.
  virtual Status MarkDownloaded(const pb::MessageRecord& record) = 0;
  // Messages whose expiry entry is at or before NOW, soonest first, at most
  // LIMIT, starting at *CURSOR (empty: the beginning) and leaving it after
  // the last one returned. A sweep that keeps its cursor does not wade
  // through the tombstones of the entries it already handled.
  virtual StatusOr<std::vector<pb::MessageRecord>> DueForExpiry(int64_t now, size_t limit, std::string* cursor) = 0;
  // In one batch (not synced: what a crash loses, the sweeper redoes): for
  // each of EXPIRE (state EXPIRED, new expire_unix)
  // delete the payload and move its expiry entry from OLD_EXPIRES[i]; delete
  // every trace of each of PURGE. On a store several brokers share, a
  // message another broker changed since DueForExpiry read it (its expiry
  // is no longer OLD_EXPIRES[i], or for PURGE its record's) is left as that
  // broker wrote it, and its id added to *LEFT_ALONE if given; a store of
  // one broker's own applies every message.
  virtual Status ApplyExpiry(const std::vector<pb::MessageRecord>& expire, const std::vector<int64_t>& old_expires,
                             const std::vector<pb::MessageRecord>& purge,
                             std::set<std::string>* left_alone = nullptr) = 0;
  // Calls FN for every message record (statistics; start-up counts).
  virtual Status ForEachMessage(const std::function<void(const pb::MessageRecord&)>& fn) = 0;
  // Compacts everything, so deleted payloads give their space back.
  virtual Status Compact() = 0;
  // A consistent copy of the whole store in DIR (which must not exist),
  // taken while writes go on: everything committed before the call is in
  // it. Hard links where DIR is on the same file system, copies otherwise.
  virtual Status Checkpoint(const std::string& dir) = 0;

  // What the store holds in this process's memory (the broker's metrics):
  // zeros for a store whose data lives in another process.
  struct Memory {
    uint64_t memtables = 0;      // writes not yet flushed to files
    uint64_t block_cache = 0;    // blocks read from files, kept for reuse
    uint64_t table_readers = 0;  // indexes and filters of open files
  };
  virtual Memory MemoryUsage() { return {}; }

  // ---- notices
  virtual Status PutNotice(const pb::Notice& notice) = 0;
  virtual StatusOr<std::vector<pb::Notice>> ListNotices() = 0;

  // ---- several brokers on one store (defaults: a store of one broker's own)
  // Whether this broker runs retention now. A shared store lets one broker
  // at a time (PostgreSQL: a session advisory lock, taken over when its
  // holder goes).
  virtual bool LeadsSweep() { return true; }
  // Publishes EVENTS (each for its office) to every broker on the store,
  // this one included (they get them through TakeEvents). False if the
  // store has no such channel: the caller delivers them to its own
  // connections.
  virtual bool PublishEvents(const std::vector<std::pair<std::string, pb::Event>>& /*events*/) { return false; }
  // A file descriptor that becomes readable when published events arrive
  // (-1: none); TakeEvents then calls FN for each. Serving thread only.
  virtual int EventFd() { return -1; }
  virtual void TakeEvents(const std::function<void(const std::string& office, const pb::Event& event)>& /*fn*/) {}

  // Committed messages of an office, oldest first, after AFTER_ID.
  virtual StatusOr<std::vector<pb::MessageRecord>> ListInbox(const std::string& office, const std::string& after_id,
                                                             size_t limit) = 0;
  virtual StatusOr<std::vector<pb::MessageRecord>> ListSent(const std::string& office, const std::string& after_id,
                                                            size_t limit) = 0;
};

}  // namespace tayori::broker

#endif  // TAYORI_BROKER_MAILBOX_STORE_H_
