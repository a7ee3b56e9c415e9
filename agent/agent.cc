// Agent: the connection, enrolment, look-ups and the checks every command
// shares. See agent.h.
#include "agent/agent.h"

#include <algorithm>

#include "common/crypto/curve.h"
#include "common/ids.h"
#include "common/utf8.h"

namespace tayori::agent {

careplan::CheckReport Agent::CheckFiles(const std::vector<std::string>& paths, const std::string& own_office,
                                        const std::string& to, Env* env) {
  std::vector<careplan::FileToCheck> files;
  careplan::CheckReport unreadable;
  for (const std::string& path : paths) {
    StatusOr<uint64_t> size = IoError("not a regular file: " + path);
    if (env->IsRegularFile(path)) size = env->GetFileSize(path);
    if (size.ok()) {
      auto file = env->NewRandomAccessFile(path);  // readable by this user, not locked
      if (!file.ok()) size = file.status();
    }
    if (!size.ok()) {
      careplan::Finding f;
      f.file = BaseName(path);
      f.category = careplan::Category::kFileType;
      f.ja = "ファイルが見つからないか、読み込めません（" + path + "）。";
      f.en = "no such file, or it cannot be read (" + path + ")";
      unreadable.findings.push_back(f);
      continue;
    }
    files.push_back({BaseName(path), path, *size});
  }
  careplan::CheckOptions o;
  o.own_office = own_office;
  o.to = to;
  o.env = env;
  careplan::CheckReport report = careplan::CheckSend(careplan::Rules::Standard(), files, o);
  report.findings.insert(report.findings.begin(), unreadable.findings.begin(), unreadable.findings.end());
  return report;
}

std::vector<std::pair<uint64_t, int64_t>> Agent::StampFiles(const std::vector<std::string>& files, Env* env) {
  std::vector<std::pair<uint64_t, int64_t>> stamps;
  for (const std::string& path : files) {
    auto size = env->GetFileSize(path);
    auto mtime = env->GetFileModificationNanos(path);
    stamps.emplace_back(size.ok() ? *size : 0, size.ok() && mtime.ok() ? *mtime : -1);
  }
  return stamps;
}

StatusOr<wire::Client*> Agent::Connection() {
  if (!client_) {
    wire::ClientOptions o;
    o.endpoint = config_.broker;
    o.server_key = config_.broker_key;
    o.public_key = keys_.curve_public;
    o.secret_key = keys_.curve_secret;
    o.attempt_timeout_ms = config_.attempt_timeout_s * 1000;
    o.deadline_ms = config_.timeout_s * 1000;
    // A chunk, or a page of a list (at most about 512 KiB: docs/protocol.md).
    o.max_frame = std::max<int64_t>(static_cast<int64_t>(config_.chunk_size) * 2 + 65536, 1 << 20);
    ASSIGN_OR_RETURN(client_, wire::Client::Connect(o));
    Status learned = LearnRevocations(client_.get());
    if (learned.code() == Code::kUnavailable) {
      client_.reset();
      return learned;
    }
  }
  return client_.get();
}

Status Agent::RefreshRevocations() {
  const bool fresh = client_ == nullptr;
  ASSIGN_OR_RETURN(wire::Client * client, Connection());
  return fresh ? Status::Ok() : LearnRevocations(client);  // a new connection has just learned
}

Status Agent::LearnRevocations(wire::Client* client) {
  pb::Request req;
  req.mutable_get_trust();
  ASSIGN_OR_RETURN(wire::Reply reply, client->Call(req));
  const std::string& der = reply.response.trust().crl_der();
  if (der.empty()) return Status::Ok();
  // A CRL the pinned CA did not sign, or older than the one we have, is
  // not taken: the broker cannot undo a revocation.
  ASSIGN_OR_RETURN(std::string pem, crypto::CrlDerToPem(der));
  ASSIGN_OR_RETURN(crypto::TrustStore fresh, crypto::TrustStore::FromPem(keys_.ca_pem, pem));
  if (keys_.trust->has_crl() &&
      (fresh.CrlIssued() < keys_.trust->CrlIssued() || fresh.CrlDer() == keys_.trust->CrlDer())) {
    return Status::Ok();
  }
  RETURN_IF_ERROR(TerminalKeys::WriteCrl(store_.home(), pem, env_));
  keys_.trust = std::make_unique<crypto::TrustStore>(std::move(fresh));
  return Status::Ok();
}

// R6: the certificate on this PC must be the configured office's, valid now.
Status Agent::CheckTerminal() {
  ASSIGN_OR_RETURN(crypto::CertInfo info, keys_.cert->Info());
  if (info.office != config_.office || info.user_id != config_.user_id) {
    return PermissionDenied("cert_mismatch", "this terminal is set up for " + config_.office + "/" + config_.user_id +
                                                 " but holds the certificate of " + info.office + "/" + info.user_id);
  }
  if (!keys_.key->CheckMatches(*keys_.cert).ok()) {
    return PermissionDenied("cert_mismatch", "the private key on this terminal is not the certificate's");
  }
  return keys_.trust->Verify(*keys_.cert, env_->NowSeconds()).status();
}

StatusOr<pb::OfficeInfo> Agent::Enrol() {
  RETURN_IF_ERROR(CheckTerminal());
  pb::EnrolmentBinding binding;
  binding.set_office(config_.office);
  binding.set_user_id(config_.user_id);
  ASSIGN_OR_RETURN(std::string curve_raw, crypto::Z85Decode32(keys_.curve_public));
  binding.set_curve_pk(curve_raw);
  binding.set_e2e_pk(keys_.e2e.pk);
  binding.set_created_unix(env_->NowSeconds());
  const std::string bytes = binding.SerializeAsString();
  ASSIGN_OR_RETURN(std::string signature, keys_.key->Sign(bytes));
  pb::Request req;
  req.mutable_enrol()->set_cert_der(keys_.cert->Der());
  req.mutable_enrol()->set_binding(bytes);
  req.mutable_enrol()->set_signature(signature);
  ASSIGN_OR_RETURN(wire::Client * client, Connection());
  ASSIGN_OR_RETURN(wire::Reply reply, client->Call(req));
  // The broker fixed this connection's identity at the handshake, as not yet
  // enrolled; the next request makes a new connection with the new identity.
  client_.reset();
  return reply.response.office();
}

StatusOr<pb::OfficeInfo> Agent::Lookup(const std::string& office) {
  RETURN_IF_ERROR(CheckOfficeNumber(office));
  pb::Request req;
  req.mutable_lookup()->set_office(office);
  ASSIGN_OR_RETURN(wire::Client * client, Connection());
  ASSIGN_OR_RETURN(wire::Reply reply, client->Call(req));
  return reply.response.office();
}

StatusOr<std::string> Agent::OwnSendKey(const pb::Manifest& m) const {
  for (const pb::SealedKey& k : m.sealed_keys()) {
    if (k.e2e_pk() == keys_.e2e.pk) return crypto::OpenSealedKey(k.sealed(), keys_.e2e);
  }
  return Status(Code::kDataLoss, "signature_invalid",
                "this message is not encrypted to this terminal (enrolled after it was sent?)");
}

// The message text, or "" when this terminal cannot open it.
std::string Agent::DecryptMessage(const pb::Manifest& m) const {
  auto key = OwnSendKey(m);
  if (!key.ok()) return "";
  if (!crypto::KnownManifestVersion(m.version())) return "";
  auto text =
      crypto::DecryptChunk(crypto::AeadOf(m.version()), *key, crypto::kMessageFileIndex, 0, 1, m.message_cipher());
  // Text another office wrote: kept and shown, never allowed to break the
  // records and JSON it goes into.
  return text.ok() ? ValidUtf8(*text) : "";
}

// Every entry of this office's inbox (or sent list), page by page.
StatusOr<std::vector<pb::MailEntry>> Agent::ListAll(bool inbox) {
  ASSIGN_OR_RETURN(wire::Client * client, Connection());
  std::vector<pb::MailEntry> out;
  std::string after;
  while (true) {
    pb::Request req;
    pb::ListRequest* list = inbox ? req.mutable_list_inbox() : req.mutable_list_sent();
    list->set_after_id(after);
    list->set_limit(200);
    ASSIGN_OR_RETURN(wire::Reply reply, client->Call(req));
    for (const auto& e : reply.response.list().entries()) out.push_back(e);
    if (!reply.response.list().more() || out.empty()) break;
    after = out.back().message_id();
  }
  return out;
}

}  // namespace tayori::agent
