// Agent: fetching. Verifies the signed manifest, downloads each file
// through the transfer pipeline into a .part file (continuing one an earlier
// try left), checks it against its signed digest, gives the files their
// names, keeps the evidence and acknowledges with a signed receipt. See
// agent.h.
#include <functional>
#include <set>

#include "agent/agent.h"
#include "agent/findings.h"
#include "agent/transfer.h"
#include "common/ids.h"
#include "common/wire/codec.h"
#include "common/wire/limits.h"

namespace tayori::agent {
namespace {

// How far the sender's clock may run ahead of the broker's.
constexpr int64_t kClockSkewSeconds = 600;

// One message being downloaded into DEST.
struct MessageDownload {
  Env* env;
  wire::Client* client;
  const AgentConfig* config;
  std::string id;
  const pb::Manifest* m;
  std::string key;  // the send key
  const Progress* progress;
  uint64_t done = 0;
  uint64_t total = 0;

  void Report() const {
    if (*progress) (*progress)("download", done, total);
  }
};

std::string PartPath(const std::string& dest, const std::string& id, int fi) {
  return dest + "/.tayori-" + id + "-" + std::to_string(fi) + ".part";
}

void RemoveParts(Env* env, const std::vector<std::string>& parts) {
  for (const auto& p : parts) (void)env->RemoveFile(p);  // best effort: they may not exist
}

// A download interrupted earlier (agent killed, network gone) left its
// prefix in PART: keeps its whole chunks, hashed into *HASH, and drops the
// rest. Returns the first chunk still missing.
StatusOr<uint32_t> KeepWholeChunks(MessageDownload* d, const pb::FileEntry& f, const std::string& part,
                                   crypto::Sha256* hash) {
  if (!d->env->FileExists(part)) return 0u;
  ASSIGN_OR_RETURN(uint64_t size, d->env->GetFileSize(part));
  const uint32_t chunk = d->m->chunk_size();
  const uint64_t have = std::min<uint64_t>(size, f.size());
  const uint32_t resume_at =
      f.size() == 0 ? 0 : static_cast<uint32_t>(std::min<uint64_t>(have / chunk, f.chunk_count()));
  const uint64_t keep = std::min<uint64_t>(static_cast<uint64_t>(resume_at) * chunk, f.size());
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> in, d->env->NewRandomAccessFile(part));
  for (uint64_t off = 0; off < keep; off += chunk) {
    std::string block;
    RETURN_IF_ERROR(in->Read(off, static_cast<size_t>(std::min<uint64_t>(chunk, keep - off)), &block));
    if (block.size() != std::min<uint64_t>(chunk, keep - off)) return IoError(part + " shrank while resuming");
    hash->Update(block);  // the final digest check covers the kept prefix too
  }
  RETURN_IF_ERROR(d->env->TruncateFile(part, keep));
  d->done += keep;
  if (keep > 0) d->Report();
  return resume_at;
}

// Downloads file FI into PART, decrypting and hashing each chunk, and
// syncs it. DataLoss if it does not match its signed digest.
Status DownloadFile(MessageDownload* d, int fi, const std::string& part) {
  const pb::FileEntry& f = d->m->files(fi);
  crypto::Sha256 hash;
  ASSIGN_OR_RETURN(uint32_t resume_at, KeepWholeChunks(d, f, part, &hash));
  ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> out, d->env->NewAppendableFile(part, 0644));
  TransferIo io;
  io.post = [&](uint64_t c) {
    pb::Request req;
    req.mutable_chunk_get()->set_message_id(d->id);
    req.mutable_chunk_get()->set_file_index(static_cast<uint32_t>(fi));
    req.mutable_chunk_get()->set_chunk_index(static_cast<uint32_t>(c));
    return d->client->Post(req, "", false);
  };
  io.receive = ReceiveFrom(d->client);
  io.on_answer = [&](uint64_t c, std::string cipher) -> Status {
    const uint64_t len = crypto::ChunkLen(f.size(), d->m->chunk_size(), static_cast<uint32_t>(c));
    ASSIGN_OR_RETURN(std::string plain, crypto::OpenChunk(d->m->version(), d->key, static_cast<uint32_t>(fi),
                                                          static_cast<uint32_t>(c), f.chunk_count(), cipher, len));
    hash.Update(plain);
    RETURN_IF_ERROR(out->Append(plain));
    d->done += plain.size();
    d->Report();
    return Status::Ok();
  };
  TransferOptions options;
  options.window = d->config->window;
  options.attempt_timeout_ms = d->config->attempt_timeout_s * 1000;
  options.stall_timeout_ms = d->config->timeout_s * 1000LL;
  options.ordered = true;
  options.stalled_detail = "download stalled";
  RETURN_IF_ERROR(RunTransfer(resume_at, f.chunk_count(), options, io, d->env));
  if (out->Size() != f.size() || hash.Final() != f.sha256()) {
    return Status(Code::kDataLoss, "digest_mismatch", "'" + f.name() + "' does not match its signed digest");
  }
  RETURN_IF_ERROR(out->Sync());
  return out->Close();
}

