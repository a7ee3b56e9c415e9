// Verbs: downloading. FetchBegin hands the recipient the signed manifest,
// ChunkGet one chunk, and Ack (with the recipient's signed receipt) deletes
// the payload and tells the sender (see broker/verbs.h).
#include "broker/log.h"
#include "broker/verbs.h"
#include "common/crypto/x509.h"
#include "common/reasons.h"

namespace tayori::broker {
namespace {

// A message in the caller's inbox that can still be downloaded.
StatusOr<pb::MessageRecord> RecipientMessage(ServerContext& ctx, const Caller& c, const std::string& id) {
  auto rec = ctx.store->GetMessage(id);
  if (!rec.ok() && rec.status().code() != Code::kNotFound) return rec.status();
  // Another office's message and no message at all look the same.
  if (!rec.ok() || rec->recipient_office() != c.office || rec->state() == pb::UPLOADING) {
    return NotFound(reason::kMessageNotFound, "no message " + id + " in the inbox of " + c.office);
  }
  if (rec->state() == pb::DOWNLOADED) {
    return FailedPrecondition(reason::kAlreadyDownloaded,
                              id + " was downloaded at " + JstDateTime(rec->downloaded_unix()) + " JST");
  }
  if (rec->state() == pb::EXPIRED) {
    return NotFound(reason::kMessageNotFound, id + " expired undownloaded; ask the sender to send it again");
  }
  return rec;
}

// R22: while one terminal of an office downloads a message, another is told
// it is taken. The lease lapses if its holder goes quiet.
Status TakeLease(ServerContext& ctx, const Caller& c, pb::MessageRecord* rec) {
  const int64_t now = ctx.Now();
  if (!rec->lease_curve_pk().empty() && rec->lease_curve_pk() != c.curve_pk && rec->lease_until_unix() > now) {
    return FailedPrecondition(reason::kAlreadyDownloaded,
                              rec->message_id() + " is being downloaded by another terminal of this office");
  }
  if (rec->lease_curve_pk() != c.curve_pk || rec->lease_until_unix() - now < ctx.options.lease_seconds / 2) {
    rec->set_lease_curve_pk(c.curve_pk);
    rec->set_lease_until_unix(now + ctx.options.lease_seconds);
    RETURN_IF_ERROR(ctx.store->PutMessage(*rec));
  }
  return Status::Ok();
}

// The receipt: signed by the certificate this terminal enrolled with, for
// exactly the files that were signed. Returns that certificate (DER).
StatusOr<std::string> CheckReceipt(const pb::OfficeRecord& office, const Caller& c, const pb::AckRequest& r,
                                   const pb::MessageRecord& rec) {
  std::string cert_der;
  for (const pb::Terminal& t : office.terminals()) {
    if (t.curve_pk() == c.curve_pk) cert_der = t.cert_der();
  }
  pb::Receipt receipt;
  if (r.receipt().empty() || !receipt.ParseFromString(r.receipt())) {
    return InvalidArgument("bad_request", "a download is acknowledged with a signed receipt");
  }
  ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::Certificate::FromDer(cert_der));
  RETURN_IF_ERROR(cert.VerifySignature(r.receipt(), r.receipt_signature()));
  pb::Manifest m;
  if (!m.ParseFromString(rec.signed_().manifest())) {
    return Status(Code::kDataLoss, "store_corrupt", "stored manifest of " + rec.message_id() + " does not parse");
  }
  bool files_match = receipt.file_sha256_size() == m.files_size();
  for (int i = 0; files_match && i < m.files_size(); ++i) files_match = receipt.file_sha256(i) == m.files(i).sha256();
  if (receipt.message_id() != rec.message_id() || receipt.recipient_office() != c.office ||
      receipt.manifest_sha256() != crypto::Sha256Of(rec.signed_().manifest()) || !files_match) {
    return Status(Code::kDataLoss, "signature_invalid", "the receipt is not for this message and its files");
  }
  return cert_der;
}

}  // namespace

Status HandleFetchBegin(ServerContext& ctx, const Call& call, pb::Response* out, std::string*) {
  ASSIGN_OR_RETURN(pb::MessageRecord rec, RecipientMessage(ctx, call.caller, call.request.fetch_begin().message_id()));
  RETURN_IF_ERROR(TakeLease(ctx, call.caller, &rec));
  ctx.FillEntry(rec, out->mutable_fetch_begin()->mutable_entry());
  return Status::Ok();
}

Status HandleChunkGet(ServerContext& ctx, const Call& call, pb::Response* out, std::string* out_data) {
  const pb::ChunkGet& r = call.request.chunk_get();
  out->mutable_chunk_get();
  ASSIGN_OR_RETURN(pb::MessageRecord rec, RecipientMessage(ctx, call.caller, r.message_id()));
  RETURN_IF_ERROR(TakeLease(ctx, call.caller, &rec));
  auto chunk = ctx.store->GetChunk(r.message_id(), r.file_index(), r.chunk_index());
  if (!chunk.ok()) {
    if (chunk.status().code() != Code::kNotFound) return chunk.status();
    return InvalidArgument(
        "bad_request", "no chunk " + std::to_string(r.chunk_index()) + " of file " + std::to_string(r.file_index()));
  }
  *out_data = std::move(chunk).value();
  return Status::Ok();
}

Status HandleAck(ServerContext& ctx, const Call& call, pb::Response* out, std::string*) {
  const pb::AckRequest& r = call.request.ack();
  const Caller& c = call.caller;
  pb::AckResponse* ack = out->mutable_ack();
  auto found = RecipientMessage(ctx, c, r.message_id());
  if (!found.ok()) {
    // Acknowledging again is harmless: report the first time.
    if (found.status().reason() != reason::kAlreadyDownloaded) return found.status();
    ASSIGN_OR_RETURN(pb::MessageRecord rec, ctx.store->GetMessage(r.message_id()));
    if (rec.state() != pb::DOWNLOADED) return found.status();
    ack->set_already(true);
    ack->set_downloaded_unix(rec.downloaded_unix());
    return Status::Ok();
  }
  pb::MessageRecord rec = std::move(found).value();
  RETURN_IF_ERROR(TakeLease(ctx, c, &rec));
  ASSIGN_OR_RETURN(pb::OfficeRecord office, ctx.store->GetOffice(c.office));
  ASSIGN_OR_RETURN(std::string cert_der, CheckReceipt(office, c, r, rec));
  rec.set_state(pb::DOWNLOADED);
  rec.set_downloaded_unix(ctx.Now());
  rec.set_receipt(r.receipt());
  rec.set_receipt_signature(r.receipt_signature());
  rec.set_receipt_cert_der(cert_der);
  rec.clear_lease_curve_pk();
  rec.set_lease_until_unix(0);
  RETURN_IF_ERROR(ctx.store->MarkDownloaded(rec));
  ctx.metrics->Downloaded(rec.cipher_bytes());
  ctx.metrics->AddPending(-1, -static_cast<int64_t>(rec.cipher_bytes()));
  Log("info", "message_downloaded", {{"message_id", rec.message_id()}, {"by", c.office}});
  ack->set_downloaded_unix(rec.downloaded_unix());
  ctx.Notify(rec.sender_office(),
             MakeEvent(EventKind::kDownloaded, rec, c.office, office.name(), rec.downloaded_unix()));
  return Status::Ok();
}

}  // namespace tayori::broker
