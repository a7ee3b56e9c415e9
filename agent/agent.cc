#include "agent/agent.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <set>

#include "agent/drafts.h"
#include "common/crypto/curve.h"
#include "common/ids.h"
#include "common/wire/codec.h"

namespace tayori::agent {
namespace {

constexpr int kMaxRounds = 4;

std::string Keys(const std::string& home) { return home + "/keys"; }

std::string BaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

StatusOr<std::string> ReadRange(const std::string& path, uint64_t offset, uint64_t len) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument("file_unreadable", "cannot open " + path);
  in.seekg(static_cast<std::streamoff>(offset));
  std::string buf(len, '\0');
  in.read(buf.data(), static_cast<std::streamsize>(len));
  if (static_cast<uint64_t>(in.gcount()) != len) {
    return InvalidArgument("file_unreadable", path + " changed or shrank while being sent");
  }
  return buf;
}

uint64_t PlainLen(const pb::FileEntry& f, uint32_t chunk, uint32_t chunk_size) {
  const uint64_t start = static_cast<uint64_t>(chunk) * chunk_size;
  return start >= f.size() ? 0 : std::min<uint64_t>(chunk_size, f.size() - start);
}

template <typename M>
StatusOr<M> ReadRecord(const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  M m;
  if (!m.ParseFromString(bytes)) return Internal("corrupt local record " + path);
  return m;
}

Status WriteRecord(const std::string& path, const google::protobuf::MessageLite& m) {
  return WriteFileAtomic(path, m.SerializeAsString(), 0600);
}

// "name.csv", "name (2).csv", ... : the first that does not exist in DIR.
std::string UniquePath(const std::string& dir, const std::string& name,
                       const std::set<std::string>& taken) {
  std::string path = dir + "/" + name;
  const size_t dot = name.find_last_of('.');
  const std::string stem = dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
  const std::string ext = dot == std::string::npos || dot == 0 ? "" : name.substr(dot);
  for (int n = 2; FileExists(path) || taken.count(path); ++n) {
    path = dir + "/" + stem + " (" + std::to_string(n) + ")" + ext;
  }
  return path;
}

Status Errno(const std::string& what) { return IoError(what + ": " + std::strerror(errno)); }

pb::Problem ToProto(const careplan::Finding& f) {
  pb::Problem p;
  p.set_file(f.file);
  p.set_line(f.line);
  p.set_column(f.column);
  p.set_reason(careplan::CategoryReason(f.category));
  p.set_ja(f.ja);
  p.set_en(f.en);
  return p;
}

careplan::Finding FromProto(const pb::Problem& p) {
  careplan::Finding f;
  f.file = p.file();
  f.line = p.line();
  f.column = p.column();
  f.ja = p.ja();
  f.en = p.en();
  for (auto c : {careplan::Category::kName, careplan::Category::kCombination, careplan::Category::kFormat,
                 careplan::Category::kFileType, careplan::Category::kArchive, careplan::Category::kLimit,
                 careplan::Category::kParty}) {
    if (p.reason() == careplan::CategoryReason(c)) f.category = c;
  }
  return f;
}

// The rules a received message breaks. With PATHS (saved files, in manifest
// order) the content is checked too; otherwise only what the names show.
std::vector<careplan::Finding> ReceivedProblems(const pb::Manifest& m, const std::vector<std::string>& paths) {
  std::vector<careplan::FileToCheck> files;
  for (int i = 0; i < m.files_size(); ++i) {
    files.push_back({m.files(i).name(), paths.empty() ? "" : paths[static_cast<size_t>(i)], m.files(i).size()});
  }
  careplan::CheckOptions o;
  o.own_office = m.sender_office();
  o.to = m.recipient_office();
  o.content = !paths.empty();
  return careplan::CheckSend(careplan::Rules::Standard(), files, o).findings;
}

// A refusal carrying every finding (English detail; the CLI prints them in
// the user's language before it gets here).
Status FindingsStatus(const careplan::CheckReport& report) {
  std::string detail;
  for (const auto& f : report.findings) detail += (detail.empty() ? "" : "\n  ") + careplan::FormatFinding(f, false);
  return InvalidArgument(careplan::CategoryReason(report.findings[0].category), detail);
}

}  // namespace

// ------------------------------------------------------------------ set-up