// Every file verified and on disk: the names they will have in DEST, none
// over an existing file.
std::vector<std::string> FinalPaths(Env* env, const std::string& dest, const pb::Manifest& m) {
  std::set<std::string> taken;
  std::vector<std::string> out;
  for (int fi = 0; fi < m.files_size(); ++fi) {
    out.push_back(AbsolutePath(UniquePath(env, dest, m.files(fi).name(), taken)));
    taken.insert(out.back());
  }
  return out;
}

// Gives the verified .part files of message ID the names RECORD holds for
// them. Run after RECORD is stored, and again after a crash: a part already
// renamed is left as it is; a name taken meanwhile by another file is
// replaced by a free one, recorded through SAVE before the rename. The files
// appear under their names only here, whole. data_loss (parts_lost) if a
// file is under neither name (a power cut took it): download it again.
Status PlaceParts(Env* env, const std::string& id, pb::ReceivedRecord* record,
                  const std::function<Status(const pb::ReceivedRecord&)>& save) {
  std::vector<int> to_rename;
  bool changed = false;
  for (int fi = 0; fi < record->saved_paths_size(); ++fi) {
    const std::string& final_path = record->saved_paths(fi);
    const std::string dest = DirName(final_path);
    if (!env->FileExists(PartPath(dest, id, fi))) {
      if (!env->FileExists(final_path)) return Status(Code::kDataLoss, "parts_lost", final_path + " was not saved");
      continue;  // renamed before a crash
    }
    if (env->FileExists(final_path)) {
      record->set_saved_paths(fi, AbsolutePath(UniquePath(env, dest, BaseName(final_path))));
      changed = true;
    }
    to_rename.push_back(fi);
  }
  if (changed) RETURN_IF_ERROR(save(*record));
  std::set<std::string> dirs;
  for (int fi : to_rename) {
    const std::string dest = DirName(record->saved_paths(fi));
    RETURN_IF_ERROR(env->RenameFile(PartPath(dest, id, fi), record->saved_paths(fi)));
    dirs.insert(dest);
  }
  for (const std::string& dir : dirs) RETURN_IF_ERROR(env->SyncDir(dir));
  return Status::Ok();
}

