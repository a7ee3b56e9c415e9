// Agent: sending. Checks the files and the recipient, writes the outbox
// record (so a killed agent resumes the same send), uploads the chunks
// through the transfer pipeline and commits. See agent.h.
#include <algorithm>
#include <cstring>
#include <set>

#include "agent/agent.h"
#include "agent/findings.h"
#include "agent/transfer.h"
#include "common/ids.h"
#include "common/port/page_pool.h"
#include "common/reasons.h"
#include "common/utf8.h"
#include "common/wire/codec.h"

namespace tayori::agent {
namespace {

// Rounds of begin, upload and commit before a send gives up (the broker may
// forget an upload it never committed).
constexpr int kMaxRounds = 4;

uint64_t PlainLen(const pb::FileEntry& f, uint32_t chunk, uint32_t chunk_size) {
  return crypto::ChunkLen(f.size(), chunk_size, chunk);
}

// The source files of one send, each opened through ENV when first read.
class SourceFiles {
 public:
  SourceFiles(Env* env, std::vector<std::string> paths) : env_(env), paths_(std::move(paths)), files_(paths_.size()) {}

  // LEN bytes of file I at OFFSET; file_unreadable unless all are there.
  StatusOr<std::string> Read(size_t i, uint64_t offset, uint64_t len) {
    std::string buf;
    RETURN_IF_ERROR(ReadInto(i, offset, len, &buf));
    return buf;
  }
  // The same into *BUF, whose memory is reused from one chunk to the next.
  Status ReadInto(size_t i, uint64_t offset, uint64_t len, std::string* buf) {
    if (!files_[i]) {
      auto file = env_->NewRandomAccessFile(paths_[i]);
      if (!file.ok()) return InvalidArgument("file_unreadable", "cannot open " + paths_[i]);
      files_[i] = std::move(file).value();
    }
    Status st = files_[i]->Read(offset, static_cast<size_t>(len), buf);
    if (!st.ok()) return InvalidArgument("file_unreadable", st.detail());
    if (buf->size() != len)
      return InvalidArgument("file_unreadable", paths_[i] + " changed or shrank while being sent");
    return Status::Ok();
  }

  // SHA-256 of the first SIZE bytes of file I.
  StatusOr<std::string> Digest(size_t i, uint64_t size, uint32_t block) {
    crypto::Sha256 h;
    for (uint64_t off = 0; off < size; off += block) {
      ASSIGN_OR_RETURN(std::string part, Read(i, off, std::min<uint64_t>(block, size - off)));
      h.Update(part);
    }
    return h.Final();
  }

