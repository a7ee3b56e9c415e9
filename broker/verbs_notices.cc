// Verbs: the operator's notices, and subscriptions to pushed events (see
// broker/verbs.h and broker/events.h).
#include "broker/log.h"
#include "broker/verbs.h"
#include "common/ids.h"

namespace tayori::broker {
namespace {
// Notice kinds, and the system status a maintenance notice announces
// (NoticesResponse.system_status).
constexpr char kInfo[] = "info";
constexpr char kMaintenance[] = "maintenance";
constexpr char kStatusNormal[] = "normal";
constexpr char kStatusMaintenance[] = "maintenance_announced";
}  // namespace

Status HandleSubscribe(ServerContext& ctx, const Call& call, pb::Response*, std::string*) {
  // Terminals renew every 20 seconds; a lapsed subscription is dropped.
  ctx.events->Subscribe(call.caller.office, call.caller.routing_id, call.caller.curve_pk);
  return Status::Ok();
}

Status HandleNotices(ServerContext& ctx, const Call& call, pb::Response* out, std::string*) {
  // Withdrawn and past notices only for the operator.
  const bool include_withdrawn = call.caller.kind == Caller::kAdmin && call.request.notices().include_withdrawn();
  ASSIGN_OR_RETURN(auto notices, ctx.store->ListNotices());
  pb::NoticesResponse* resp = out->mutable_notices();
  bool maintenance = false;
  const int64_t now = ctx.Now();
  for (auto it = notices.rbegin(); it != notices.rend(); ++it) {  // newest first
    const bool active = !it->withdrawn() && (it->until_unix() == 0 || it->until_unix() >= now);
    if (!active && !include_withdrawn) continue;
    if (active && it->kind() == kMaintenance) maintenance = true;
    *resp->add_notices() = *it;
  }
  resp->set_system_status(maintenance ? kStatusMaintenance : kStatusNormal);
  return Status::Ok();
}

Status HandleNoticePost(ServerContext& ctx, const Call& call, pb::Response* out, std::string*) {
  const pb::NoticePostRequest& r = call.request.notice_post();
  if (r.title().empty() || r.title().size() > 400 || r.body().size() > 8000) {
    return InvalidArgument("usage", "a notice needs a title (at most 400 bytes) and a body of at most 8000");
  }
  const std::string kind = r.kind().empty() ? kInfo : r.kind();
  if (kind != kInfo && kind != kMaintenance) {
    return InvalidArgument("usage", "notice kind is info or maintenance, got '" + kind + "'");
  }
  pb::Notice n;
  n.set_id(NewId(ctx.options.env->NowMillis()));
  n.set_title(r.title());
  n.set_body(r.body());
  n.set_kind(kind);
  n.set_posted_unix(ctx.Now());
  if (!r.until().empty()) {
    ASSIGN_OR_RETURN(int64_t day, ParseDate(r.until()));
    n.set_until_unix((day + 1) * 86400 - 9 * 3600 - 1);  // end of that day, JST
  }
  RETURN_IF_ERROR(ctx.store->PutNotice(n));
  Log("info", "notice_posted", {{"id", n.id()}, {"kind", kind}});
  *out->mutable_notice() = n;
  return Status::Ok();
}

Status HandleNoticeWithdraw(ServerContext& ctx, const Call& call, pb::Response* out, std::string*) {
  const std::string& id = call.request.notice_withdraw().id();
  ASSIGN_OR_RETURN(auto notices, ctx.store->ListNotices());
  for (pb::Notice& n : notices) {
    if (n.id() != id) continue;
    n.set_withdrawn(true);
    RETURN_IF_ERROR(ctx.store->PutNotice(n));
    Log("info", "notice_withdrawn", {{"id", n.id()}});
    *out->mutable_notice() = n;
    return Status::Ok();
  }
  return NotFound("usage", "no notice " + id + " (see `tayori-admin notice list`)");
}

}  // namespace tayori::broker
