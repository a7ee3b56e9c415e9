// Verbs: sending. SendBegin checks the signed manifest and opens an upload;
// ChunkPut stores one chunk; Commit verifies every ciphertext digest and
// makes the message visible in one synced write (see broker/verbs.h).
//
// No loop here runs longer than the chunks a manifest may declare, and the
// manifest checks bound those by the send limits (max_send_bytes,
// min_chunk_bytes, max_files) before anything is stored.
#include <chrono>
#include <set>

#include "broker/log.h"
#include "broker/manifest_check.h"
#include "broker/verbs.h"
#include "common/careplan/check.h"
#include "common/crypto/x509.h"
#include "common/ids.h"
#include "common/reasons.h"

namespace tayori::broker {
namespace {

// The manifest a stored record carries; a record that does not parse is
// corrupt storage, not bad input.
StatusOr<pb::Manifest> StoredManifest(const pb::MessageRecord& rec) {
  pb::Manifest m;
  if (!m.ParseFromString(rec.signed_().manifest())) {
    return Status(Code::kDataLoss, "store_corrupt", "stored manifest of " + rec.message_id() + " does not parse");
  }
  return m;
}

// An upload of the calling office; another office's and none at all look
// the same, but a store failure is reported as one.
StatusOr<pb::MessageRecord> OwnUpload(ServerContext& ctx, const Caller& c, const std::string& id) {
  auto rec = ctx.store->GetMessage(id);
  if (!rec.ok() && rec.status().code() != Code::kNotFound) return rec.status();
  if (!rec.ok() || rec->sender_office() != c.office) {
    return NotFound(reason::kMessageNotFound, "no upload " + id + " of this office");
  }
  return rec;
}

// The signer: a valid certificate of this office, the one this terminal
// enrolled with, over exactly these manifest bytes.
Status CheckSigner(ServerContext& ctx, const Caller& c, const pb::OfficeRecord& sender, const pb::Manifest& m,
                   const pb::SignedManifest& signed_manifest) {
  std::string terminal_cert;
  for (const pb::Terminal& t : sender.terminals()) {
    if (t.curve_pk() == c.curve_pk) terminal_cert = t.cert_der();
  }
  ASSIGN_OR_RETURN(auto trust, ctx.trust->Get());
  ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::Certificate::FromDer(signed_manifest.signer_cert_der()));
  ASSIGN_OR_RETURN(crypto::CertInfo info, trust->Verify(cert, ctx.Now()));
  if (info.office != c.office || signed_manifest.signer_cert_der() != terminal_cert ||
      info.user_id != m.sender_user_id()) {
    return PermissionDenied("cert_mismatch", "signer " + info.office + "/" + info.user_id +
                                                 " is not the certificate this terminal enrolled for " + c.office);
  }
  return cert.VerifySignature(signed_manifest.manifest(), signed_manifest.signature());
}

// The recipient can receive, and the send key is sealed to every live
// terminal of it and to nothing else.
Status CheckRecipient(ServerContext& ctx, const pb::Manifest& m) {
  auto recipient = ctx.store->GetOffice(m.recipient_office());
  if (!recipient.ok()) {
    if (recipient.status().code() != Code::kNotFound) return recipient.status();
    return FailedPrecondition("recipient_unlicensed", "office " + m.recipient_office() + " is not registered");
  }
  if (!ctx.Licensed(*recipient)) {
    return FailedPrecondition("recipient_unlicensed", "licence of " + m.recipient_office() + " ended " +
                                                          DayToDate(recipient->licence_until_day()));
  }
  std::set<std::string> want, got;
  for (const pb::Terminal* t : ctx.LiveTerminals(*recipient)) want.insert(t->e2e_pk());
  if (want.empty()) return FailedPrecondition("recipient_not_enrolled", "office " + m.recipient_office());
  for (const pb::SealedKey& k : m.sealed_keys()) got.insert(k.e2e_pk());
  if (want != got) {
    return FailedPrecondition("recipient_not_enrolled",
                              "the recipient's terminals changed; look it up again and resend");
  }
  return Status::Ok();
}

// A repeated SendBegin of a send already begun: where it stands.
Status Resume(ServerContext& ctx, const pb::MessageRecord& existing, const pb::SignedManifest& signed_manifest,
              pb::Response* out) {
  if (existing.signed_().manifest() != signed_manifest.manifest()) {
    return Status(Code::kAlreadyExists, "send_id_conflict", "send id of " + existing.message_id());
  }
  pb::SendBeginResponse* resp = out->mutable_send_begin();
  resp->set_message_id(existing.message_id());
  resp->set_complete(existing.state() != pb::UPLOADING);
  resp->set_accepted_unix(existing.accepted_unix());
  if (existing.state() == pb::UPLOADING) {
    ASSIGN_OR_RETURN(auto present, ctx.store->ListChunks(existing.message_id()));
    for (uint64_t p : present) resp->add_present(p);
  }
  return Status::Ok();
}

}  // namespace