 private:
  Env* const env_;
  const std::vector<std::string> paths_;
  std::vector<std::unique_ptr<RandomAccessFile>> files_;
};

// Whether the outbox record REC (manifest M) is this very send: same
// recipient terminals, message and files, byte for byte. Digests are read
// only when the rest matches, so a new send reads its files no more than it
// must.
StatusOr<bool> SameSend(const pb::OutboxRecord& rec, const pb::Manifest& m, const SendOptions& o,
                        const std::vector<uint64_t>& sizes, const std::vector<std::string>& recipient_pks,
                        const std::vector<std::string>& paths, SourceFiles* files, uint32_t block) {
  bool same = m.recipient_office() == o.to && rec.message() == o.message &&
              rec.paths_size() == static_cast<int>(paths.size()) && m.files_size() == rec.paths_size() &&
              m.sealed_keys_size() == static_cast<int>(recipient_pks.size());
  for (int k = 0; same && k < m.sealed_keys_size(); ++k) {
    same = std::find(recipient_pks.begin(), recipient_pks.end(), m.sealed_keys(k).e2e_pk()) != recipient_pks.end();
  }
  for (size_t i = 0; same && i < paths.size(); ++i) {
    same = rec.paths(static_cast<int>(i)) == paths[i] && m.files(static_cast<int>(i)).size() == sizes[i];
  }
  for (size_t i = 0; same && i < paths.size(); ++i) {
    ASSIGN_OR_RETURN(std::string digest, files->Digest(i, sizes[i], block));
    same = m.files(static_cast<int>(i)).sha256() == digest;
  }
  return same;
}

// Whether sealing the chunks of outbox record REC (manifest M) again gives
// the bytes sealed before: the files unchanged (their digests read again)
// and, from version 3, the same packer. Otherwise other bytes would go
// under nonces already used, which must never be. A file that cannot be
// read now (locked by another program) is file_unreadable, not a change; a
// file shorter than it was is a change.
StatusOr<bool> ResealsAsBefore(Env* env, const pb::OutboxRecord& rec, const pb::Manifest& m, SourceFiles* files) {
  if (crypto::PacksChunks(m.version()) && rec.packer() != crypto::PackerId()) return false;
  if (rec.paths_size() != m.files_size()) return false;
  for (int i = 0; i < m.files_size(); ++i) {
    auto size = env->GetFileSize(rec.paths(i));
    if (!size.ok()) return InvalidArgument("file_unreadable", "cannot read " + rec.paths(i));
    if (*size < m.files(i).size()) return false;
    ASSIGN_OR_RETURN(std::string digest, files->Digest(static_cast<size_t>(i), m.files(i).size(), m.chunk_size()));
    if (digest != m.files(i).sha256()) return false;
  }
  return true;
}

// A chunk that SealChunkTo or SealChunk could not seal.
Status SealFailed() { return Internal("cannot pack and encrypt a chunk (no memory, or a bad send key)"); }

}  // namespace

// The ciphertext of one file of a new send, in pages from the pool: buffers
// of up to the send limit come and go with every send, and on the heap they
// would leave it fragmented and the process larger with each bulk send;
// fresh pages each time would be zeroed by the kernel first.
// Sealed chunks differ in length (version 3 packs them), so it keeps where
// each ends.
class SealedFile {
 public:
  explicit SealedFile(size_t capacity) : pages_(capacity) {}

  // Room for up to N bytes of the next chunk, null when there is none (or
  // no memory), and the upload then seals again. Keep(n) keeps the N
  // written there.
  char* Room(size_t n) {
    if (pages_.size() - size_ < n || pages_.data() == nullptr) return nullptr;
    return pages_.data() + size_;
  }
  void Keep(size_t n) {
    size_ += n;
    ends_.push_back(size_);
  }
  size_t chunks() const { return ends_.size(); }
  size_t size() const { return size_; }
  // Sealed chunk C (< chunks()).
  std::string_view Chunk(size_t c) const {
    const size_t begin = c == 0 ? 0 : ends_[c - 1];
    return {pages_.data() + begin, ends_[c] - begin};
  }