// What a manifest signed by a modified sender, passed by a careless
// broker, could get wrong: within the protocol's limits, safe names, and
// sizes and chunk counts that add up, so that no work here follows a count
// the sender declared rather than bytes that arrive.
Status CheckReceivedManifest(const pb::Manifest& m) {
  auto bad = [](const std::string& why) { return Status(Code::kDataLoss, "signature_invalid", why); };
  if (m.chunk_size() < wire::kMinChunkBytes || m.chunk_size() > wire::kMaxChunkBytes) {
    return bad("chunk size " + std::to_string(m.chunk_size()) + " is outside the protocol's limits");
  }
  if (m.files_size() == 0 || static_cast<uint32_t>(m.files_size()) > wire::kMaxFiles) {
    return bad(std::to_string(m.files_size()) + " files");
  }
  uint64_t total = 0;
  for (const pb::FileEntry& f : m.files()) {
    if (!IsSafeFileName(f.name()) || f.name()[0] == '.') return bad("unsafe file name '" + f.name() + "'");
    if (f.size() > wire::kMaxSendBytes - total) return bad("the files add up to more than a send may carry");
    total += f.size();
    const uint64_t chunks = f.size() == 0 ? 1 : (f.size() + m.chunk_size() - 1) / m.chunk_size();
    if (f.chunk_count() != chunks) return bad("sizes of '" + f.name() + "' do not add up");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<FetchResult> Agent::Fetch(const std::string& id, const std::string& dest, const Progress& progress) {
  if (!IsId(id)) return InvalidArgument("message_not_found", "'" + id + "' is not a message id");
  RETURN_IF_ERROR(CheckTerminal());
  auto stored = store_.GetReceived(id);
  if (!stored.ok() && stored.status().code() != Code::kNotFound) return stored.status();
  if (stored.ok() && stored->downloaded_unix() != 0) {
    std::string where;
    for (const auto& p : stored->saved_paths()) where += "\n    " + p;
    return FailedPrecondition("already_downloaded",
                              id + " was saved at " + JstDateTime(stored->downloaded_unix()) + " JST to:" + where);
  }
  auto save = [this, &id](const pb::ReceivedRecord& r) { return store_.PutReceived(id, r); };
  if (stored.ok()) {
    // Saved before (perhaps not yet under every name, if the agent
    // stopped), but not acknowledged: finish the names, then acknowledge.
    Status placed = PlaceParts(env_, id, &stored.value(), save);
    if (placed.ok()) return Acknowledge(id, &stored.value());
    if (placed.reason() != "parts_lost") return placed;
    // A power cut took a file before it was under its name: again.
  }
  ASSIGN_OR_RETURN(pb::ReceivedRecord record, Download(id, dest, progress));
  RETURN_IF_ERROR(PlaceParts(env_, id, &record, save));
  return Acknowledge(id, &record);
}

StatusOr<crypto::CertInfo> Agent::VerifyEntry(const pb::MailEntry& entry, pb::Manifest* m) {
  const pb::SignedManifest& s = entry.signed_();
  if (!m->ParseFromString(s.manifest())) {
    return Status(Code::kDataLoss, "signature_invalid", "manifest does not parse");
  }
  ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::Certificate::FromDer(s.signer_cert_der()));
  // Checked as of the time the broker accepted the send, against the latest
  // CRL this terminal has. The acceptance time may not be earlier than the
  // signed creation time: a backdated time cannot revive an expired signer.
  if (entry.accepted_unix() + kClockSkewSeconds < m->created_unix()) {
    return Status(Code::kDataLoss, "signature_invalid", "accepted before it was signed");
  }
  ASSIGN_OR_RETURN(crypto::CertInfo info, keys_.trust->Verify(cert, entry.accepted_unix()));
  RETURN_IF_ERROR(cert.VerifySignature(s.manifest(), s.signature()));
  if (info.office != m->sender_office() || info.office != entry.sender_office() ||
      m->recipient_office() != config_.office) {
    return Status(Code::kDataLoss, "signature_invalid",
                  "signed parties do not match: signer " + info.office + ", sender " + m->sender_office() +
                      ", recipient " + m->recipient_office());
  }
  return info;
}

// Downloads and verifies message ID into .part files in DEST; returns its
// evidence with the names they are to have, stored, not yet acknowledged.
StatusOr<pb::ReceivedRecord> Agent::Download(const std::string& id, const std::string& dest, const Progress& progress) {
  ASSIGN_OR_RETURN(wire::Client * client, Connection());
  pb::Request begin;
  begin.mutable_fetch_begin()->set_message_id(id);
  ASSIGN_OR_RETURN(wire::Reply began, client->Call(begin));
  const pb::MailEntry& entry = began.response.fetch_begin().entry();
  pb::Manifest m;
  RETURN_IF_ERROR(VerifyEntry(entry, &m).status());
  if (!crypto::KnownManifestVersion(m.version())) {
    return Status(
        Code::kFailedPrecondition, "version_unsupported",
        "the message was sent with manifest version " + std::to_string(m.version()) + ", newer than this agent reads");
  }
  RETURN_IF_ERROR(CheckReceivedManifest(m));
  MessageDownload d{env_, client, &config_, id, &m, "", &progress};
  ASSIGN_OR_RETURN(d.key, OwnSendKey(m));
  for (const auto& f : m.files()) d.total += f.size();
  RETURN_IF_ERROR(env_->CreateDirs(dest, 0755));
  std::vector<std::string> parts;
  for (int fi = 0; fi < m.files_size(); ++fi) {
    parts.push_back(PartPath(dest, id, fi));
    Status st = DownloadFile(&d, fi, parts.back());
    if (!st.ok()) {
      // Keep what arrived for the next try, unless it is wrong.
      if (st.code() == Code::kDataLoss) RemoveParts(env_, parts);
      return st;
    }
  }
  pb::ReceivedRecord record;
  for (const auto& p : FinalPaths(env_, dest, m)) record.add_saved_paths(p);
  *record.mutable_entry() = entry;
  record.set_message(DecryptMessage(m));
  // The sender's agent checked the files, but it may be modified or old:
  // check again and flag what does not conform instead of passing it on.
  for (const auto& f : ReceivedProblems(m, parts)) *record.add_problems() = ProblemToProto(f);
  // The parts durable in DEST, then recorded before they get their names
  // (Fetch gives them): a crash from here on is finished by the next
  // fetch, never downloaded a second time.
  RETURN_IF_ERROR(env_->SyncDir(dest));
  RETURN_IF_ERROR(store_.PutReceived(id, record));
  return record;
}

// The receipt: this office signs that it holds exactly the signed files.
StatusOr<FetchResult> Agent::Acknowledge(const std::string& id, pb::ReceivedRecord* record) {
  const std::string& manifest_bytes = record->entry().signed_().manifest();
  ASSIGN_OR_RETURN(pb::Manifest m, StoredManifest(record->entry().signed_(), "received record " + id));
  pb::Receipt receipt;
  receipt.set_message_id(id);
  receipt.set_manifest_sha256(crypto::Sha256Of(manifest_bytes));
  receipt.set_recipient_office(config_.office);
  receipt.set_recipient_user_id(config_.user_id);
  receipt.set_downloaded_unix(env_->NowSeconds());
  for (const auto& f : m.files()) receipt.add_file_sha256(f.sha256());
  const std::string receipt_bytes = receipt.SerializeAsString();
  ASSIGN_OR_RETURN(std::string receipt_signature, keys_.key->Sign(receipt_bytes));
  pb::Request ack;
  ack.mutable_ack()->set_message_id(id);
  ack.mutable_ack()->set_receipt(receipt_bytes);
  ack.mutable_ack()->set_receipt_signature(receipt_signature);
  ASSIGN_OR_RETURN(wire::Client * client, Connection());
  ASSIGN_OR_RETURN(wire::Reply acked, client->Call(ack));
  record->set_downloaded_unix(acked.response.ack().downloaded_unix());
  RETURN_IF_ERROR(store_.PutReceived(id, *record));
  FetchResult result;
  result.message_id = id;
  result.downloaded_unix = record->downloaded_unix();
  result.saved_paths.assign(record->saved_paths().begin(), record->saved_paths().end());
  for (const auto& p : record->problems()) result.problems.push_back(ProblemFromProto(p));
  return result;
}

}  // namespace tayori::agent