Status HandleSendBegin(ServerContext& ctx, const Call& call, pb::Response* out, std::string*) {
  const Caller& c = call.caller;
  ASSIGN_OR_RETURN(pb::OfficeRecord sender, ctx.store->GetOffice(c.office));
  if (!ctx.Licensed(sender)) {
    return PermissionDenied("sender_unlicensed",
                            "licence of " + c.office + " ended " + DayToDate(sender.licence_until_day()));
  }
  const pb::SignedManifest& signed_manifest = call.request.send_begin().signed_();
  // Every list entry carries it: bounded, so any one entry fits a list page
  // (docs/protocol.md), whatever unknown fields a sender adds.
  if (signed_manifest.ByteSizeLong() > kMaxSignedManifestBytes) {
    return InvalidArgument("bad_manifest",
                           "the signed manifest is over " + std::to_string(kMaxSignedManifestBytes) + " bytes");
  }
  pb::Manifest m;
  if (!m.ParseFromString(signed_manifest.manifest())) return InvalidArgument("bad_manifest", "manifest does not parse");
  RETURN_IF_ERROR(CheckManifest(ctx.options, m));
  if (m.sender_office() != c.office) {
    return PermissionDenied("cert_mismatch",
                            "manifest names sender " + m.sender_office() + " on a connection of " + c.office);
  }
  RETURN_IF_ERROR(CheckSigner(ctx, c, sender, m, signed_manifest));
  ASSIGN_OR_RETURN(auto existing, ctx.store->FindBySendId(c.office, m.send_id()));
  if (existing) return Resume(ctx, *existing, signed_manifest, out);
  RETURN_IF_ERROR(CheckRecipient(ctx, m));

  pb::MessageRecord rec;
  rec.set_message_id(NewId(ctx.options.env->NowMillis()));
  rec.set_sender_office(c.office);
  rec.set_recipient_office(m.recipient_office());
  rec.set_send_id(m.send_id());
  *rec.mutable_signed_() = signed_manifest;
  rec.set_state(pb::UPLOADING);
  rec.set_begun_unix(ctx.Now());
  rec.set_expire_unix(ctx.Now() + ctx.options.upload_timeout_seconds);
  uint64_t cipher_bytes = 0, bound = 0;
  for (const pb::FileEntry& f : m.files()) {
    cipher_bytes += f.cipher_size();
    bound += f.size() + f.chunk_count() * crypto::MaxSealedLen(m.version(), 0);
  }
  rec.set_cipher_bytes(cipher_bytes);
  rec.set_upload_bound_bytes(bound);
  auto found = ctx.uploads.find(c.office);
  const ServerContext::Uploads in_progress = found == ctx.uploads.end() ? ServerContext::Uploads{} : found->second;
  if (in_progress.count + 1 > ctx.options.max_uploads_per_office ||
      in_progress.bytes + bound > ctx.options.max_upload_bytes_per_office) {
    return FailedPrecondition("upload_quota", std::to_string(in_progress.count) + " uploads of " +
                                                  std::to_string(in_progress.bytes) + " bytes in progress");
  }
  RETURN_IF_ERROR(ctx.store->BeginMessage(rec));
  ctx.UploadBegun(rec);
  out->mutable_send_begin()->set_message_id(rec.message_id());
  return Status::Ok();
}

