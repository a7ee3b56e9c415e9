#include "agent/local_store.h"

#include "common/ids.h"
#include "common/port/port.h"

namespace tayori::agent {
namespace {

constexpr int kFolderMode = 0700;
constexpr int kRecordMode = 0600;
constexpr size_t kIdLength = 26;

Status Corrupt(const std::string& path) {
  return Status(Code::kDataLoss, "local_record_corrupt", "corrupt local record " + path + ": it does not parse");
}

template <typename M>
StatusOr<M> ReadRecord(Env* env, const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, env->ReadFile(path));
  M m;
  if (!m.ParseFromString(bytes)) return Corrupt(path);
  return m;
}

// The records at PATHS, listed a moment before. One removed since (a send
// accepted or a draft deleted meanwhile, on another thread) is left out:
// a listing must not fail for what another request just finished.
template <typename M>
StatusOr<std::vector<M>> ReadListed(Env* env, const std::vector<std::string>& paths) {
  std::vector<M> out;
  for (const std::string& path : paths) {
    auto record = ReadRecord<M>(env, path);
    if (!record.ok() && record.status().code() == Code::kNotFound) continue;
    if (!record.ok()) return record.status();
    out.push_back(std::move(record).value());
  }
  return out;
}

}  // namespace

std::vector<std::string> LocalStore::Paths(const char* folder) const {
  std::vector<std::string> paths;
  for (const std::string& id : Ids(folder)) paths.push_back(Path(folder, id));
  return paths;
}

std::string LocalStore::Path(const char* folder, const std::string& id) const {
  return home_ + "/" + folder + "/" + id + ".pb";
}

std::vector<std::string> LocalStore::Ids(const char* folder) const {
  std::vector<std::string> ids;
  for (const std::string& name : env_->GetChildren(home_ + "/" + folder)) {
    if (name.size() == kIdLength + 3 && name.compare(kIdLength, 3, ".pb") == 0) {
      ids.push_back(name.substr(0, kIdLength));
    }
  }
  return ids;
}

Status LocalStore::CreateFolders() {
  for (const char* sub : {"/outbox", "/sent", "/received"}) {
    RETURN_IF_ERROR(env_->CreateDirs(home_ + sub, kFolderMode));
  }
  return Status::Ok();
}

// ------------------------------------------------------------------ outbox

Status LocalStore::PutOutbox(const pb::OutboxRecord& record) {
  return env_->WriteFileAtomic(Path("outbox", record.send_id()), record.SerializeAsString(), kRecordMode);
}

StatusOr<std::vector<pb::OutboxRecord>> LocalStore::ListOutbox() const {
  return ReadListed<pb::OutboxRecord>(env_, Paths("outbox"));
}

Status LocalStore::RemoveOutbox(const std::string& send_id) { return env_->RemoveFile(Path("outbox", send_id)); }

// ------------------------------------------------------------------ sent, received

Status LocalStore::PutSent(const pb::SentRecord& record) {
  return env_->WriteFileAtomic(Path("sent", record.message_id()), record.SerializeAsString(), kRecordMode);
}

StatusOr<pb::SentRecord> LocalStore::GetSent(const std::string& message_id) const {
  return ReadRecord<pb::SentRecord>(env_, Path("sent", message_id));
}

StatusOr<std::optional<pb::SentRecord>> LocalStore::FindSentBySendId(const std::string& send_id) const {
  ASSIGN_OR_RETURN(std::vector<pb::SentRecord> sent, ListSent());
  for (pb::SentRecord& record : sent) {
    if (record.send_id() == send_id) return std::optional<pb::SentRecord>(std::move(record));
  }
  return std::optional<pb::SentRecord>();
}

StatusOr<std::vector<pb::SentRecord>> LocalStore::ListSent() const {
  return ReadListed<pb::SentRecord>(env_, Paths("sent"));
}

Status LocalStore::PutReceived(const std::string& message_id, const pb::ReceivedRecord& record) {
  return env_->WriteFileAtomic(Path("received", message_id), record.SerializeAsString(), kRecordMode);
}

StatusOr<pb::ReceivedRecord> LocalStore::GetReceived(const std::string& message_id) const {
  return ReadRecord<pb::ReceivedRecord>(env_, Path("received", message_id));
}

// ------------------------------------------------------------------ seen

StatusOr<std::set<std::string>> LocalStore::Seen() const {
  std::set<std::string> seen;
  const std::string path = home_ + "/seen.txt";
  auto text = env_->ReadFile(path);
  if (!text.ok()) {
    if (text.status().code() == Code::kNotFound) return seen;
    return text.status();
  }
  size_t pos = 0;
  while (pos < text->size()) {
    const size_t end = text->find('\n', pos);
    if (end == std::string::npos || !IsId(text->substr(pos, end - pos))) {
      return Status(Code::kDataLoss, "local_record_corrupt", "corrupt " + path + ": a line is not a message id");
    }
    seen.insert(text->substr(pos, end - pos));
    pos = end + 1;
  }
  return seen;
}

Status LocalStore::MarkSeen(const std::vector<std::string>& ids) {
  ASSIGN_OR_RETURN(std::set<std::string> seen, Seen());
  std::string text;
  for (const std::string& id : seen) text += id + "\n";
  bool changed = false;
  for (const std::string& id : ids) {
    if (seen.insert(id).second) {
      text += id + "\n";
      changed = true;
    }
  }
  if (!changed) return Status::Ok();
  return env_->WriteFileAtomic(home_ + "/seen.txt", text, kRecordMode);
}

// ------------------------------------------------------------------ drafts

Status LocalStore::PutDraft(const pb::Draft& draft) {
  RETURN_IF_ERROR(env_->CreateDirs(home_ + "/drafts", kFolderMode));
  return env_->WriteFileAtomic(Path("drafts", draft.id()), draft.SerializeAsString(), kRecordMode);
}

StatusOr<pb::Draft> LocalStore::GetDraft(const std::string& id) const {
  if (!IsId(id)) return NotFound("draft_not_found", "'" + id + "' is not a draft id");
  auto draft = ReadRecord<pb::Draft>(env_, Path("drafts", id));
  if (!draft.ok() && draft.status().code() == Code::kNotFound) return NotFound("draft_not_found", "no draft " + id);
  return draft;
}

Status LocalStore::DeleteDraft(const std::string& id) {
  RETURN_IF_ERROR(GetDraft(id).status());
  RETURN_IF_ERROR(env_->RemoveFile(Path("drafts", id)));
  return env_->SyncDir(home_ + "/drafts");
}

StatusOr<std::vector<pb::Draft>> LocalStore::ListDrafts() const { return ReadListed<pb::Draft>(env_, Paths("drafts")); }

// ------------------------------------------------------------------ helpers

StatusOr<pb::Manifest> StoredManifest(const pb::SignedManifest& signed_manifest, const std::string& what) {
  pb::Manifest m;
  if (!m.ParseFromString(signed_manifest.manifest())) {
    return Status(Code::kDataLoss, "local_record_corrupt", "the manifest in " + what + " does not parse");
  }
  return m;
}

std::string AbsolutePath(const std::string& path) { return port::AbsolutePath(path); }

}  // namespace tayori::agent
