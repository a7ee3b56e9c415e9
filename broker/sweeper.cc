#include "broker/sweeper.h"

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "broker/log.h"

namespace tayori::broker {

void Sweeper::RunIfDue() {
  if (ctx_->Now() < next_sweep_) return;
  // On a shared store one broker at a time sweeps; the others look again
  // an interval later (and take over when the sweeping one goes).
  if (!ctx_->store->LeadsSweep()) {
    next_sweep_ = ctx_->Now() + ctx_->options.sweep_interval_seconds;
    return;
  }
  auto swept = SweepOnce(kBatch);
  if (!swept.ok()) {
    Log("error", "sweep_failed", {{"status", swept.status().ToString()}});
    next_sweep_ = ctx_->Now() + ctx_->options.sweep_interval_seconds;
  } else if (swept->expired + swept->purged < kBatch) {
    next_sweep_ = ctx_->Now() + ctx_->options.sweep_interval_seconds;
  }
}

StatusOr<SweepCounts> Sweeper::SweepAll() {
  SweepCounts total;
  while (true) {
    ASSIGN_OR_RETURN(SweepCounts swept, SweepOnce(1000));
    total.expired += swept.expired;
    total.purged += swept.purged;
    if (swept.expired + swept.purged == 0) return total;
  }
}

StatusOr<SweepCounts> Sweeper::SweepOnce(size_t limit) {
  const int64_t now = ctx_->Now();
  ASSIGN_OR_RETURN(auto due, ctx_->store->DueForExpiry(now, limit, &cursor_));
  if (due.empty()) {
    cursor_.clear();  // this sweep is done; the next starts at the beginning
    return SweepCounts{};
  }
  std::vector<pb::MessageRecord> expire, purge;
  std::vector<int64_t> old_expires;
  for (pb::MessageRecord& r : due) {
    if (r.state() == pb::DELIVERED) {
      // Never downloaded: the payload goes, the sender sees "expired" for a while.
      old_expires.push_back(r.expire_unix());
      r.set_state(pb::EXPIRED);
      r.set_expire_unix(now + ctx_->options.expired_keep_seconds);
      r.clear_lease_curve_pk();
      expire.push_back(r);
    } else {
      // Downloaded or expired at the end of its time, or an abandoned upload.
      purge.push_back(r);
    }
  }
  // On a shared store another broker may have changed some of them since
  // they were read: those are left as it wrote them, and not counted,
  // logged or told of here.
  std::set<std::string> left_alone;
  RETURN_IF_ERROR(ctx_->store->ApplyExpiry(expire, old_expires, purge, &left_alone));
  auto changed_meanwhile = [&](const pb::MessageRecord& r) { return left_alone.count(r.message_id()) != 0; };
  std::erase_if(expire, changed_meanwhile);
  std::erase_if(purge, changed_meanwhile);
  for (const pb::MessageRecord& r : purge) {
    ctx_->upload_hashes.erase(r.message_id());
    if (r.state() == pb::UPLOADING) ctx_->UploadEnded(r);
  }
  // A batch expires the mail of a few offices: each name is read once and
  // the senders' events go out together.
  std::map<std::string, std::string> names;
  std::vector<std::pair<std::string, pb::Event>> events;
  for (const pb::MessageRecord& r : expire) {
    ctx_->metrics->Expired(r.cipher_bytes());
    ctx_->metrics->AddPending(-1, -static_cast<int64_t>(r.cipher_bytes()));
    Log("info", "message_expired",
        {{"message_id", r.message_id()}, {"from", r.sender_office()}, {"to", r.recipient_office()}});
    events.emplace_back(r.sender_office(), MakeEvent(EventKind::kExpired, r, r.recipient_office(),
                                                     ctx_->OfficeName(r.recipient_office(), &names), now));
  }
  ctx_->NotifyAll(events);
  ctx_->metrics->Purged(purge.size());
  if (!purge.empty()) Log("info", "messages_purged", {{"count", purge.size()}});
  return SweepCounts{expire.size(), purge.size()};
}

}  // namespace tayori::broker