 private:
  port::PooledPages pages_;
  size_t size_ = 0;
  std::vector<size_t> ends_;
};

namespace {

// Fills in the chunking and both digests of file I of a new send, in one
// pass that reads, hashes and seals each byte once; the sealed chunks go to
// *SEALED, back to back, for the upload.
Status SealFile(SourceFiles* files, size_t i, uint32_t version, const std::string& key, uint32_t chunk_size,
                pb::FileEntry* f, std::unique_ptr<SealedFile>* sealed) {
  const uint32_t count = crypto::ChunkCount(f->size(), chunk_size);
  f->set_chunk_count(count);
  crypto::Sha256 plain;
  crypto::ChunkDigest cipher(version);
  *sealed = std::make_unique<SealedFile>(f->size() + static_cast<uint64_t>(count) * crypto::MaxSealedLen(version, 0));
  std::string part, spare;
  uint64_t cipher_size = 0;
  for (uint32_t c = 0; c < count; ++c) {
    RETURN_IF_ERROR(files->ReadInto(i, static_cast<uint64_t>(c) * chunk_size, PlainLen(*f, c, chunk_size), &part));
    plain.Update(part);
    // Sealed straight into the kept ciphertext; without room, into SPARE
    // for the digest alone, and the upload seals again.
    const size_t room = crypto::MaxSealedLen(version, part.size());
    char* out = *sealed ? (*sealed)->Room(room) : nullptr;
    if (out == nullptr) {
      sealed->reset();
      spare.resize(room);
      out = spare.data();
    }
    const size_t n = crypto::SealChunkTo(version, key, static_cast<uint32_t>(i), c, count, part, out);
    if (n == 0) return SealFailed();
    if (*sealed) (*sealed)->Keep(n);
    cipher.Update(std::string_view(out, n));
    cipher_size += n;
  }
  f->set_cipher_size(cipher_size);
  f->set_sha256(plain.Final());
  f->set_cipher_sha256(cipher.Final());
  return Status::Ok();
}

}  // namespace

StatusOr<SendResult> Agent::Send(const SendOptions& options, const Progress& progress) {
  if (options.files.empty()) return InvalidArgument("usage", "name at least one file to send");
  if (!options.to.empty()) RETURN_IF_ERROR(CheckOfficeNumber(options.to));
  if (!IsValidUtf8(options.message)) return InvalidArgument("message_not_text", "the message is not valid UTF-8");
  for (const std::string& f : options.files) {  // the outbox record keeps the paths as text
    if (!IsValidUtf8(f)) return InvalidArgument("file_name_not_text", "the path is not valid UTF-8: " + ValidUtf8(f));
  }
  if (!options.send_id.empty()) {
    if (!IsId(options.send_id)) return InvalidArgument("usage", "a send id is an id made by NewId");
    ASSIGN_OR_RETURN(std::optional<SendResult> done, AcceptedSend(options.send_id));
    if (done) return *done;
  }
  SendOptions o = options;
  const bool unchanged = options.checked && options.checked->stamps == StampFiles(options.files, env_) &&
                         std::none_of(options.checked->stamps.begin(), options.checked->stamps.end(),
                                      [](const auto& s) { return s.second < 0; });
  if (unchanged) {
    o.to = options.checked->recipient;
  } else {
    const careplan::CheckReport report = CheckFiles(options.files, config_.office, options.to, env_);
    if (!report.ok()) return FindingsStatus(report);
    o.to = report.recipient;
  }
  RETURN_IF_ERROR(CheckTerminal());
  ASSIGN_OR_RETURN(pb::OfficeInfo recipient, Lookup(o.to));
  ASSIGN_OR_RETURN(std::vector<std::string> recipient_pks, VerifyRecipient(recipient));
  if (o.on_recipient) o.on_recipient(recipient);
  SendResult result;
  result.recipient = o.to;
  result.recipient_name = recipient.name();
  SealedChunks sealed;
  ASSIGN_OR_RETURN(pb::OutboxRecord rec, PrepareSend(o, recipient_pks, recipient.name(), &result.resumed, &sealed));
  ASSIGN_OR_RETURN(pb::Manifest m, StoredManifest(rec.signed_(), "outbox record " + rec.send_id()));
  auto accepted = Deliver(rec, m, progress, o.cancel, &result.message_id, &sealed);
  if (!accepted.ok() && accepted.status().reason() == reason::kResumeChanged) {
    // Never committed (chunks are missing) and never to be: the next send
    // of these files is a new one, under a new key. Decided here again, not
    // on the reason alone, which a broker could send.
    SourceFiles again(env_, {rec.paths().begin(), rec.paths().end()});
    ASSIGN_OR_RETURN(bool as_before, ResealsAsBefore(env_, rec, m, &again));
    if (!as_before) RETURN_IF_ERROR(store_.RemoveOutbox(rec.send_id()));
  }
  ASSIGN_OR_RETURN(result.accepted_unix, std::move(accepted));
  // Accepted: keep the history, drop the outbox entry (and its key).
  pb::SentRecord sent;
  sent.set_message_id(result.message_id);
  sent.set_send_id(rec.send_id());
  sent.set_recipient_office(o.to);
  sent.set_recipient_name(recipient.name());
  sent.set_message(rec.message());
  for (const auto& f : m.files()) {
    sent.add_file_names(f.name());
    sent.add_file_sha256(f.sha256());
  }
  sent.set_accepted_unix(result.accepted_unix);
  RETURN_IF_ERROR(store_.PutSent(sent));
  // The send is accepted whatever happens here: an outbox record left
  // behind resumes as already complete.
  (void)store_.RemoveOutbox(rec.send_id());
  return result;
}

// The send with the caller's SEND_ID if it was accepted already: its outbox
// record is gone and its history kept.
StatusOr<std::optional<SendResult>> Agent::AcceptedSend(const std::string& send_id) {
  if (env_->FileExists(store_.home() + "/outbox/" + send_id + ".pb")) return std::optional<SendResult>();
  ASSIGN_OR_RETURN(std::optional<pb::SentRecord> sent, store_.FindSentBySendId(send_id));
  if (!sent) return std::optional<SendResult>();
  SendResult r;
  r.message_id = sent->message_id();
  r.recipient = sent->recipient_office();
  r.recipient_name = sent->recipient_name();
  r.accepted_unix = sent->accepted_unix();
  r.resumed = true;
  return std::optional<SendResult>(r);
}

// The end-to-end keys of every terminal of the recipient, each trusted
// because the office's own certificate signed it, not because the broker
// says so.
StatusOr<std::vector<std::string>> Agent::VerifyRecipient(const pb::OfficeInfo& info) {
  if (!info.registered() || !info.licensed()) {
    return FailedPrecondition("recipient_unlicensed", "office " + info.office() +
                                                          (info.registered() ? " licence ended " + info.licence_until()
                                                                             : " is not registered"));
  }
  if (!info.enrolled() || info.terminals_size() == 0) {
    return FailedPrecondition("recipient_not_enrolled", "office " + info.office());
  }
  std::vector<std::string> keys;
  for (const pb::TerminalKeys& t : info.terminals()) {
    ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::Certificate::FromDer(t.cert_der()));
    ASSIGN_OR_RETURN(crypto::CertInfo ci, keys_.trust->Verify(cert, env_->NowSeconds()));
    RETURN_IF_ERROR(cert.VerifySignature(t.binding(), t.binding_signature()));
    pb::EnrolmentBinding binding;
    if (!binding.ParseFromString(t.binding()) || binding.office() != info.office() || ci.office != info.office() ||
        binding.e2e_pk().size() != 32) {
      return Status(Code::kDataLoss, "signature_invalid", "a terminal key is not bound to office " + info.office());
    }
    keys.push_back(binding.e2e_pk());
  }
  return keys;
}