Status Agent::Init(const InitOptions& o, Env* env) {
  if (FileExists(o.home + "/agent.yaml") && !o.force) {
    return Status(Code::kAlreadyExists, "already_exists",
                  o.home + " is already set up; pass --force to replace it");
  }
  auto cert_pem = ReadFile(o.cert_path);
  if (!cert_pem.ok()) return InvalidArgument("file_unreadable", "certificate " + o.cert_path);
  auto key_pem = ReadFile(o.key_path);
  if (!key_pem.ok()) return InvalidArgument("file_unreadable", "private key " + o.key_path);
  ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::Certificate::FromPem(*cert_pem));
  ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::PrivateKey::FromPem(*key_pem));
  RETURN_IF_ERROR(key.CheckMatches(cert));
  ASSIGN_OR_RETURN(crypto::CertInfo info, cert.Info());
  auto broker_raw = crypto::Z85Decode32(o.broker_key);
  if (!broker_raw.ok()) return InvalidArgument("usage", "--broker-key is not a 40-character Z85 key");

  AgentConfig config;
  config.broker = o.broker;
  config.broker_key = o.broker_key;
  config.office = info.office;
  config.user_id = info.user_id;
  RETURN_IF_ERROR(ParseAgentConfig(FormatAgentConfig(config)).status());

  ASSIGN_OR_RETURN(crypto::CurveKeyPair curve, crypto::NewCurveKeyPair());
  std::string ca_pem;
  if (!o.ca_path.empty()) {
    auto read = ReadFile(o.ca_path);
    if (!read.ok()) return InvalidArgument("file_unreadable", "CA certificate " + o.ca_path);
    ca_pem = *read;
  } else {
    // No CA given: ask the broker for it once and pin it from then on.
    wire::ClientOptions co;
    co.endpoint = config.broker;
    co.server_key = config.broker_key;
    co.public_key = curve.public_z85;
    co.secret_key = curve.secret_z85;
    co.deadline_ms = config.timeout_s * 1000;
    ASSIGN_OR_RETURN(auto client, wire::Client::Connect(co));
    pb::Request req;
    req.mutable_get_trust();
    ASSIGN_OR_RETURN(wire::Reply reply, client->Call(req));
    ASSIGN_OR_RETURN(crypto::Certificate ca, crypto::Certificate::FromDer(reply.response.trust().ca_cert_der()));
    ca_pem = ca.Pem();
  }
  ASSIGN_OR_RETURN(crypto::TrustStore trust, crypto::TrustStore::FromPem(ca_pem, ""));
  // Refuse proxy, disability, expired and foreign certificates here already.
  RETURN_IF_ERROR(trust.Verify(cert, env->NowSeconds()).status());

  const crypto::BoxKeyPair e2e = crypto::NewBoxKeyPair();
  for (const char* sub : {"/keys", "/outbox", "/sent", "/received"}) {
    RETURN_IF_ERROR(MakeDirs(o.home + sub, 0700));
  }
  RETURN_IF_ERROR(WriteFileAtomic(Keys(o.home) + "/cert.pem", *cert_pem, 0600));
  RETURN_IF_ERROR(WriteFileAtomic(Keys(o.home) + "/key.pem", *key_pem, 0600));
  RETURN_IF_ERROR(WriteFileAtomic(Keys(o.home) + "/ca.pem", ca_pem, 0600));
  RETURN_IF_ERROR(WriteFileAtomic(Keys(o.home) + "/curve.key", curve.secret_z85 + "\n", 0600));
  RETURN_IF_ERROR(WriteFileAtomic(Keys(o.home) + "/e2e.key", e2e.pk + e2e.sk, 0600));
  return WriteFileAtomic(o.home + "/agent.yaml", FormatAgentConfig(config), 0600);
}

careplan::CheckReport Agent::CheckFiles(const std::vector<std::string>& paths,
                                       const std::string& own_office, const std::string& to) {
  std::vector<careplan::FileToCheck> files;
  careplan::CheckReport unreadable;
  for (const std::string& path : paths) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      careplan::Finding f;
      f.file = BaseName(path);
      f.category = careplan::Category::kFileType;
      f.ja = "ファイルが見つからないか、読み込めません（" + path + "）。";
      f.en = "no such file, or it cannot be read (" + path + ")";
      unreadable.findings.push_back(f);
      continue;
    }
    files.push_back({BaseName(path), path, static_cast<uint64_t>(st.st_size)});
  }
  careplan::CheckOptions o;
  o.own_office = own_office;
  o.to = to;
  careplan::CheckReport report = careplan::CheckSend(careplan::Rules::Standard(), files, o);
  report.findings.insert(report.findings.begin(), unreadable.findings.begin(), unreadable.findings.end());
  return report;
}

StatusOr<std::unique_ptr<Agent>> Agent::Open(const std::string& home, Env* env) {
  auto text = ReadFile(home + "/agent.yaml");
  if (!text.ok()) return FailedPrecondition("not_initialised", "no " + home + "/agent.yaml");
  ASSIGN_OR_RETURN(AgentConfig config, ParseAgentConfig(*text));
  std::unique_ptr<Agent> agent(new Agent(home, config, env));
  RETURN_IF_ERROR(agent->Load());
  return agent;
}

