// Verbs: statistics and maintenance for the operator (see broker/verbs.h).
#include <filesystem>
#include <map>

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

}  // namespace tayori::broker