Status HandleChunkPut(ServerContext& ctx, const Call& call, pb::Response* out, std::string*) {
  const pb::ChunkPut& r = call.request.chunk_put();
  out->mutable_chunk_put();
  ASSIGN_OR_RETURN(pb::MessageRecord rec, OwnUpload(ctx, call.caller, r.message_id()));
  if (rec.state() != pb::UPLOADING) return Status::Ok();  // committed already: a late repeat
  ASSIGN_OR_RETURN(pb::Manifest m, StoredManifest(rec));
  if (r.file_index() >= static_cast<uint32_t>(m.files_size())) {
    return InvalidArgument("bad_request", "no file " + std::to_string(r.file_index()));
  }
  const pb::FileEntry& f = m.files(static_cast<int>(r.file_index()));
  if (r.chunk_index() >= f.chunk_count()) {
    return InvalidArgument(
        "bad_request", "no chunk " + std::to_string(r.chunk_index()) + " in file " + std::to_string(r.file_index()));
  }
  const uint64_t plain = crypto::ChunkLen(f.size(), m.chunk_size(), r.chunk_index());
  const size_t least = crypto::MinSealedLen(m.version(), plain), most = crypto::MaxSealedLen(m.version(), plain);
  if (call.data.size() < least || call.data.size() > most) {
    return InvalidArgument(
        "bad_request",
        "chunk " + std::to_string(r.chunk_index()) + " is " + std::to_string(call.data.size()) + " bytes, expected " +
            (least == most ? std::to_string(most) : std::to_string(least) + " to " + std::to_string(most)));
  }
  RETURN_IF_ERROR(ctx.store->PutChunk(r.message_id(), r.file_index(), r.chunk_index(), call.data));
  UploadHash& uh = ctx.upload_hashes[r.message_id()];
  if (uh.files.empty()) {
    if (r.file_index() != 0 || r.chunk_index() != 0) uh.in_order = false;  // resumed, or out of order
    for (int i = 0; i < m.files_size(); ++i) uh.files.push_back(std::make_unique<crypto::ChunkDigest>(m.version()));
    uh.next_chunk.assign(static_cast<size_t>(m.files_size()), 0);
    uh.bytes.assign(static_cast<size_t>(m.files_size()), 0);
  }
  const size_t fi = r.file_index();
  if (uh.in_order && uh.next_chunk[fi] == r.chunk_index()) {
    uh.files[fi]->Update(call.data);
    ++uh.next_chunk[fi];
    uh.bytes[fi] += call.data.size();
  } else {
    // A gap, or a chunk written again (its stored bytes may now differ from
    // what was hashed): the commit reads the chunks back.
    uh.in_order = false;
  }
  return Status::Ok();
}

