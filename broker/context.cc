#include "broker/context.h"

#include "common/crypto/x509.h"
#include "common/reasons.h"

namespace tayori::broker {
namespace {

// Revocation, and only revocation, ends a terminal's access: an expired
// certificate still receives (it cannot send or enrol; those verify fully).
bool Revoked(const crypto::TrustStore& trust, const std::string& cert_der, int64_t now) {
  auto cert = crypto::Certificate::FromDer(cert_der);
  if (!cert.ok()) return true;
  auto info = trust.Verify(*cert, now);
  return !info.ok() && info.status().reason() == reason::kCertRevoked;
}

}  // namespace

bool ServerContext::Licensed(const pb::OfficeRecord& rec) const { return rec.licence_until_day() >= JstDay(Now()); }

std::string ServerContext::OfficeName(const std::string& office) const {
  auto rec = store->GetOffice(office);
  return rec.ok() ? rec->name() : "";
}

void ServerContext::FillOfficeInfo(const pb::OfficeRecord& rec, bool with_keys, pb::OfficeInfo* out) const {
  out->set_office(rec.office());
  out->set_name(rec.name());
  out->set_registered(true);
  out->set_licence_until(DayToDate(rec.licence_until_day()));
  out->set_licensed(Licensed(rec));
  const std::vector<const pb::Terminal*> live = LiveTerminals(rec);
  out->set_enrolled(!live.empty());
  if (!with_keys) return;
  for (const pb::Terminal* t : live) {
    pb::TerminalKeys* k = out->add_terminals();
    k->set_cert_der(t->cert_der());
    k->set_binding(t->binding());
    k->set_binding_signature(t->binding_signature());
  }
}

std::string ServerContext::OfficeName(const std::string& office, std::map<std::string, std::string>* names) const {
  auto [it, unread] = names->try_emplace(office);
  if (unread) it->second = OfficeName(office);
  return it->second;
}

void ServerContext::FillEntry(const pb::MessageRecord& rec, pb::MailEntry* out,
                              std::map<std::string, std::string>* names) const {
  auto name = [&](const std::string& office) {
    return names == nullptr ? OfficeName(office) : OfficeName(office, names);
  };
  out->set_message_id(rec.message_id());
  out->set_sender_office(rec.sender_office());
  out->set_recipient_office(rec.recipient_office());
  out->set_sender_name(name(rec.sender_office()));
  out->set_recipient_name(name(rec.recipient_office()));
  out->set_accepted_unix(rec.accepted_unix());
  out->set_state(rec.state());
  out->set_downloaded_unix(rec.downloaded_unix());
  *out->mutable_signed_() = rec.signed_();
  out->set_expire_unix(rec.expire_unix());
  out->set_receipt(rec.receipt());
  out->set_receipt_signature(rec.receipt_signature());
  out->set_receipt_cert_der(rec.receipt_cert_der());
}

namespace {

// What an upload in progress counts against its office's quota: the most it
// may store, not the size it declares it will end with.
uint64_t UploadCharge(const pb::MessageRecord& rec) {
  return rec.upload_bound_bytes() > 0 ? rec.upload_bound_bytes() : rec.cipher_bytes();
}

}  // namespace

void ServerContext::UploadBegun(const pb::MessageRecord& rec) {
  Uploads& u = uploads[rec.sender_office()];
  ++u.count;
  u.bytes += UploadCharge(rec);
}

void ServerContext::UploadEnded(const pb::MessageRecord& rec) {
  auto it = uploads.find(rec.sender_office());
  if (it == uploads.end()) return;
  it->second.count -= std::min<uint64_t>(it->second.count, 1);
  it->second.bytes -= std::min<uint64_t>(it->second.bytes, UploadCharge(rec));
  if (it->second.count == 0) uploads.erase(it);
}

std::vector<const pb::Terminal*> ServerContext::LiveTerminals(const pb::OfficeRecord& rec) const {
  std::vector<const pb::Terminal*> live;
  auto trust_store = trust->Get();
  for (const pb::Terminal& t : rec.terminals()) {
    // Without a readable CA nothing is known to be revoked; sends are
    // refused later anyway, when the signer is verified.
    if (trust_store.ok() && Revoked(**trust_store, t.cert_der(), Now())) continue;
    live.push_back(&t);
  }
  return live;
}

void ServerContext::Notify(const std::string& office, const pb::Event& event) { NotifyAll({{office, event}}); }

void ServerContext::NotifyAll(const std::vector<std::pair<std::string, pb::Event>>& events) {
  // On a shared store every broker (this one too) gets them back through
  // the store and delivers them to its own connections.
  if (store->PublishEvents(events)) return;
  for (const auto& [office, event] : events) Deliver(office, event);
}

void ServerContext::Deliver(const std::string& office, const pb::Event& event) {
  events->Notify(office, event, [&](const std::string& curve_pk) {
    Caller terminal;
    terminal.kind = Caller::kOffice;
    terminal.office = office;
    terminal.curve_pk = curve_pk;
    return CheckTerminal(terminal).ok();
  });
}

Status ServerContext::CheckTerminal(const Caller& caller) {
  // Without a readable CA and CRL (an operator's mistake, logged where it
  // is read) nobody can be known not to be revoked: refuse, fail closed.
  ASSIGN_OR_RETURN(std::shared_ptr<const crypto::TrustStore> trust_store, trust->Get());
  // An answer is kept 10 seconds at most: a terminal removed through
  // another broker sharing the store is refused here within that time.
  const int64_t now_ms = options.env->MonotonicMillis();
  auto cached = terminal_checks_.find(caller.curve_pk);
  if (cached != terminal_checks_.end() && cached->second.trust == trust_store &&
      now_ms - cached->second.checked_ms < kTerminalCheckMillis) {
    return cached->second.status;
  }
  ASSIGN_OR_RETURN(pb::OfficeRecord rec, store->GetOffice(caller.office));
  TerminalCheck check;
  check.trust = trust_store;
  check.checked_ms = now_ms;
  check.status =
      PermissionDenied(reason::kTerminalRemoved, "this terminal is no longer enrolled for office " + caller.office);
  for (const pb::Terminal& t : rec.terminals()) {
    if (t.curve_pk() != caller.curve_pk) continue;
    check.status =
        Revoked(*trust_store, t.cert_der(), Now())
            ? PermissionDenied(reason::kCertRevoked, "the certificate this terminal enrolled with is revoked")
            : Status::Ok();
  }
  terminal_checks_[caller.curve_pk] = check;
  return check.status;
}

}  // namespace tayori::broker
