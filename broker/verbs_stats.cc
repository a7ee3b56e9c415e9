// Verbs: statistics, maintenance and backup for the operator (see
// broker/verbs.h).
#include <filesystem>
#include <map>

#include "broker/log.h"
#include "broker/sweeper.h"
#include "broker/verbs.h"

namespace tayori::broker {
namespace {

// Bytes under the data folder (the store, keys, info file).
uint64_t DiskBytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

void AddPending(pb::MailboxStats* b, const pb::MessageRecord& r) {
  b->set_office(r.recipient_office());
  b->set_pending_messages(b->pending_messages() + 1);
  b->set_pending_bytes(b->pending_bytes() + r.cipher_bytes());
  if (b->oldest_pending_unix() == 0 || r.accepted_unix() < b->oldest_pending_unix()) {
    b->set_oldest_pending_unix(r.accepted_unix());
  }
}

}  // namespace

Status HandleStats(ServerContext& ctx, const Call&, pb::Response* out, std::string*) {
  pb::StatsResponse* s = out->mutable_stats();
  std::map<std::string, pb::MailboxStats> boxes;
  RETURN_IF_ERROR(ctx.store->ForEachMessage([&](const pb::MessageRecord& r) {
    switch (r.state()) {
      case pb::DELIVERED:
        AddPending(&boxes[r.recipient_office()], r);
        break;
      case pb::DOWNLOADED:
        s->set_downloaded_messages(s->downloaded_messages() + 1);
        break;
      case pb::EXPIRED:
        s->set_expired_messages(s->expired_messages() + 1);
        break;
      case pb::UPLOADING:
        s->set_uploading_messages(s->uploading_messages() + 1);
        break;
      default:
        break;
    }
  }));
  for (auto& [office, b] : boxes) {
    b.set_name(ctx.OfficeName(office));
    s->set_pending_messages(s->pending_messages() + b.pending_messages());
    s->set_pending_bytes(s->pending_bytes() + b.pending_bytes());
    if (s->oldest_pending_unix() == 0 || b.oldest_pending_unix() < s->oldest_pending_unix()) {
      s->set_oldest_pending_unix(b.oldest_pending_unix());
    }
    *s->add_mailboxes() = b;
  }
  s->set_disk_bytes(DiskBytes(ctx.options.data_dir));
  s->set_retention_seconds(ctx.options.retention_seconds);
  return Status::Ok();
}

Status HandleMaintenance(ServerContext& ctx, const Call& call, pb::Response* out, std::string*) {
  const pb::MaintenanceRequest& r = call.request.maintenance();
  pb::MaintenanceResponse* m = out->mutable_maintenance();
  if (r.sweep()) {
    ASSIGN_OR_RETURN(SweepCounts swept, call.sweeper->SweepAll());
    m->set_expired(swept.expired);
    m->set_purged(swept.purged);
  }
  if (r.compact()) RETURN_IF_ERROR(ctx.store->Compact());
  m->set_disk_bytes(DiskBytes(ctx.options.data_dir));
  return Status::Ok();
}

// The backup is built under DIR.partial and renamed to DIR when complete,
// so DIR exists only as a whole backup.
Status HandleBackup(ServerContext& ctx, const Call& call, pb::Response* out, std::string*) {
  const std::string& dir = call.request.backup().dir();
  if (dir.empty() || dir.front() != '/' || dir.back() == '/' || dir.find('\0') != std::string::npos ||
      dir.size() > 4096) {
    return InvalidArgument("usage", "backup needs an absolute folder path, without a trailing /");
  }
  Env* env = ctx.options.env;
  const std::string partial = dir + ".partial";
  if (env->FileExists(dir)) return Status(Code::kAlreadyExists, "usage", dir + " exists: name a new folder");
  if (env->FileExists(partial)) {
    return Status(Code::kAlreadyExists, "usage", partial + " is left from a failed backup: remove it, then retry");
  }
  const std::string parent = dir.substr(0, dir.rfind('/'));
  if (!parent.empty() && !env->FileExists(parent)) {
    return InvalidArgument("usage", "no folder " + parent + " on the broker's machine");
  }
  RETURN_IF_ERROR(env->CreateDirs(partial, 0700));
  RETURN_IF_ERROR(ctx.store->Checkpoint(partial + "/store"));
  for (const char* key : {"server.key", "admin.key"}) {
    ASSIGN_OR_RETURN(std::string bytes, env->ReadFile(ctx.options.data_dir + "/" + key));
    RETURN_IF_ERROR(env->WriteFileAtomic(partial + "/" + key, bytes, 0600));
  }
  const std::string info =
      "tayori backup\ncreated_unix: " + std::to_string(ctx.Now()) + "\nfrom_data_dir: " + ctx.options.data_dir + "\n";
  RETURN_IF_ERROR(env->WriteFileAtomic(partial + "/backup.info", info, 0600));
  RETURN_IF_ERROR(env->SyncDir(partial));
  RETURN_IF_ERROR(env->RenameFile(partial, dir));
  RETURN_IF_ERROR(env->SyncDir(parent.empty() ? "/" : parent));
  const uint64_t bytes = DiskBytes(dir);
  Log("info", "backup_taken", {{"dir", dir}, {"bytes", bytes}});
  out->mutable_backup()->set_dir(dir);
  out->mutable_backup()->set_bytes(bytes);
  return Status::Ok();
}

}  // namespace tayori::broker