// The outbox record of this send: the one an interrupted earlier try left,
// or a new one.
StatusOr<pb::OutboxRecord> Agent::PrepareSend(const SendOptions& o, const std::vector<std::string>& recipient_pks,
                                              const std::string& recipient_name, bool* resumed, SealedChunks* sealed) {
  std::vector<std::string> paths;
  std::vector<uint64_t> sizes;
  for (const std::string& f : o.files) {
    if (!env_->IsRegularFile(f)) return InvalidArgument("file_unreadable", f + " is not a readable file");
    auto size = env_->GetFileSize(f);
    if (!size.ok()) return InvalidArgument("file_unreadable", f + " is not a readable file");
    paths.push_back(AbsolutePath(f));
    sizes.push_back(*size);
  }
  SourceFiles files(env_, paths);
  ASSIGN_OR_RETURN(std::vector<pb::OutboxRecord> outbox, store_.ListOutbox());
  for (pb::OutboxRecord& rec : outbox) {
    if (!o.send_id.empty()) {  // only the caller's own send, begun before, resumes
      if (rec.send_id() != o.send_id) continue;
      *resumed = true;
      return std::move(rec);
    }
    ASSIGN_OR_RETURN(pb::Manifest m, StoredManifest(rec.signed_(), "outbox record " + rec.send_id()));
    ASSIGN_OR_RETURN(bool same, SameSend(rec, m, o, sizes, recipient_pks, paths, &files, config_.chunk_size));
    if (same) {
      *resumed = true;
      return std::move(rec);
    }
  }
  *resumed = false;
  return NewOutboxRecord(o, paths, sizes, recipient_pks, recipient_name, sealed);
}

