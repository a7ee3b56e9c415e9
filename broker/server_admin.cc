// Server: operator verbs (registry, licences, notices, statistics,
// maintenance) and retention. See server.h.
#include <filesystem>
#include <map>

#include "broker/log.h"
#include "broker/server.h"
#include "common/ids.h"

namespace tayori::broker {

// ------------------------------------------------------------------ registry and licences

Status Server::OfficeAdd(const pb::OfficeAddRequest& r, pb::Response* out) {
  RETURN_IF_ERROR(CheckOfficeNumber(r.office()));
  if (r.name().empty() || r.name().size() > 400) {
    return InvalidArgument("usage", "an office needs a name (at most 400 bytes)");
  }
  pb::OfficeRecord rec;
  rec.set_office(r.office());
  rec.set_name(r.name());
  rec.set_registered_unix(Now());
  if (r.licence_until().empty()) {
    rec.set_licence_until_day(OneYearEnd(JstDay(Now())));
  } else {
    ASSIGN_OR_RETURN(int64_t day, ParseDate(r.licence_until()));
    rec.set_licence_until_day(day);
  }
  RETURN_IF_ERROR(store_->PutOffice(rec, true));
  Log("info", "office_added", {{"office", rec.office()}, {"licence_until", DayToDate(rec.licence_until_day())}});
  FillOfficeInfo(rec, false, out->mutable_office());
  return Status::Ok();
}

Status Server::LicenceRenew(const pb::LicenceRenewRequest& r, pb::Response* out) {
  RETURN_IF_ERROR(CheckOfficeNumber(r.office()));
  ASSIGN_OR_RETURN(pb::OfficeRecord rec, store_->GetOffice(r.office()));
  if (r.until().empty()) {
    // One year from the application date, or from the day after the
    // current licence ends if that is later: renewing early loses nothing.
    const int64_t start = std::max(JstDay(Now()), rec.licence_until_day() + 1);
    rec.set_licence_until_day(OneYearEnd(start));
  } else {
    ASSIGN_OR_RETURN(int64_t day, ParseDate(r.until()));
    rec.set_licence_until_day(day);
  }
  RETURN_IF_ERROR(store_->PutOffice(rec, false));
  Log("info", "licence_renewed", {{"office", rec.office()}, {"licence_until", DayToDate(rec.licence_until_day())}});
  FillOfficeInfo(rec, false, out->mutable_office());
  return Status::Ok();
}

Status Server::LicenceExpire(const pb::LicenceExpireRequest& r, pb::Response* out) {
  RETURN_IF_ERROR(CheckOfficeNumber(r.office()));
  ASSIGN_OR_RETURN(pb::OfficeRecord rec, store_->GetOffice(r.office()));
  rec.set_licence_until_day(std::min(rec.licence_until_day(), JstDay(Now()) - 1));
  RETURN_IF_ERROR(store_->PutOffice(rec, false));
  Log("info", "licence_expired", {{"office", rec.office()}});
  FillOfficeInfo(rec, false, out->mutable_office());
  return Status::Ok();
}

Status Server::OfficeList(pb::Response* out) {
  ASSIGN_OR_RETURN(auto offices, store_->ListOffices());
  pb::OfficeListResponse* list = out->mutable_office_list();
  for (const auto& rec : offices) FillOfficeInfo(rec, false, list->add_offices());
  return Status::Ok();
}

// ------------------------------------------------------------------ notices

Status Server::NoticePost(const pb::NoticePostRequest& r, pb::Response* out) {
  if (r.title().empty() || r.title().size() > 400 || r.body().size() > 8000) {
    return InvalidArgument("usage", "a notice needs a title (at most 400 bytes) and a body of at most 8000");
  }
  const std::string kind = r.kind().empty() ? "info" : r.kind();
  if (kind != "info" && kind != "maintenance") {
    return InvalidArgument("usage", "notice kind is info or maintenance, got '" + kind + "'");
  }
  pb::Notice n;
  n.set_id(NewId(options_.env->NowMillis()));
  n.set_title(r.title());
  n.set_body(r.body());
  n.set_kind(kind);
  n.set_posted_unix(Now());
  if (!r.until().empty()) {
    ASSIGN_OR_RETURN(int64_t day, ParseDate(r.until()));
    n.set_until_unix((day + 1) * 86400 - 9 * 3600 - 1);  // end of that day, JST
  }
  RETURN_IF_ERROR(store_->PutNotice(n));
  Log("info", "notice_posted", {{"id", n.id()}, {"kind", kind}});
  *out->mutable_notice() = n;
  return Status::Ok();
}

Status Server::NoticeWithdraw(const pb::NoticeWithdrawRequest& r, pb::Response* out) {
  ASSIGN_OR_RETURN(auto notices, store_->ListNotices());
  for (pb::Notice& n : notices) {
    if (n.id() != r.id()) continue;
    n.set_withdrawn(true);
    RETURN_IF_ERROR(store_->PutNotice(n));
    Log("info", "notice_withdrawn", {{"id", n.id()}});
    *out->mutable_notice() = n;
    return Status::Ok();
  }
  return NotFound("usage", "no notice " + r.id() + " (see `tayori-admin notice list`)");
}

// ------------------------------------------------------------------ statistics

uint64_t Server::DiskBytes() const {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(options_.data_dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

Status Server::CountPending() {
  int64_t messages = 0, bytes = 0;
  RETURN_IF_ERROR(store_->ForEachMessage([&](const pb::MessageRecord& r) {
    if (r.state() == pb::DELIVERED) ++messages, bytes += static_cast<int64_t>(r.cipher_bytes());
  }));
  metrics_.SetPending(messages, bytes);
  return Status::Ok();
}

Status Server::Stats(pb::Response* out) {
  pb::StatsResponse* s = out->mutable_stats();
  std::map<std::string, pb::MailboxStats> boxes;
  RETURN_IF_ERROR(store_->ForEachMessage([&](const pb::MessageRecord& r) {
    switch (r.state()) {
      case pb::DELIVERED: {
        pb::MailboxStats& b = boxes[r.recipient_office()];
        b.set_office(r.recipient_office());
        b.set_pending_messages(b.pending_messages() + 1);
        b.set_pending_bytes(b.pending_bytes() + r.cipher_bytes());
        if (b.oldest_pending_unix() == 0 || r.accepted_unix() < b.oldest_pending_unix()) {
          b.set_oldest_pending_unix(r.accepted_unix());
        }
        break;
      }
      case pb::DOWNLOADED: s->set_downloaded_messages(s->downloaded_messages() + 1); break;
      case pb::EXPIRED: s->set_expired_messages(s->expired_messages() + 1); break;
      case pb::UPLOADING: s->set_uploading_messages(s->uploading_messages() + 1); break;
      default: break;
    }
  }));
  for (auto& [office, b] : boxes) {
    auto rec = store_->GetOffice(office);
    if (rec.ok()) b.set_name(rec->name());
    s->set_pending_messages(s->pending_messages() + b.pending_messages());
    s->set_pending_bytes(s->pending_bytes() + b.pending_bytes());
    if (s->oldest_pending_unix() == 0 || b.oldest_pending_unix() < s->oldest_pending_unix()) {
      s->set_oldest_pending_unix(b.oldest_pending_unix());
    }
    *s->add_mailboxes() = b;
  }
  s->set_disk_bytes(DiskBytes());
  s->set_retention_seconds(options_.retention_seconds);
  return Status::Ok();
}

// ------------------------------------------------------------------ retention

StatusOr<std::pair<uint64_t, uint64_t>> Server::SweepOnce(size_t limit) {
  const int64_t now = Now();
  ASSIGN_OR_RETURN(auto due, store_->DueForExpiry(now, limit, &sweep_cursor_));
  if (due.empty()) {
    sweep_cursor_.clear();  // this sweep is done; the next starts at the beginning
    return std::pair<uint64_t, uint64_t>{0, 0};
  }
  std::vector<pb::MessageRecord> expire, purge;
  std::vector<int64_t> old_expires;
  for (pb::MessageRecord& r : due) {
    if (r.state() == pb::DELIVERED) {
      // Never downloaded: the payload goes, the sender sees "expired" for a while.
      old_expires.push_back(r.expire_unix());
      r.set_state(pb::EXPIRED);
      r.set_expire_unix(now + options_.expired_keep_seconds);
      r.clear_lease_curve_pk();
      expire.push_back(r);
    } else {
      // Downloaded or expired at the end of its time, or an abandoned upload.
      purge.push_back(r);
    }
  }
  RETURN_IF_ERROR(store_->ApplyExpiry(expire, old_expires, purge));
  for (const pb::MessageRecord& r : purge) upload_hashes_.erase(r.message_id());
  for (const pb::MessageRecord& r : expire) {
    metrics_.Expired(r.cipher_bytes());
    metrics_.AddPending(-1, -static_cast<int64_t>(r.cipher_bytes()));
    Log("info", "message_expired", {{"message_id", r.message_id()}, {"from", r.sender_office()},
                                    {"to", r.recipient_office()}});
    pb::Event event;
    event.set_kind("expired");
    event.set_message_id(r.message_id());
    event.set_office(r.recipient_office());
    auto recipient = store_->GetOffice(r.recipient_office());
    if (recipient.ok()) event.set_name(recipient->name());
    event.set_at_unix(now);
    Notify(r.sender_office(), event);
  }
  metrics_.Purged(purge.size());
  if (!purge.empty()) Log("info", "messages_purged", {{"count", purge.size()}});
  return std::pair<uint64_t, uint64_t>{expire.size(), purge.size()};
}

Status Server::Maintenance(const pb::MaintenanceRequest& r, pb::Response* out) {
  pb::MaintenanceResponse* m = out->mutable_maintenance();
  if (r.sweep()) {
    while (true) {
      ASSIGN_OR_RETURN(auto swept, SweepOnce(1000));
      m->set_expired(m->expired() + swept.first);
      m->set_purged(m->purged() + swept.second);
      if (swept.first + swept.second == 0) break;
    }
  }
  if (r.compact()) RETURN_IF_ERROR(store_->Compact());
  m->set_disk_bytes(DiskBytes());
  return Status::Ok();
}

}  // namespace tayori::broker
