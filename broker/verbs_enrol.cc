// Verbs: enrolment, lookup and the trust anchor (see broker/verbs.h).
#include "broker/log.h"
#include "broker/verbs.h"
#include "common/crypto/x509.h"
#include "common/ids.h"
#include "common/reasons.h"

namespace tayori::broker {

Status HandleEnrol(ServerContext& ctx, const Call& call, pb::Response* out, std::string*) {
  const pb::EnrolRequest& r = call.request.enrol();
  const Caller& c = call.caller;
  ASSIGN_OR_RETURN(auto trust, ctx.trust->Get());
  ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::Certificate::FromDer(r.cert_der()));
  ASSIGN_OR_RETURN(crypto::CertInfo info, trust->Verify(cert, ctx.Now()));
  ASSIGN_OR_RETURN(pb::OfficeRecord rec, ctx.store->GetOffice(info.office));
  pb::EnrolmentBinding binding;
  if (!binding.ParseFromString(r.binding())) {
    return InvalidArgument("bad_request", "enrolment binding does not parse");
  }
  RETURN_IF_ERROR(cert.VerifySignature(r.binding(), r.signature()));
  if (binding.office() != info.office || binding.user_id() != info.user_id) {
    return PermissionDenied("cert_mismatch", "binding names " + binding.office() + "/" + binding.user_id() +
                                                 ", certificate " + info.office + "/" + info.user_id);
  }
  if (binding.e2e_pk().size() != 32 || binding.curve_pk().size() != 32) {
    return InvalidArgument("bad_request", "enrolment keys must be 32 bytes");
  }
  if (binding.curve_pk() != c.curve_pk) {
    return PermissionDenied("cert_mismatch", "binding names another transport key");
  }
  if (c.kind == Caller::kOffice && c.office != info.office) {
    return PermissionDenied("cert_mismatch", "this connection belongs to office " + c.office);
  }
  for (const std::string& removed : rec.removed_cert_serials()) {
    if (removed == info.serial_hex) {
      return PermissionDenied(reason::kTerminalRemoved, "the operator removed the terminal of certificate " +
                                                            info.serial_hex + "; it may not enrol again");
    }
  }
  // One terminal per office is the rule, but a second PC may enrol too
  // (R22); enrolling the same terminal again replaces its entry. A send
  // seals its key to at most kMaxTerminals terminals.
  pb::Terminal* t = nullptr;
  for (pb::Terminal& existing : *rec.mutable_terminals()) {
    if (existing.curve_pk() == binding.curve_pk()) t = &existing;
  }
  if (t == nullptr && ctx.LiveTerminals(rec).size() >= kMaxTerminals) {
    return FailedPrecondition("too_many_terminals", "office " + rec.office() + " already has " +
                                                        std::to_string(kMaxTerminals) + " terminals");
  }
  if (t == nullptr) t = rec.add_terminals();
  t->set_cert_der(r.cert_der());
  t->set_curve_pk(binding.curve_pk());
  t->set_e2e_pk(binding.e2e_pk());
  t->set_binding(r.binding());
  t->set_binding_signature(r.signature());
  t->set_enrolled_unix(ctx.Now());
  RETURN_IF_ERROR(ctx.store->Enrol(rec, binding.curve_pk()));
  ctx.TerminalsChanged();
  Log("info", "office_enrolled",
      {{"office", rec.office()},
       {"user_id", info.user_id},
       {"cert_serial", info.serial_hex},
       {"terminals", rec.terminals_size()}});
  ctx.FillOfficeInfo(rec, false, out->mutable_office());
  return Status::Ok();
}

Status HandleGetTrust(ServerContext& ctx, const Call&, pb::Response* out, std::string*) {
  ASSIGN_OR_RETURN(auto trust, ctx.trust->Get());
  out->mutable_trust()->set_ca_cert_der(trust->ca().Der());
  out->mutable_trust()->set_crl_der(trust->CrlDer());
  return Status::Ok();
}

namespace {
Status LookupOffice(ServerContext& ctx, const std::string& office, pb::OfficeInfo* out) {
  RETURN_IF_ERROR(CheckOfficeNumber(office));
  auto rec = ctx.store->GetOffice(office);
  if (!rec.ok()) {
    if (rec.status().code() != Code::kNotFound) return rec.status();
    out->set_office(office);
    out->set_registered(false);
    return Status::Ok();
  }
  ctx.FillOfficeInfo(*rec, true, out);
  return Status::Ok();
}
}  // namespace

Status HandleHello(ServerContext& ctx, const Call& call, pb::Response* out, std::string*) {
  return LookupOffice(ctx, call.caller.office, out->mutable_office());
}

Status HandleLookup(ServerContext& ctx, const Call& call, pb::Response* out, std::string*) {
  return LookupOffice(ctx, call.request.lookup().office(), out->mutable_office());
}

}  // namespace tayori::broker