StatusOr<pb::OutboxRecord> Agent::NewOutboxRecord(const SendOptions& o, const std::vector<std::string>& paths,
                                                  const std::vector<uint64_t>& sizes,
                                                  const std::vector<std::string>& recipient_pks,
                                                  const std::string& recipient_name, SealedChunks* sealed) {
  SourceFiles files(env_, paths);
  const std::string key = crypto::NewSendKey();
  pb::Manifest m;
  m.set_version(crypto::kManifestVersion);
  m.set_send_id(o.send_id.empty() ? NewId(env_->NowMillis()) : o.send_id);
  m.set_sender_office(config_.office);
  m.set_sender_user_id(config_.user_id);
  m.set_recipient_office(o.to);
  m.set_created_unix(env_->NowSeconds());
  m.set_chunk_size(config_.chunk_size);
  sealed->clear();
  sealed->resize(paths.size());
  for (size_t i = 0; i < paths.size(); ++i) {
    pb::FileEntry* f = m.add_files();
    f->set_name(BaseName(paths[i]));
    f->set_size(sizes[i]);
    RETURN_IF_ERROR(SealFile(&files, i, m.version(), key, config_.chunk_size, f, &(*sealed)[i]));
  }
  m.set_message_cipher(
      crypto::EncryptChunk(crypto::AeadOf(m.version()), key, crypto::kMessageFileIndex, 0, 1, o.message));
  for (const std::string& pk : recipient_pks) {
    ASSIGN_OR_RETURN(std::string sealed, crypto::SealKey(key, pk));
    pb::SealedKey* k = m.add_sealed_keys();
    k->set_e2e_pk(pk);
    k->set_sealed(sealed);
  }
  const std::string bytes = m.SerializeAsString();
  ASSIGN_OR_RETURN(std::string signature, keys_.key->Sign(bytes));
  pb::OutboxRecord rec;
  rec.set_send_id(m.send_id());
  rec.set_send_key(key);
  rec.mutable_signed_()->set_manifest(bytes);
  rec.mutable_signed_()->set_signature(signature);
  rec.mutable_signed_()->set_signer_cert_der(keys_.cert->Der());
  for (const auto& p : paths) rec.add_paths(p);
  rec.set_message(o.message);
  rec.set_recipient_name(recipient_name);
  rec.set_packer(crypto::PackerId());
  RETURN_IF_ERROR(store_.PutOutbox(rec));
  return rec;
}

// Begins (or resumes) the send on the broker, uploads what it lacks and
// commits. Returns the time of acceptance; *MESSAGE_ID is the broker's id.
StatusOr<int64_t> Agent::Deliver(const pb::OutboxRecord& rec, const pb::Manifest& m, const Progress& progress,
                                 const std::atomic<bool>* cancel, std::string* message_id, SealedChunks* sealed) {
  ASSIGN_OR_RETURN(wire::Client * client, Connection());
  Status last;
  for (int round = 0; round < kMaxRounds; ++round) {
    pb::Request begin;
    *begin.mutable_send_begin()->mutable_signed_() = rec.signed_();
    ASSIGN_OR_RETURN(wire::Reply began, client->Call(begin));
    const pb::SendBeginResponse& b = began.response.send_begin();
    *message_id = b.message_id();
    if (b.complete()) return b.accepted_unix();
    const std::vector<uint64_t> present(b.present().begin(), b.present().end());
    last = Upload(rec, m, b.message_id(), present, progress, cancel, *sealed);
    if (!last.ok() && last.reason() != reason::kMessageNotFound) return last;
    if (!last.ok()) continue;  // the broker forgot the upload: begin again
    pb::Request commit;
    commit.mutable_commit()->set_message_id(b.message_id());
    auto committed = client->Call(commit);
    if (committed.ok()) return committed->response.commit().accepted_unix();
    last = committed.status();
    if (last.reason() != reason::kUploadIncomplete && last.reason() != reason::kMessageNotFound) return last;
  }
  return last;
}