namespace {

Status DigestMismatch(const pb::FileEntry& f) {
  return Status(Code::kDataLoss, "digest_mismatch",
                "stored bytes of '" + f.name() + "' do not match the signed digest");
}

// The chunks of F add up to the ciphertext size its manifest signed (what
// quotas and statistics count).
Status CheckCipherSize(const pb::FileEntry& f, uint64_t stored) {
  if (stored == f.cipher_size()) return Status::Ok();
  return Status(Code::kDataLoss, "digest_mismatch",
                "stored chunks of '" + f.name() + "' add up to " + std::to_string(stored) + " bytes, not the " +
                    std::to_string(f.cipher_size()) + " signed");
}

// Every chunk is stored and every file's ciphertext matches its signed
// digest: from the digests taken as chunks arrived in order, else by
// reading the chunks back. Missing chunks are found from what is stored,
// not by probing each chunk the manifest declares.
Status VerifyUpload(ServerContext& ctx, const pb::MessageRecord& rec, const pb::Manifest& m) {
  auto uh = ctx.upload_hashes.find(rec.message_id());
  bool hashed = uh != ctx.upload_hashes.end() && uh->second.in_order;
  for (int fi = 0; hashed && fi < m.files_size(); ++fi) {
    hashed = uh->second.next_chunk[static_cast<size_t>(fi)] == m.files(fi).chunk_count();
  }
  if (hashed) {
    for (int fi = 0; fi < m.files_size(); ++fi) {
      Status st = uh->second.files[static_cast<size_t>(fi)]->Final() != m.files(fi).cipher_sha256()
                      ? DigestMismatch(m.files(fi))
                      : CheckCipherSize(m.files(fi), uh->second.bytes[static_cast<size_t>(fi)]);
      if (!st.ok()) {
        ctx.upload_hashes.erase(uh);
        return st;
      }
    }
    ctx.upload_hashes.erase(uh);
    return Status::Ok();
  }
  if (uh != ctx.upload_hashes.end()) ctx.upload_hashes.erase(uh);
  ASSIGN_OR_RETURN(std::vector<uint64_t> present, ctx.store->ListChunks(rec.message_id()));
  const std::set<uint64_t> have(present.begin(), present.end());
  uint64_t expected = 0;
  for (const pb::FileEntry& f : m.files()) expected += f.chunk_count();
  if (have.size() < expected) {
    for (int fi = 0; fi < m.files_size(); ++fi) {
      for (uint32_t ci = 0; ci < m.files(fi).chunk_count(); ++ci) {
        if (have.count((static_cast<uint64_t>(fi) << 32) | ci)) continue;
        return FailedPrecondition(reason::kUploadIncomplete, std::to_string(expected - have.size()) +
                                                                 " chunks missing, first " + m.files(fi).name() + "#" +
                                                                 std::to_string(ci));
      }
    }
  }
  for (int fi = 0; fi < m.files_size(); ++fi) {
    const pb::FileEntry& f = m.files(fi);
    crypto::ChunkDigest hash(m.version());
    uint64_t stored = 0;
    for (uint32_t ci = 0; ci < f.chunk_count(); ++ci) {
      ASSIGN_OR_RETURN(std::string chunk, ctx.store->GetChunk(rec.message_id(), static_cast<uint32_t>(fi), ci));
      hash.Update(chunk);
      stored += chunk.size();
    }
    if (hash.Final() != f.cipher_sha256()) return DigestMismatch(f);
    RETURN_IF_ERROR(CheckCipherSize(f, stored));
  }
  return Status::Ok();
}

}  // namespace

Status HandleCommit(ServerContext& ctx, const Call& call, pb::Response* out, std::string*) {
  ASSIGN_OR_RETURN(pb::MessageRecord rec, OwnUpload(ctx, call.caller, call.request.commit().message_id()));
  if (rec.state() == pb::UPLOADING) {
    const auto started = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(pb::Manifest m, StoredManifest(rec));
    RETURN_IF_ERROR(VerifyUpload(ctx, rec, m));
    const int64_t old_expire = rec.expire_unix();
    rec.set_state(pb::DELIVERED);
    rec.set_accepted_unix(ctx.Now());
    rec.set_expire_unix(ctx.Now() + ctx.options.retention_seconds);
    RETURN_IF_ERROR(ctx.store->CommitMessage(rec, old_expire));
    ctx.UploadEnded(rec);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    ctx.metrics->SendAccepted(rec.cipher_bytes(), seconds);
    ctx.metrics->AddPending(1, static_cast<int64_t>(rec.cipher_bytes()));
    Log("info", "send_accepted",
        {{"message_id", rec.message_id()},
         {"from", rec.sender_office()},
         {"to", rec.recipient_office()},
         {"files", m.files_size()},
         {"bytes", rec.cipher_bytes()}});
    ctx.Notify(rec.recipient_office(), MakeEvent(EventKind::kNewMail, rec, rec.sender_office(),
                                                 ctx.OfficeName(rec.sender_office()), rec.accepted_unix()));
  }
  out->mutable_commit()->set_message_id(rec.message_id());
  out->mutable_commit()->set_accepted_unix(rec.accepted_unix());
  return Status::Ok();
}

}  // namespace tayori::broker