Status Agent::Load() {
  const std::string k = Keys(home_);
  ASSIGN_OR_RETURN(std::string cert_pem, ReadFile(k + "/cert.pem"));
  ASSIGN_OR_RETURN(std::string key_pem, ReadFile(k + "/key.pem"));
  ASSIGN_OR_RETURN(std::string ca_pem, ReadFile(k + "/ca.pem"));
  ASSIGN_OR_RETURN(std::string curve, ReadFile(k + "/curve.key"));
  ASSIGN_OR_RETURN(std::string e2e, ReadFile(k + "/e2e.key"));
  ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::Certificate::FromPem(cert_pem));
  ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::PrivateKey::FromPem(key_pem));
  ASSIGN_OR_RETURN(crypto::TrustStore trust, crypto::TrustStore::FromPem(ca_pem, ""));
  cert_ = std::make_unique<crypto::Certificate>(std::move(cert));
  key_ = std::make_unique<crypto::PrivateKey>(std::move(key));
  trust_ = std::make_unique<crypto::TrustStore>(std::move(trust));
  while (!curve.empty() && (curve.back() == '\n' || curve.back() == '\r')) curve.pop_back();
  curve_secret_ = curve;
  ASSIGN_OR_RETURN(curve_public_, crypto::CurvePublicFromSecret(curve_secret_));
  if (e2e.size() != 64) return Internal("corrupt " + k + "/e2e.key");
  e2e_.pk = e2e.substr(0, 32);
  e2e_.sk = e2e.substr(32);
  return Status::Ok();
}

StatusOr<wire::Client*> Agent::Connection() {
  if (!client_) {
    wire::ClientOptions o;
    o.endpoint = config_.broker;
    o.server_key = config_.broker_key;
    o.public_key = curve_public_;
    o.secret_key = curve_secret_;
    o.attempt_timeout_ms = config_.attempt_timeout_s * 1000;
    o.deadline_ms = config_.timeout_s * 1000;
    o.max_frame = static_cast<int64_t>(config_.chunk_size) * 2 + 65536;
    ASSIGN_OR_RETURN(client_, wire::Client::Connect(o));
  }
  return client_.get();
}

// R6: the certificate on this PC must be the configured office's, valid now.
Status Agent::CheckTerminal() {
  ASSIGN_OR_RETURN(crypto::CertInfo info, cert_->Info());
  if (info.office != config_.office || info.user_id != config_.user_id) {
    return PermissionDenied("cert_mismatch", "this terminal is set up for " + config_.office + "/" +
                                                 config_.user_id + " but holds the certificate of " +
                                                 info.office + "/" + info.user_id);
  }
  if (!key_->CheckMatches(*cert_).ok()) {
    return PermissionDenied("cert_mismatch", "the private key on this terminal is not the certificate's");
  }
  return trust_->Verify(*cert_, env_->NowSeconds()).status();
}

StatusOr<pb::OfficeInfo> Agent::Enrol() {
  RETURN_IF_ERROR(CheckTerminal());
  pb::EnrolmentBinding binding;
  binding.set_office(config_.office);
  binding.set_user_id(config_.user_id);
  ASSIGN_OR_RETURN(std::string curve_raw, crypto::Z85Decode32(curve_public_));
  binding.set_curve_pk(curve_raw);
  binding.set_e2e_pk(e2e_.pk);
  binding.set_created_unix(env_->NowSeconds());
  const std::string bytes = binding.SerializeAsString();
  ASSIGN_OR_RETURN(std::string signature, key_->Sign(bytes));
  pb::Request req;
  req.mutable_enrol()->set_cert_der(cert_->Der());
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

// ------------------------------------------------------------------ sending

StatusOr<std::vector<std::string>> Agent::VerifyRecipient(const pb::OfficeInfo& info) {
  if (!info.registered() || !info.licensed()) {
    return FailedPrecondition("recipient_unlicensed",
                              "office " + info.office() +
                                  (info.registered() ? " licence ended " + info.licence_until()
                                                     : " is not registered"));
  }
  if (!info.enrolled() || info.terminals_size() == 0) {
    return FailedPrecondition("recipient_not_enrolled", "office " + info.office());
  }
  // Each terminal's key is trusted because the office's own certificate
  // signed it, not because the broker says so.
  std::vector<std::string> keys;
  for (const pb::TerminalKeys& t : info.terminals()) {
    ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::Certificate::FromDer(t.cert_der()));
    ASSIGN_OR_RETURN(crypto::CertInfo ci, trust_->Verify(cert, env_->NowSeconds()));
    RETURN_IF_ERROR(cert.VerifySignature(t.binding(), t.binding_signature()));
    pb::EnrolmentBinding binding;
    if (!binding.ParseFromString(t.binding()) || binding.office() != info.office() ||
        ci.office != info.office() || binding.e2e_pk().size() != 32) {
      return Status(Code::kDataLoss, "signature_invalid",
                    "a terminal key is not bound to office " + info.office());
    }
    keys.push_back(binding.e2e_pk());
  }
  return keys;
}