// Uploads every chunk of the send not in PRESENT (keys file << 32 | chunk).
Status Agent::Upload(const pb::OutboxRecord& rec, const pb::Manifest& m, const std::string& message_id,
                     const std::vector<uint64_t>& present, const Progress& progress, const std::atomic<bool>* cancel,
                     const SealedChunks& sealed) {
  const std::set<uint64_t> have(present.begin(), present.end());
  std::vector<uint64_t> todo;
  uint64_t total = 0, done = 0;
  for (int fi = 0; fi < m.files_size(); ++fi) {
    for (uint32_t c = 0; c < m.files(fi).chunk_count(); ++c) {
      const uint64_t key = (static_cast<uint64_t>(fi) << 32) | c;
      const uint64_t len = PlainLen(m.files(fi), c, m.chunk_size());
      total += len;
      if (have.count(key))
        done += len;
      else
        todo.push_back(key);
    }
  }
  if (progress) progress("upload", done, total);
  if (rec.paths_size() != m.files_size()) {
    return Status(Code::kDataLoss, "local_record_corrupt",
                  "outbox record " + rec.send_id() + " names the wrong number of files");
  }
  ASSIGN_OR_RETURN(wire::Client * client, Connection());
  SourceFiles files(env_, {rec.paths().begin(), rec.paths().end()});
  auto kept = [&](uint32_t fi) {
    const pb::FileEntry& f = m.files(static_cast<int>(fi));
    return fi < sealed.size() && sealed[fi] != nullptr && sealed[fi]->chunks() == f.chunk_count() &&
           sealed[fi]->size() == f.cipher_size();
  };
  // Chunks not kept are sealed again (a send resumed from its outbox
  // record): only if that gives the bytes sealed before.
  if (std::any_of(todo.begin(), todo.end(), [&](uint64_t key) { return !kept(static_cast<uint32_t>(key >> 32)); })) {
    ASSIGN_OR_RETURN(bool as_before, ResealsAsBefore(env_, rec, m, &files));
    if (!as_before) {
      return FailedPrecondition(reason::kResumeChanged, "the files or the packer ('" + rec.packer() + "', now '" +
                                                            crypto::PackerId() + "') changed since send " +
                                                            rec.send_id() + " began");
    }
  }
  TransferIo io;
  io.post = [&](uint64_t key) -> StatusOr<uint64_t> {
    const uint32_t fi = static_cast<uint32_t>(key >> 32), c = static_cast<uint32_t>(key);
    const pb::FileEntry& f = m.files(static_cast<int>(fi));
    pb::Request req;
    req.mutable_chunk_put()->set_message_id(message_id);
    req.mutable_chunk_put()->set_file_index(fi);
    req.mutable_chunk_put()->set_chunk_index(c);
    if (kept(fi)) return client->Post(req, sealed[fi]->Chunk(c), true);
    // Resumed from the outbox record, files and packer checked above: the
    // same key, nonces and packing give the same ciphertext again.
    ASSIGN_OR_RETURN(std::string plain,
                     files.Read(fi, static_cast<uint64_t>(c) * m.chunk_size(), PlainLen(f, c, m.chunk_size())));
    std::string sealed_chunk = crypto::SealChunk(m.version(), rec.send_key(), fi, c, f.chunk_count(), plain);
    if (sealed_chunk.empty()) return SealFailed();
    return client->Post(req, sealed_chunk, true);
  };
  io.receive = ReceiveFrom(client);
  io.on_answer = [&](uint64_t key, std::string) {
    done += PlainLen(m.files(static_cast<int>(key >> 32)), static_cast<uint32_t>(key), m.chunk_size());
    if (progress) progress("upload", done, total);
    return Status::Ok();
  };
  TransferOptions options;
  options.window = config_.window;
  options.attempt_timeout_ms = config_.attempt_timeout_s * 1000;
  options.stall_timeout_ms = config_.timeout_s * 1000LL;
  options.cancel = cancel;
  options.stalled_detail = "upload stalled: no answer from " + config_.broker;
  Status st = RunTransfer(todo, options, io, env_);
  if (st.reason() == reason::kInterrupted) {
    return Status(
        st.code(), reason::kInterrupted,
        "stopped after " + std::to_string(done) + " of " + std::to_string(total) + " bytes; send again to resume");
  }
  return st;
}

}  // namespace tayori::agent
