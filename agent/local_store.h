// LocalStore: the records a terminal keeps under its home folder
// (docs/agent.md): the outbox, the sent history, download evidence, the ids
// `inbox` has shown, and drafts. Each record is one file written atomically
// through ENV, so agent commands of one home may run at once. Borrows ENV,
// which must outlive it; one thread per LocalStore.
#ifndef TAYORI_AGENT_LOCAL_STORE_H_
#define TAYORI_AGENT_LOCAL_STORE_H_

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/env.h"
#include "common/status.h"
#include "tayori.pb.h"

namespace tayori::agent {

// Reading a record: a missing one is NotFound (reason "not_found", drafts
// "draft_not_found"); one that does not parse is DataLoss (reason
// "local_record_corrupt") naming its file.
class LocalStore {
 public:
  LocalStore(std::string home, Env* env) : home_(std::move(home)), env_(env) {}

  // Creates the record folders (mode 0700), as `init` does.
  Status CreateFolders();

  // outbox/<send id>.pb: sends begun but not accepted.
  Status PutOutbox(const pb::OutboxRecord& record);
  StatusOr<std::vector<pb::OutboxRecord>> ListOutbox() const;
  Status RemoveOutbox(const std::string& send_id);

  // sent/<message id>.pb: the history of accepted sends.
  Status PutSent(const pb::SentRecord& record);
  StatusOr<pb::SentRecord> GetSent(const std::string& message_id) const;
  // The accepted send with SEND_ID, if any (reads the whole history: for
  // recovery after a crash, not for every send).
  StatusOr<std::optional<pb::SentRecord>> FindSentBySendId(const std::string& send_id) const;
  // Every accepted send kept in the history.
  StatusOr<std::vector<pb::SentRecord>> ListSent() const;

  // received/<message id>.pb: evidence of verified downloads.
  Status PutReceived(const std::string& message_id, const pb::ReceivedRecord& record);
  StatusOr<pb::ReceivedRecord> GetReceived(const std::string& message_id) const;

  // seen.txt: ids `inbox` has shown, one a line.
  StatusOr<std::set<std::string>> Seen() const;
  // Adds the ids of IDS not seen yet (rewrites the file only if any).
  Status MarkSeen(const std::vector<std::string>& ids);

  // drafts/<id>.pb.
  Status PutDraft(const pb::Draft& draft);
  StatusOr<pb::Draft> GetDraft(const std::string& id) const;
  Status DeleteDraft(const std::string& id);
  StatusOr<std::vector<pb::Draft>> ListDrafts() const;  // oldest first

  const std::string& home() const { return home_; }

 private:
  std::string Path(const char* folder, const std::string& id) const;
  // Ids of the records in FOLDER (names "<id>.pb"; temp files left by a
  // crash are not records).
  std::vector<std::string> Ids(const char* folder) const;
  // The paths of those records, in the same order.
  std::vector<std::string> Paths(const char* folder) const;

  const std::string home_;
  Env* const env_;
};

// The manifest signed inside a stored record (WHAT names the record);
// DataLoss if it does not parse.
StatusOr<pb::Manifest> StoredManifest(const pb::SignedManifest& signed_manifest, const std::string& what);

// PATH made absolute against the working folder: stored records name the
// files they reference by absolute path.
std::string AbsolutePath(const std::string& path);

}  // namespace tayori::agent

#endif  // TAYORI_AGENT_LOCAL_STORE_H_
