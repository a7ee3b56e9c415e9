// Verbs: the operator's registry of offices, licences and terminals (see
// broker/verbs.h).
#include "broker/log.h"
#include "broker/verbs.h"
#include "common/crypto/x509.h"
#include "common/ids.h"
#include "common/reasons.h"

namespace tayori::broker {
namespace {

// The name tayori-admin shows for a terminal: hex of the first 8 bytes of
// its CURVE key.
std::string TerminalId(const pb::Terminal& t) { return ToHex(t.curve_pk().substr(0, 8)); }

void FillTerminals(ServerContext& ctx, const pb::OfficeRecord& rec, pb::TerminalListResponse* out) {
  auto trust = ctx.trust->Get();
  for (const pb::Terminal& t : rec.terminals()) {
    pb::TerminalInfo* info = out->add_terminals();
    info->set_terminal_id(TerminalId(t));
    info->set_office(rec.office());
    info->set_enrolled_unix(t.enrolled_unix());
    auto cert = crypto::Certificate::FromDer(t.cert_der());
    if (!cert.ok()) continue;
    auto ci = cert->Info();
    if (ci.ok()) {
      info->set_user_id(ci->user_id);
      info->set_cert_serial(ci->serial_hex);
      info->set_cert_not_after_unix(ci->not_after);
    }
    if (trust.ok()) {
      auto verified = (*trust)->Verify(*cert, ctx.Now());
      info->set_revoked(!verified.ok() && verified.status().reason() == reason::kCertRevoked);
    }
  }
}

}  // namespace

Status HandleOfficeAdd(ServerContext& ctx, const Call& call, pb::Response* out, std::string*) {
  const pb::OfficeAddRequest& r = call.request.office_add();
  RETURN_IF_ERROR(CheckOfficeNumber(r.office()));
  if (r.name().empty() || r.name().size() > 400) {
    return InvalidArgument("usage", "an office needs a name (at most 400 bytes)");
  }
  pb::OfficeRecord rec;
  rec.set_office(r.office());
  rec.set_name(r.name());
  rec.set_registered_unix(ctx.Now());
  if (r.licence_until().empty()) {
    rec.set_licence_until_day(OneYearEnd(JstDay(ctx.Now())));
  } else {
    ASSIGN_OR_RETURN(int64_t day, ParseDate(r.licence_until()));
    rec.set_licence_until_day(day);
  }
  RETURN_IF_ERROR(ctx.store->PutOffice(rec, true));
  Log("info", "office_added", {{"office", rec.office()}, {"licence_until", DayToDate(rec.licence_until_day())}});
  ctx.FillOfficeInfo(rec, false, out->mutable_office());
  return Status::Ok();
}

Status HandleLicenceRenew(ServerContext& ctx, const Call& call, pb::Response* out, std::string*) {
  const pb::LicenceRenewRequest& r = call.request.licence_renew();
  RETURN_IF_ERROR(CheckOfficeNumber(r.office()));
  ASSIGN_OR_RETURN(pb::OfficeRecord rec, ctx.store->GetOffice(r.office()));
  if (r.until().empty()) {
    // One year from the application date, or from the day after the
    // current licence ends if that is later: renewing early loses nothing.
    const int64_t start = std::max(JstDay(ctx.Now()), rec.licence_until_day() + 1);
    rec.set_licence_until_day(OneYearEnd(start));
  } else {
    ASSIGN_OR_RETURN(int64_t day, ParseDate(r.until()));
    rec.set_licence_until_day(day);
  }
  RETURN_IF_ERROR(ctx.store->PutOffice(rec, false));
  Log("info", "licence_renewed", {{"office", rec.office()}, {"licence_until", DayToDate(rec.licence_until_day())}});
  ctx.FillOfficeInfo(rec, false, out->mutable_office());
  return Status::Ok();
}

Status HandleLicenceExpire(ServerContext& ctx, const Call& call, pb::Response* out, std::string*) {
  const pb::LicenceExpireRequest& r = call.request.licence_expire();
  RETURN_IF_ERROR(CheckOfficeNumber(r.office()));
  ASSIGN_OR_RETURN(pb::OfficeRecord rec, ctx.store->GetOffice(r.office()));
  rec.set_licence_until_day(std::min(rec.licence_until_day(), JstDay(ctx.Now()) - 1));
  RETURN_IF_ERROR(ctx.store->PutOffice(rec, false));
  Log("info", "licence_expired", {{"office", rec.office()}});
  ctx.FillOfficeInfo(rec, false, out->mutable_office());
  return Status::Ok();
}

Status HandleOfficeList(ServerContext& ctx, const Call&, pb::Response* out, std::string*) {
  ASSIGN_OR_RETURN(auto offices, ctx.store->ListOffices());
  pb::OfficeListResponse* list = out->mutable_office_list();
  for (const auto& rec : offices) ctx.FillOfficeInfo(rec, false, list->add_offices());
  return Status::Ok();
}

Status HandleTerminalList(ServerContext& ctx, const Call& call, pb::Response* out, std::string*) {
  const std::string& office = call.request.terminal_list().office();
  RETURN_IF_ERROR(CheckOfficeNumber(office));
  ASSIGN_OR_RETURN(pb::OfficeRecord rec, ctx.store->GetOffice(office));
  FillTerminals(ctx, rec, out->mutable_terminal_list());
  return Status::Ok();
}

Status HandleTerminalRemove(ServerContext& ctx, const Call& call, pb::Response* out, std::string*) {
  const pb::TerminalRemoveRequest& r = call.request.terminal_remove();
  RETURN_IF_ERROR(CheckOfficeNumber(r.office()));
  ASSIGN_OR_RETURN(pb::OfficeRecord rec, ctx.store->GetOffice(r.office()));
  auto* terminals = rec.mutable_terminals();
  for (int i = 0; i < terminals->size(); ++i) {
    if (TerminalId(terminals->Get(i)) != r.terminal_id()) continue;
    const std::string curve_pk = terminals->Get(i).curve_pk();
    auto cert = crypto::Certificate::FromDer(terminals->Get(i).cert_der());
    auto info = cert.ok() ? cert->Info() : StatusOr<crypto::CertInfo>(cert.status());
    if (info.ok()) rec.add_removed_cert_serials(info->serial_hex);  // it may not come back
    terminals->DeleteSubrange(i, 1);
    RETURN_IF_ERROR(ctx.store->RemoveTerminal(rec, curve_pk));
    ctx.TerminalsChanged();  // its open connections are refused from now on
    Log("info", "terminal_removed", {{"office", rec.office()}, {"terminal", r.terminal_id()}});
    FillTerminals(ctx, rec, out->mutable_terminal_list());
    return Status::Ok();
  }
  return NotFound("usage", "office " + r.office() + " has no terminal " + r.terminal_id() +
                               " (see `tayori-admin terminal list " + r.office() + "`)");
}

}  // namespace tayori::broker