StatusOr<std::string> Agent::OwnSendKey(const pb::Manifest& m) const {
  for (const pb::SealedKey& k : m.sealed_keys()) {
    if (k.e2e_pk() == e2e_.pk) return crypto::OpenSealedKey(k.sealed(), e2e_);
  }
  return Status(Code::kDataLoss, "signature_invalid",
                "this message is not encrypted to this terminal (enrolled after it was sent?)");
}

StatusOr<pb::OutboxRecord> Agent::PrepareSend(const SendOptions& o, const std::vector<std::string>& recipient_pks,
                                              const std::string& recipient_name, bool* resumed) {
  std::vector<std::string> paths;
  std::vector<uint64_t> sizes;
  for (const std::string& f : o.files) {
    struct stat st {};
    if (::stat(f.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return InvalidArgument("file_unreadable", f + " is not a readable file");
    }
    paths.push_back(AbsolutePath(f));
    sizes.push_back(static_cast<uint64_t>(st.st_size));
  }
  // The same send interrupted earlier resumes under its id: same recipient,
  // message and files, byte for byte (checked by digest only when the rest
  // matches, so a new send reads its files no more than it must).
  for (const std::string& name : ListDir(home_ + "/outbox")) {
    auto rec = ReadRecord<pb::OutboxRecord>(home_ + "/outbox/" + name);
    if (!rec.ok()) continue;
    pb::Manifest m;
    m.ParseFromString(rec->signed_().manifest());
    bool same = m.recipient_office() == o.to && rec->message() == o.message &&
                rec->paths_size() == static_cast<int>(paths.size()) &&
                m.sealed_keys_size() == static_cast<int>(recipient_pks.size());
    for (int k = 0; same && k < m.sealed_keys_size(); ++k) {
      same = std::find(recipient_pks.begin(), recipient_pks.end(), m.sealed_keys(k).e2e_pk()) != recipient_pks.end();
    }
    for (size_t i = 0; same && i < paths.size(); ++i) {
      same = rec->paths(static_cast<int>(i)) == paths[i] && m.files(static_cast<int>(i)).size() == sizes[i];
    }
    for (size_t i = 0; same && i < paths.size(); ++i) {
      crypto::Sha256 h;
      for (uint64_t off = 0; off < sizes[i]; off += config_.chunk_size) {
        ASSIGN_OR_RETURN(std::string part, ReadRange(paths[i], off, std::min<uint64_t>(config_.chunk_size, sizes[i] - off)));
        h.Update(part);
      }
      same = m.files(static_cast<int>(i)).sha256() == h.Final();
    }
    if (same) {
      *resumed = true;
      return std::move(rec).value();
    }
  }
  // A new send: pass 1 encrypts to learn the ciphertext digests.
  pb::OutboxRecord rec;
  const std::string key = crypto::NewSendKey();
  pb::Manifest m;
  m.set_version(1);
  m.set_send_id(NewId(env_->NowMillis()));
  m.set_sender_office(config_.office);
  m.set_sender_user_id(config_.user_id);
  m.set_recipient_office(o.to);
  m.set_created_unix(env_->NowSeconds());
  m.set_chunk_size(config_.chunk_size);
  for (size_t i = 0; i < paths.size(); ++i) {
    pb::FileEntry* f = m.add_files();
    f->set_name(BaseName(paths[i]));
    f->set_size(sizes[i]);
    const uint32_t count = crypto::ChunkCount(sizes[i], config_.chunk_size);
    f->set_chunk_count(count);
    f->set_cipher_size(sizes[i] + count * crypto::kChunkOverhead);
    crypto::Sha256 plain, cipher;
    for (uint32_t c = 0; c < count; ++c) {
      ASSIGN_OR_RETURN(std::string part, ReadRange(paths[i], static_cast<uint64_t>(c) * config_.chunk_size,
                                                   PlainLen(*f, c, config_.chunk_size)));
      plain.Update(part);
      cipher.Update(crypto::EncryptChunk(key, static_cast<uint32_t>(i), c, count, part));
    }
    f->set_sha256(plain.Final());
    f->set_cipher_sha256(cipher.Final());
  }
  m.set_message_cipher(crypto::EncryptChunk(key, crypto::kMessageFileIndex, 0, 1, o.message));
  for (const std::string& pk : recipient_pks) {
    ASSIGN_OR_RETURN(std::string sealed, crypto::SealKey(key, pk));
    pb::SealedKey* k = m.add_sealed_keys();
    k->set_e2e_pk(pk);
    k->set_sealed(sealed);
  }
  const std::string bytes = m.SerializeAsString();
  ASSIGN_OR_RETURN(std::string signature, key_->Sign(bytes));
  rec.set_send_id(m.send_id());
  rec.set_send_key(key);
  rec.mutable_signed_()->set_manifest(bytes);
  rec.mutable_signed_()->set_signature(signature);
  rec.mutable_signed_()->set_signer_cert_der(cert_->Der());
  for (const auto& p : paths) rec.add_paths(p);
  rec.set_message(o.message);
  rec.set_recipient_name(recipient_name);
  RETURN_IF_ERROR(WriteRecord(home_ + "/outbox/" + rec.send_id() + ".pb", rec));
  *resumed = false;
  return rec;
}

Status Agent::Upload(const pb::OutboxRecord& rec, const std::string& message_id,
                     const std::vector<uint64_t>& present, const Progress& progress,
                     const std::atomic<bool>* cancel) {
  pb::Manifest m;
  m.ParseFromString(rec.signed_().manifest());
  const std::set<uint64_t> have(present.begin(), present.end());
  std::deque<uint64_t> todo;
  uint64_t total = 0, done = 0;
  for (int fi = 0; fi < m.files_size(); ++fi) {
    for (uint32_t c = 0; c < m.files(fi).chunk_count(); ++c) {
      const uint64_t key = (static_cast<uint64_t>(fi) << 32) | c;
      const uint64_t len = PlainLen(m.files(fi), c, m.chunk_size());
      total += len;
      if (have.count(key)) done += len; else todo.push_back(key);
    }
  }
  if (progress) progress("upload", done, total);
  ASSIGN_OR_RETURN(wire::Client * client, Connection());
  // Gives up only when no answer at all has come for timeout_s.
  int64_t deadline = env_->NowMillis() + config_.timeout_s * 1000LL;
  std::map<uint64_t, uint64_t> inflight;  // req_id -> chunk key
  while (!todo.empty() || !inflight.empty()) {
    if (cancel != nullptr && cancel->load()) {
      return Status(Code::kDeadlineExceeded, "interrupted", "stopped after " + std::to_string(done) + " of " +
                                                               std::to_string(total) + " bytes; send again to resume");
    }
    while (inflight.size() < config_.window && !todo.empty()) {
      const uint64_t key = todo.front();
      const uint32_t fi = static_cast<uint32_t>(key >> 32), c = static_cast<uint32_t>(key);
      const pb::FileEntry& f = m.files(static_cast<int>(fi));
      ASSIGN_OR_RETURN(std::string plain, ReadRange(rec.paths(static_cast<int>(fi)),
                                                    static_cast<uint64_t>(c) * m.chunk_size(),
                                                    PlainLen(f, c, m.chunk_size())));
      pb::Request req;
      req.mutable_chunk_put()->set_message_id(message_id);
      req.mutable_chunk_put()->set_file_index(fi);
      req.mutable_chunk_put()->set_chunk_index(c);
      auto id = client->Post(req, crypto::EncryptChunk(rec.send_key(), fi, c, f.chunk_count(), plain), true);
      if (!id.ok()) break;  // not connected: wait below, then try again
      todo.pop_front();
      inflight[*id] = key;
    }
    auto reply = client->Receive(config_.attempt_timeout_s * 1000);
    if (!reply.ok()) {
      if (env_->NowMillis() > deadline) {
        return Status(Code::kUnavailable, "unavailable", "upload stalled: no answer from " + config_.broker);
      }
      // Answers lost (e.g. the broker restarted): ask again for all in flight.
      for (auto it = inflight.rbegin(); it != inflight.rend(); ++it) todo.push_front(it->second);
      inflight.clear();
      continue;
    }
    auto it = inflight.find(reply->response.req_id());
    if (it == inflight.end()) continue;
    RETURN_IF_ERROR(wire::StatusFromResponse(reply->response));
    const uint64_t key = it->second;
    done += PlainLen(m.files(static_cast<int>(key >> 32)), static_cast<uint32_t>(key), m.chunk_size());
    inflight.erase(it);
    deadline = env_->NowMillis() + config_.timeout_s * 1000LL;
    if (progress) progress("upload", done, total);
  }
  return Status::Ok();
}

StatusOr<SendResult> Agent::Send(const SendOptions& options, const Progress& progress) {
  if (options.files.empty()) return InvalidArgument("usage", "name at least one file to send");
  if (!options.to.empty()) RETURN_IF_ERROR(CheckOfficeNumber(options.to));
  const careplan::CheckReport report = CheckFiles(options.files, config_.office, options.to);
  if (!report.ok()) return FindingsStatus(report);
  SendOptions o = options;
  o.to = report.recipient;
  RETURN_IF_ERROR(CheckTerminal());
  ASSIGN_OR_RETURN(pb::OfficeInfo recipient, Lookup(o.to));
  ASSIGN_OR_RETURN(std::vector<std::string> recipient_pks, VerifyRecipient(recipient));
  if (o.on_recipient) o.on_recipient(recipient);
  SendResult result;
  result.recipient = o.to;
  result.recipient_name = recipient.name();
  ASSIGN_OR_RETURN(pb::OutboxRecord rec, PrepareSend(o, recipient_pks, recipient.name(), &result.resumed));
  ASSIGN_OR_RETURN(wire::Client * client, Connection());
  Status last;
  for (int round = 0; round < kMaxRounds; ++round) {
    pb::Request begin;
    *begin.mutable_send_begin()->mutable_signed_() = rec.signed_();
    ASSIGN_OR_RETURN(wire::Reply began, client->Call(begin));
    const pb::SendBeginResponse& b = began.response.send_begin();
    result.message_id = b.message_id();
    if (!b.complete()) {
      std::vector<uint64_t> present(b.present().begin(), b.present().end());
      last = Upload(rec, b.message_id(), present, progress, o.cancel);
      if (!last.ok() && last.reason() != "message_not_found") return last;
      if (!last.ok()) continue;
      pb::Request commit;
      commit.mutable_commit()->set_message_id(b.message_id());
      auto committed = client->Call(commit);
      if (!committed.ok()) {
        last = committed.status();
        if (last.reason() == "upload_incomplete" || last.reason() == "message_not_found") continue;
        return last;
      }
      result.accepted_unix = committed->response.commit().accepted_unix();
    } else {
      result.accepted_unix = b.accepted_unix();
    }
    // Accepted: keep the history, drop the outbox entry (and its key).
    pb::Manifest m;
    m.ParseFromString(rec.signed_().manifest());
    pb::SentRecord sent;
    sent.set_message_id(result.message_id);
    sent.set_send_id(rec.send_id());
    sent.set_recipient_office(o.to);
    sent.set_recipient_name(recipient.name());
    sent.set_message(rec.message());
    for (const auto& f : m.files()) sent.add_file_names(f.name());
    sent.set_accepted_unix(result.accepted_unix);
    RETURN_IF_ERROR(WriteRecord(home_ + "/sent/" + result.message_id + ".pb", sent));
    ::unlink((home_ + "/outbox/" + rec.send_id() + ".pb").c_str());
    return result;
  }
  return last;
}

// ------------------------------------------------------------------ receiving

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

std::string Agent::DecryptMessage(const pb::Manifest& m) {
  auto key = OwnSendKey(m);
  if (!key.ok()) return "";
  auto text = crypto::DecryptChunk(*key, crypto::kMessageFileIndex, 0, 1, m.message_cipher());
  return text.ok() ? *text : "";
}

StatusOr<std::vector<InboxItem>> Agent::Inbox() {
  ASSIGN_OR_RETURN(std::vector<pb::MailEntry> entries, ListAll(true));
  std::set<std::string> seen;
  const std::string seen_path = home_ + "/seen.txt";
  auto seen_text = ReadFile(seen_path);
  if (seen_text.ok()) {
    for (size_t pos = 0; pos + 26 <= seen_text->size(); pos += 27) seen.insert(seen_text->substr(pos, 26));
  }
  std::vector<InboxItem> items;
  std::string new_seen = seen_text.ok() ? *seen_text : "";
  for (auto& e : entries) {
    InboxItem item;
    pb::Manifest m;
    if (m.ParseFromString(e.signed_().manifest())) item.message = DecryptMessage(m);
    item.problems = ReceivedProblems(m, {});
    auto received = ReadRecord<pb::ReceivedRecord>(home_ + "/received/" + e.message_id() + ".pb");
    if (received.ok()) {
      item.problems.clear();  // the content check covers the names too
      for (const auto& p : received->problems()) item.problems.push_back(FromProto(p));
    }
    item.is_new = !seen.count(e.message_id()) && e.state() == pb::DELIVERED;
    if (!seen.count(e.message_id())) new_seen += e.message_id() + "\n";
    item.entry = std::move(e);
    items.push_back(std::move(item));
  }
  if (seen_text.ok() ? new_seen != *seen_text : !new_seen.empty()) {
    RETURN_IF_ERROR(WriteFileAtomic(seen_path, new_seen, 0600));
  }
  return items;
}

StatusOr<crypto::CertInfo> Agent::VerifyEntry(const pb::MailEntry& entry, pb::Manifest* m) {
  const pb::SignedManifest& s = entry.signed_();
  if (!m->ParseFromString(s.manifest())) {
    return Status(Code::kDataLoss, "signature_invalid", "manifest does not parse");
  }
  ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::Certificate::FromDer(s.signer_cert_der()));
  // Checked as of the time the broker accepted the send.
  ASSIGN_OR_RETURN(crypto::CertInfo info, trust_->Verify(cert, entry.accepted_unix()));
  RETURN_IF_ERROR(cert.VerifySignature(s.manifest(), s.signature()));
  if (info.office != m->sender_office() || info.office != entry.sender_office() ||
      m->recipient_office() != config_.office) {
    return Status(Code::kDataLoss, "signature_invalid",
                  "signed parties do not match: signer " + info.office + ", sender " +
                      m->sender_office() + ", recipient " + m->recipient_office());
  }
  return info;
}

StatusOr<FetchResult> Agent::Fetch(const std::string& id, const std::string& dest,
                                   const Progress& progress) {
  if (!IsId(id)) return InvalidArgument("message_not_found", "'" + id + "' is not a message id");
  RETURN_IF_ERROR(CheckTerminal());
  ASSIGN_OR_RETURN(wire::Client * client, Connection());
  FetchResult result;
  result.message_id = id;
  const std::string record_path = home_ + "/received/" + id + ".pb";
  pb::ReceivedRecord record;
  if (FileExists(record_path)) {
    ASSIGN_OR_RETURN(record, ReadRecord<pb::ReceivedRecord>(record_path));
    if (record.downloaded_unix() != 0) {
      std::string where;
      for (const auto& p : record.saved_paths()) where += "\n    " + p;
      return FailedPrecondition("already_downloaded", id + " was saved at " +
                                                          JstDateTime(record.downloaded_unix()) +
                                                          " JST to:" + where);
    }
    // Saved before, but the acknowledgement did not reach the broker: send it now.
  } else {
    pb::Request begin;
    begin.mutable_fetch_begin()->set_message_id(id);
    ASSIGN_OR_RETURN(wire::Reply began, client->Call(begin));
    const pb::MailEntry& entry = began.response.fetch_begin().entry();
    pb::Manifest m;
    RETURN_IF_ERROR(VerifyEntry(entry, &m).status());
    ASSIGN_OR_RETURN(std::string key, OwnSendKey(m));
    RETURN_IF_ERROR(MakeDirs(dest, 0755));
    uint64_t total = 0, done = 0;
    for (const auto& f : m.files()) total += f.size();
    std::vector<std::string> parts;
    auto cleanup = [&parts] { for (const auto& p : parts) ::unlink(p.c_str()); };
    for (int fi = 0; fi < m.files_size(); ++fi) {
      const pb::FileEntry& f = m.files(fi);
      if (!IsSafeFileName(f.name()) || f.name()[0] == '.') {
        cleanup();
        return Status(Code::kDataLoss, "signature_invalid", "unsafe file name '" + f.name() + "'");
      }
      const std::string part = dest + "/.tayori-" + id + "-" + std::to_string(fi) + ".part";
      parts.push_back(part);
      // A download interrupted earlier (agent killed, network gone) left
      // its verified prefix in the .part file: keep whole chunks of it and
      // continue from the first missing one.
      int fd = ::open(part.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0) {
        cleanup();
        return Errno("cannot write into " + dest);
      }
      crypto::Sha256 hash;
      uint64_t written = 0;
      uint32_t resume_at = 0;
      {
        struct stat st_part {};
        ::fstat(fd, &st_part);
        const uint64_t have = std::min<uint64_t>(static_cast<uint64_t>(st_part.st_size), f.size());
        resume_at = static_cast<uint32_t>(std::min<uint64_t>(have / m.chunk_size(), f.chunk_count()));
        if (f.size() == 0) resume_at = 0;
        written = static_cast<uint64_t>(resume_at) * m.chunk_size();
        if (written > f.size()) written = f.size();
        std::string prefix(static_cast<size_t>(written), '\0');
        if (::pread(fd, prefix.data(), prefix.size(), 0) != static_cast<ssize_t>(prefix.size()) ||
            ::ftruncate(fd, static_cast<off_t>(written)) != 0 || ::lseek(fd, static_cast<off_t>(written), SEEK_SET) < 0) {
          ::close(fd);
          cleanup();
          return Errno("cannot resume " + part);
        }
        hash.Update(prefix);  // the final digest check covers the kept prefix too
        done += written;
        if (progress && written > 0) progress("download", done, total);
      }
      Status st;
      // Pipelined: up to `window` chunk requests out; written in order.
      std::map<uint64_t, uint32_t> inflight;
      std::map<uint32_t, std::string> ready;
      uint32_t next_send = resume_at, next_write = resume_at;
      int64_t deadline = env_->NowMillis() + config_.timeout_s * 1000LL;  // reset per answer
      while (st.ok() && next_write < f.chunk_count()) {
        while (inflight.size() + ready.size() < config_.window && next_send < f.chunk_count()) {
          pb::Request req;
          req.mutable_chunk_get()->set_message_id(id);
          req.mutable_chunk_get()->set_file_index(static_cast<uint32_t>(fi));
          req.mutable_chunk_get()->set_chunk_index(next_send);
          auto rid = client->Post(req, "", false);
          if (!rid.ok()) break;
          inflight[*rid] = next_send++;
        }
        auto reply = client->Receive(config_.attempt_timeout_s * 1000);
        if (!reply.ok()) {
          if (env_->NowMillis() > deadline) {
            st = Status(Code::kUnavailable, "unavailable", "download stalled");
            break;
          }
          // Ask again for everything not yet answered.
          uint32_t lowest = next_send;
          for (const auto& kv : inflight) lowest = std::min(lowest, kv.second);
          inflight.clear();
          next_send = lowest;
          continue;
        }
        auto it = inflight.find(reply->response.req_id());
        if (it == inflight.end()) continue;
        const uint32_t c = it->second;
        inflight.erase(it);
        deadline = env_->NowMillis() + config_.timeout_s * 1000LL;
        st = wire::StatusFromResponse(reply->response);
        if (!st.ok()) break;
        auto plain = crypto::DecryptChunk(key, static_cast<uint32_t>(fi), c, f.chunk_count(), reply->data);
        if (!plain.ok()) {
          st = plain.status();
          break;
        }
        ready[c] = std::move(plain).value();
        while (!ready.empty() && ready.begin()->first == next_write) {
          const std::string& data = ready.begin()->second;
          hash.Update(data);
          if (::write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
            st = Errno("cannot write " + part);
            break;
          }
          written += data.size();
          done += data.size();
          ready.erase(ready.begin());
          ++next_write;
        }
        if (progress) progress("download", done, total);
      }
      if (st.ok() && (written != f.size() || hash.Final() != f.sha256())) {
        st = Status(Code::kDataLoss, "digest_mismatch", "'" + f.name() + "' does not match its signed digest");
      }
      if (st.ok() && ::fsync(fd) != 0) st = Errno("fsync failed for " + part);
      ::close(fd);
      if (!st.ok()) {
        // Keep what arrived for the next try, unless it is wrong.
        if (st.code() == Code::kDataLoss) cleanup();
        return st;
      }
    }
    // Every file verified and on disk: give them their names.
    std::set<std::string> taken;
    for (int fi = 0; fi < m.files_size(); ++fi) {
      const std::string final_path = UniquePath(dest, m.files(fi).name(), taken);
      taken.insert(final_path);
      if (::rename(parts[static_cast<size_t>(fi)].c_str(), final_path.c_str()) != 0) {
        Status st = Errno("cannot rename into " + final_path);
        cleanup();
        return st;
      }
      record.add_saved_paths(AbsolutePath(final_path));
    }
    RETURN_IF_ERROR(FsyncDir(dest));
    *record.mutable_entry() = entry;
    record.set_message(DecryptMessage(m));
    // The sender's agent checked the files, but it may be modified or old:
    // check again and flag what does not conform instead of passing it on.
    const std::vector<std::string> saved(record.saved_paths().begin(), record.saved_paths().end());
    for (const auto& f : ReceivedProblems(m, saved)) *record.add_problems() = ToProto(f);
    RETURN_IF_ERROR(WriteRecord(record_path, record));
  }
  // The receipt: this office signs that it holds exactly the signed files.
  pb::Manifest m;
  m.ParseFromString(record.entry().signed_().manifest());
  pb::Receipt receipt;
  receipt.set_message_id(id);
  receipt.set_manifest_sha256(crypto::Sha256Of(record.entry().signed_().manifest()));
  receipt.set_recipient_office(config_.office);
  receipt.set_recipient_user_id(config_.user_id);
  receipt.set_downloaded_unix(env_->NowSeconds());
  for (const auto& f : m.files()) receipt.add_file_sha256(f.sha256());
  const std::string receipt_bytes = receipt.SerializeAsString();
  ASSIGN_OR_RETURN(std::string receipt_signature, key_->Sign(receipt_bytes));
  pb::Request ack;
  ack.mutable_ack()->set_message_id(id);
  ack.mutable_ack()->set_receipt(receipt_bytes);
  ack.mutable_ack()->set_receipt_signature(receipt_signature);
  ASSIGN_OR_RETURN(wire::Reply acked, client->Call(ack));
  record.set_downloaded_unix(acked.response.ack().downloaded_unix());
  RETURN_IF_ERROR(WriteRecord(record_path, record));
  result.downloaded_unix = record.downloaded_unix();
  result.saved_paths.assign(record.saved_paths().begin(), record.saved_paths().end());
  for (const auto& p : record.problems()) result.problems.push_back(FromProto(p));
  return result;
}

StatusOr<std::vector<SentItem>> Agent::Sent() {
  ASSIGN_OR_RETURN(std::vector<pb::MailEntry> entries, ListAll(false));
  std::vector<SentItem> items;
  for (auto& e : entries) {
    SentItem item;
    auto local = ReadRecord<pb::SentRecord>(home_ + "/sent/" + e.message_id() + ".pb");
    if (local.ok()) item.message = local->message();
    item.entry = std::move(e);
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace tayori::agent
