#include "broker/server.h"

#include <chrono>
#include <map>
#include <set>
#include <vector>

#include "broker/log.h"
#include "broker/rocksdb_mailbox_store.h"
#include "common/careplan/check.h"
#include "common/crypto/curve.h"
#include "common/crypto/e2e.h"
#include "common/crypto/x509.h"
#include "common/ids.h"

namespace tayori::broker {
namespace {

constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";
constexpr const char* kOfficeDomain = "tayori";
constexpr const char* kAdminDomain = "tayori-admin";
constexpr uint32_t kDefaultPage = 100;
constexpr uint32_t kMaxPage = 500;
// Messages expired per turn of the serving loop: small, so a send waits for
// at most one batch however much is due.
constexpr size_t kSweepBatch = 100;
constexpr int kZapEnforceDomain = 93;  // ZMQ_ZAP_ENFORCE_DOMAIN (draft API)

// Loads the Z85 secret key in PATH, creating a new key pair there if absent.
StatusOr<crypto::CurveKeyPair> LoadOrCreateKey(const std::string& path) {
  if (FileExists(path)) {
    ASSIGN_OR_RETURN(std::string text, ReadFile(path));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    auto pub = crypto::CurvePublicFromSecret(text);
    if (!pub.ok()) return InvalidArgument("config_invalid", "corrupt key file " + path);
    return crypto::CurveKeyPair{*pub, text};
  }
  ASSIGN_OR_RETURN(crypto::CurveKeyPair kp, crypto::NewCurveKeyPair());
  RETURN_IF_ERROR(WriteFileAtomic(path, kp.secret_z85 + "\n", 0600));
  return kp;
}

uint64_t PlainChunkLen(const pb::FileEntry& f, uint32_t chunk, uint32_t chunk_size) {
  const uint64_t start = static_cast<uint64_t>(chunk) * chunk_size;
  if (start >= f.size()) return 0;
  return std::min<uint64_t>(chunk_size, f.size() - start);
}

std::string Str(const zmq::message_t& m) { return m.to_string(); }

}  // namespace

Server::Server(BrokerOptions options)
    : options_(std::move(options)),
      trust_(options_.ca_cert, options_.ca_crl),
      context_(options_.io_threads) {}

Server::~Server() {
  zap_stop_ = true;
  if (zap_thread_.joinable()) zap_thread_.join();
  router_.close();
  admin_.close();
  zap_.close();
  context_.close();
}

StatusOr<std::unique_ptr<Server>> Server::Start(BrokerOptions options) {
  std::unique_ptr<Server> server(new Server(std::move(options)));
  RETURN_IF_ERROR(server->Init());
  return server;
}

Status Server::Init() {
  RETURN_IF_ERROR(MakeDirs(options_.data_dir, 0700));
  StoreOptions store_options;
  store_options.env = options_.env;
  // Nothing legitimately lives longer than this; a day's margin on top.
  store_options.backstop_seconds = std::max(options_.upload_timeout_seconds,
                                            options_.retention_seconds + options_.expired_keep_seconds) + 86400;
  ASSIGN_OR_RETURN(store_, RocksDbMailboxStore::Open(options_.data_dir + "/store", store_options));
  RETURN_IF_ERROR(CountPending());
  ASSIGN_OR_RETURN(crypto::CurveKeyPair server_key, LoadOrCreateKey(options_.data_dir + "/server.key"));
  ASSIGN_OR_RETURN(crypto::CurveKeyPair admin_key, LoadOrCreateKey(options_.data_dir + "/admin.key"));
  public_key_ = server_key.public_z85;
  secret_key_ = server_key.secret_z85;
  ASSIGN_OR_RETURN(admin_public_raw_, crypto::Z85Decode32(admin_key.public_z85));

  try {
    // The ZAP handler is bound before any CURVE socket binds: libzmq 4.3
    // lets every key in when no handler answers.
    zap_ = zmq::socket_t(context_, zmq::socket_type::rep);
    zap_.set(zmq::sockopt::linger, 0);
    zap_.bind(kZapEndpoint);
    zap_thread_ = std::thread([this] { ZapLoop(); });

    auto setup = [&](zmq::socket_t& s, const char* domain, const std::string& ep) {
      s = zmq::socket_t(context_, zmq::socket_type::router);
      s.set(zmq::sockopt::curve_server, 1);
      s.set(zmq::sockopt::curve_secretkey, secret_key_);
      s.set(zmq::sockopt::zap_domain, domain);
      // Enforce the ZAP domain where libzmq offers it (a draft option in
      // 4.3; Debian's build lacks it). Fail-closed does not depend on it:
      // the handler above is bound first and answers every handshake.
      const int enforce = 1;
      zmq_setsockopt(s.handle(), kZapEnforceDomain, &enforce, sizeof enforce);
      s.set(zmq::sockopt::router_mandatory, 1);
      s.set(zmq::sockopt::linger, 0);
      s.set(zmq::sockopt::sndhwm, 256);
      s.set(zmq::sockopt::rcvhwm, 256);
      s.set(zmq::sockopt::heartbeat_ivl, 2000);
      s.set(zmq::sockopt::heartbeat_timeout, 6000);
      s.set(zmq::sockopt::heartbeat_ttl, 6000);
      // Hard cap: a larger frame drops the connection. Frames between the
      // chunk limit and this cap get a frame_too_large answer instead.
      s.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(options_.max_chunk_bytes) * 2 + 65536);
      s.bind(ep);
      return s.get(zmq::sockopt::last_endpoint);
    };
    endpoint_ = setup(router_, kOfficeDomain, options_.endpoint);
    admin_endpoint_ = setup(admin_, kAdminDomain, options_.admin_endpoint);
  } catch (const zmq::error_t& e) {
    return InvalidArgument("config_invalid", std::string("cannot bind: ") + e.what() +
                                                 " (endpoint " + options_.endpoint + ", admin " +
                                                 options_.admin_endpoint + ")");
  }
  if (!options_.metrics_endpoint.empty()) {
    ASSIGN_OR_RETURN(metrics_endpoint_, metrics_.Serve(options_.metrics_endpoint));
  }
  const std::string info = "endpoint: " + endpoint_ + "\npublic_key: \"" + public_key_ +
                           "\"\nadmin_endpoint: " + admin_endpoint_ + "\nmetrics_endpoint: \"" +
                           metrics_endpoint_ + "\"\n";
  RETURN_IF_ERROR(WriteFileAtomic(options_.data_dir + "/broker.info", info));
  Log("info", "broker_started", {{"endpoint", endpoint_}, {"admin_endpoint", admin_endpoint_},
                                 {"metrics_endpoint", metrics_endpoint_}, {"data_dir", options_.data_dir},
                                 {"retention", FormatDuration(options_.retention_seconds)}});
  return Status::Ok();
}

// ------------------------------------------------------------------ ZAP

void Server::ZapLoop() {
  while (!zap_stop_) {
    zmq::pollitem_t item{zap_.handle(), 0, ZMQ_POLLIN, 0};
    try {
      if (zmq::poll(&item, 1, std::chrono::milliseconds(100)) == 0) continue;
      std::vector<zmq::message_t> req = wire::RecvAll(zap_);
      // version, request id, domain, address, identity, mechanism, credentials...
      std::string status = "400", text = "denied", user;
      if (req.size() >= 7 && Str(req[0]) == "1.0" && Str(req[5]) == "CURVE" &&
          req[6].size() == 32) {
        const std::string domain = Str(req[2]);
        const std::string key = Str(req[6]);
        if (domain == kAdminDomain) {
          if (key == admin_public_raw_) status = "200", text = "OK", user = "admin";
        } else if (domain == kOfficeDomain) {
          auto office = store_->OfficeForCurveKey(key);
          status = "200", text = "OK";
          user = (office.ok() ? "office:" + *office + ":" : "anon:") + crypto::Z85Encode32(key);
        }
      }
      if (status != "200") Log("warn", "zap_denied", {{"address", req.size() > 3 ? Str(req[3]) : ""}});
      const std::string version = "1.0";
      const std::string request_id = req.size() > 1 ? Str(req[1]) : "";
      zap_.send(zmq::buffer(version), zmq::send_flags::sndmore);
      zap_.send(zmq::buffer(request_id), zmq::send_flags::sndmore);
      zap_.send(zmq::buffer(status), zmq::send_flags::sndmore);
      zap_.send(zmq::buffer(text), zmq::send_flags::sndmore);
      zap_.send(zmq::buffer(user), zmq::send_flags::sndmore);
      zap_.send(zmq::str_buffer(""), zmq::send_flags::none);
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) return;
      Log("error", "zap_error", {{"detail", e.what()}});
    }
  }
}

// ------------------------------------------------------------------ serving

void Server::Run(const std::atomic<bool>* stop) {
  while (!stop->load()) {
    zmq::pollitem_t items[] = {{router_.handle(), 0, ZMQ_POLLIN, 0},
                               {admin_.handle(), 0, ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, 2, std::chrono::milliseconds(200));
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      Log("error", "poll_failed", {{"detail", e.what()}});
      return;
    }
    // Serve everything already waiting before any background work.
    for (int served = 0; served < 256; ++served) {
      const bool office = router_.get(zmq::sockopt::events) & ZMQ_POLLIN;
      const bool admin = admin_.get(zmq::sockopt::events) & ZMQ_POLLIN;
      if (!office && !admin) break;
      if (office) ServeOne(router_, false);
      if (admin) ServeOne(admin_, true);
    }
    // Retention: one bounded batch per turn, so requests are served between
    // batches however much is due.
    if (Now() >= next_sweep_) {
      auto swept = SweepOnce(kSweepBatch);
      if (!swept.ok()) {
        Log("error", "sweep_failed", {{"status", swept.status().ToString()}});
        next_sweep_ = Now() + options_.sweep_interval_seconds;
      } else if (swept->first + swept->second < kSweepBatch) {
        next_sweep_ = Now() + options_.sweep_interval_seconds;
      }
    }
  }
}

StatusOr<Server::Caller> Server::Identify(zmq::message_t& frame, bool admin_socket) {
  const char* user = nullptr;
  try {
    user = frame.gets("User-Id");
  } catch (const zmq::error_t&) {
    return Status(Code::kUnauthenticated, "not_enrolled", "connection has no identity");
  }
  std::string u = user != nullptr ? user : "";
  Caller c;
  if (admin_socket) {
    if (u != "admin") return Status(Code::kUnauthenticated, "usage", "not an admin connection");
    c.kind = Caller::kAdmin;
  } else if (u.rfind("office:", 0) == 0 && u.size() == 7 + 10 + 1 + 40) {
    c.kind = Caller::kOffice;
    c.office = u.substr(7, 10);
    ASSIGN_OR_RETURN(c.curve_pk, crypto::Z85Decode32(u.substr(18)));
  } else if (u.rfind("anon:", 0) == 0) {
    c.kind = Caller::kAnon;
    ASSIGN_OR_RETURN(c.curve_pk, crypto::Z85Decode32(u.substr(5)));
  } else {
    return Status(Code::kUnauthenticated, "not_enrolled", "unknown identity");
  }
  return c;
}

void Server::ServeOne(zmq::socket_t& socket, bool admin_socket) {
  std::vector<zmq::message_t> frames;
  try {
    frames = wire::RecvAll(socket);
  } catch (const zmq::error_t& e) {
    Log("error", "recv_failed", {{"detail", e.what()}});
    return;
  }
  if (frames.size() < 2) return;  // identity alone: nothing to answer
  zmq::message_t identity = std::move(frames.front());
  frames.erase(frames.begin());

  pb::Response response;
  std::string data;
  uint64_t req_id = 0;
  Status st;
  auto caller = Identify(frames[0], admin_socket);
  if (caller.ok()) caller->routing_id = identity.to_string();
  auto incoming = wire::DecodeRequest(frames, options_.max_chunk_bytes + crypto::kChunkOverhead);
  if (!caller.ok()) {
    st = caller.status();
  } else if (!incoming.ok()) {
    st = incoming.status();
  } else {
    req_id = incoming->request.req_id();
    st = Dispatch(*caller, admin_socket, *incoming, &response, &data);
  }
  if (!st.ok()) {
    response = wire::ErrorResponse(req_id, st);
    data.clear();
    if (st.code() == Code::kIoError || st.code() == Code::kInternal) {
      Log("error", "request_failed", {{"status", st.ToString()}});
    } else {
      metrics_.Refused(st.reason());
      Log("info", "request_refused",
          {{"reason", st.reason()}, {"detail", st.detail()},
           {"office", caller.ok() ? caller->office : ""}});
    }
  }
  response.set_req_id(req_id);
  const std::string head = wire::Serialize(response);
  try {
    socket.send(identity, zmq::send_flags::sndmore);
    socket.send(zmq::buffer(head), data.empty() ? zmq::send_flags::none : zmq::send_flags::sndmore);
    if (!data.empty()) socket.send(zmq::buffer(data), zmq::send_flags::none);
  } catch (const zmq::error_t& e) {
    // EHOSTUNREACH: the peer left; it will ask again.
    Log("info", "reply_dropped", {{"detail", e.what()}});
  }
}

Status Server::Dispatch(const Caller& c, bool admin_socket, const wire::Incoming& in,
                        pb::Response* out, std::string* out_data) {
  const pb::Request& r = in.request;
  using B = pb::Request::BodyCase;
  const B verb = r.body_case();
  const bool admin_verb = verb == B::kOfficeAdd || verb == B::kOfficeList || verb == B::kLicenceRenew ||
                          verb == B::kLicenceExpire || verb == B::kNoticePost || verb == B::kNoticeWithdraw ||
                          verb == B::kStats || verb == B::kMaintenance;
  if (admin_socket && verb == B::kNotices) return Notices(r.notices().include_withdrawn(), out);
  if (admin_socket != admin_verb) {
    return PermissionDenied("usage", admin_socket ? "office verbs are not served on the admin channel"
                                                  : "admin verbs are served only on the admin channel");
  }
  if (in.has_data && verb != B::kChunkPut) {
    return InvalidArgument("bad_request", "only chunk uploads carry a data frame");
  }
  if (verb == B::kGetTrust) {
    auto trust = trust_.Get();
    if (!trust.ok()) return trust.status();
    out->mutable_trust()->set_ca_cert_der((*trust)->ca().Der());
    return Status::Ok();
  }
  if (c.kind == Caller::kAnon) {
    if (verb == B::kEnrol) return Enrol(c, r.enrol(), out);
    return Status(Code::kUnauthenticated, "not_enrolled",
                  "this key is not enrolled; only enrolment is allowed");
  }
  switch (verb) {
    case B::kEnrol: return Enrol(c, r.enrol(), out);
    case B::kHello: return Lookup(c.office, out->mutable_office());
    case B::kLookup: return Lookup(r.lookup().office(), out->mutable_office());
    case B::kSendBegin: return SendBegin(c, r.send_begin(), out);
    case B::kChunkPut:
      out->mutable_chunk_put();
      return ChunkPut(c, r.chunk_put(), in);
    case B::kCommit: return Commit(c, r.commit(), out);
    case B::kListInbox: return List(c, r.list_inbox(), true, out);
    case B::kListSent: return List(c, r.list_sent(), false, out);
    case B::kFetchBegin: return FetchBegin(c, r.fetch_begin(), out);
    case B::kChunkGet:
      out->mutable_chunk_get();
      return ChunkGet(c, r.chunk_get(), out_data);
    case B::kAck: return Ack(c, r.ack(), out);
    case B::kSubscribe: return Subscribe(c);
    case B::kNotices: return Notices(false, out);
    case B::kOfficeAdd: return OfficeAdd(r.office_add(), out);
    case B::kOfficeList: return OfficeList(out);
    case B::kLicenceRenew: return LicenceRenew(r.licence_renew(), out);
    case B::kLicenceExpire: return LicenceExpire(r.licence_expire(), out);
    case B::kNoticePost: return NoticePost(r.notice_post(), out);
    case B::kNoticeWithdraw: return NoticeWithdraw(r.notice_withdraw(), out);
    case B::kStats: return Stats(out);
    case B::kMaintenance: return Maintenance(r.maintenance(), out);
    default: break;
  }
  return InvalidArgument("unknown_verb", "verb " + std::to_string(static_cast<int>(verb)));
}

// ------------------------------------------------------------------ helpers

bool Server::Licensed(const pb::OfficeRecord& rec) {
  return rec.licence_until_day() >= JstDay(Now());
}

void Server::FillOfficeInfo(const pb::OfficeRecord& rec, bool with_keys, pb::OfficeInfo* out) {
  out->set_office(rec.office());
  out->set_name(rec.name());
  out->set_registered(true);
  out->set_licence_until(DayToDate(rec.licence_until_day()));
  out->set_licensed(Licensed(rec));
  out->set_enrolled(rec.terminals_size() > 0);
  if (with_keys) {
    for (const pb::Terminal& t : rec.terminals()) {
      pb::TerminalKeys* k = out->add_terminals();
      k->set_cert_der(t.cert_der());
      k->set_binding(t.binding());
      k->set_binding_signature(t.binding_signature());
    }
  }
}

void Server::FillEntry(const pb::MessageRecord& rec, pb::MailEntry* out) {
  out->set_message_id(rec.message_id());
  out->set_sender_office(rec.sender_office());
  out->set_recipient_office(rec.recipient_office());
  auto sender = store_->GetOffice(rec.sender_office());
  if (sender.ok()) out->set_sender_name(sender->name());
  auto recipient = store_->GetOffice(rec.recipient_office());
  if (recipient.ok()) out->set_recipient_name(recipient->name());
  out->set_accepted_unix(rec.accepted_unix());
  out->set_state(rec.state());
  out->set_downloaded_unix(rec.downloaded_unix());
  *out->mutable_signed_() = rec.signed_();
  out->set_expire_unix(rec.expire_unix());
  out->set_receipt(rec.receipt());
  out->set_receipt_signature(rec.receipt_signature());
  out->set_receipt_cert_der(rec.receipt_cert_der());
}

// ------------------------------------------------------------------ enrolment

Status Server::Enrol(const Caller& c, const pb::EnrolRequest& r, pb::Response* out) {
  ASSIGN_OR_RETURN(auto trust, trust_.Get());
  ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::Certificate::FromDer(r.cert_der()));
  ASSIGN_OR_RETURN(crypto::CertInfo info, trust->Verify(cert, Now()));
  ASSIGN_OR_RETURN(pb::OfficeRecord rec, store_->GetOffice(info.office));
  pb::EnrolmentBinding binding;
  if (!binding.ParseFromString(r.binding())) {
    return InvalidArgument("bad_request", "enrolment binding does not parse");
  }
  RETURN_IF_ERROR(cert.VerifySignature(r.binding(), r.signature()));
  if (binding.office() != info.office || binding.user_id() != info.user_id) {
    return PermissionDenied("cert_mismatch", "binding names " + binding.office() + "/" +
                                                 binding.user_id() + ", certificate " +
                                                 info.office + "/" + info.user_id);
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
  // One terminal per office is the rule, but a second PC may enrol too
  // (R22); enrolling the same terminal again replaces its entry.
  pb::Terminal* t = nullptr;
  for (pb::Terminal& existing : *rec.mutable_terminals()) {
    if (existing.curve_pk() == binding.curve_pk()) t = &existing;
  }
  if (t == nullptr) t = rec.add_terminals();
  t->set_cert_der(r.cert_der());
  t->set_curve_pk(binding.curve_pk());
  t->set_e2e_pk(binding.e2e_pk());
  t->set_binding(r.binding());
  t->set_binding_signature(r.signature());
  t->set_enrolled_unix(Now());
  RETURN_IF_ERROR(store_->Enrol(rec, binding.curve_pk()));
  Log("info", "office_enrolled", {{"office", rec.office()}, {"user_id", info.user_id},
                                  {"cert_serial", info.serial_hex}, {"terminals", rec.terminals_size()}});
  FillOfficeInfo(rec, false, out->mutable_office());
  return Status::Ok();
}

Status Server::Lookup(const std::string& office, pb::OfficeInfo* out) {
  RETURN_IF_ERROR(CheckOfficeNumber(office));
  auto rec = store_->GetOffice(office);
  if (!rec.ok()) {
    if (rec.status().code() != Code::kNotFound) return rec.status();
    out->set_office(office);
    out->set_registered(false);
    return Status::Ok();
  }
  FillOfficeInfo(*rec, true, out);
  return Status::Ok();
}

// ------------------------------------------------------------------ sending

Status Server::CheckManifest(const pb::Manifest& m) const {
  auto bad = [](const std::string& why) { return InvalidArgument("bad_manifest", why); };
  if (m.version() != 1) return bad("unsupported manifest version " + std::to_string(m.version()));
  if (!IsId(m.send_id())) return bad("send id is not an id");
  if (!IsOfficeNumber(m.sender_office()) || !IsOfficeNumber(m.recipient_office())) {
    return bad("office numbers must be 10 digits");
  }
  if (m.chunk_size() == 0 || m.chunk_size() > options_.max_chunk_bytes) {
    return bad("chunk size must be 1 to " + std::to_string(options_.max_chunk_bytes));
  }
  if (m.files_size() == 0) return bad("a send carries at least one file");
  for (const pb::FileEntry& f : m.files()) {
    if (!IsSafeFileName(f.name())) return bad("unsafe file name '" + f.name() + "'");
    if (f.sha256().size() != 32 || f.cipher_sha256().size() != 32) return bad("digests are 32 bytes");
    const uint32_t chunks = crypto::ChunkCount(f.size(), m.chunk_size());
    if (f.chunk_count() != chunks || f.cipher_size() != f.size() + chunks * crypto::kChunkOverhead) {
      return bad("sizes of '" + f.name() + "' do not add up");
    }
  }
  if (m.sealed_keys_size() == 0 || m.sealed_keys_size() > 16) return bad("1 to 16 sealed keys");
  for (const pb::SealedKey& k : m.sealed_keys()) {
    if (k.e2e_pk().size() != 32 || k.sealed().size() != 32 + crypto_box_SEALBYTES) {
      return bad("a sealed key has the wrong size");
    }
  }
  if (m.message_cipher().size() < crypto::kChunkOverhead || m.message_cipher().size() > 64 * 1024) {
    return bad("message text must be under 64 KiB");
  }
  // What the care plan rules say of names, units, parties and limits; the
  // content is ciphertext, so the recipient's agent checks that.
  std::vector<careplan::FileToCheck> files;
  for (const pb::FileEntry& f : m.files()) files.push_back({f.name(), "", f.size()});
  careplan::CheckOptions o;
  o.own_office = m.sender_office();
  o.to = m.recipient_office();
  o.content = false;
  o.max_files = options_.max_files;
  o.max_bytes = options_.max_send_bytes;
  const careplan::CheckReport report = careplan::CheckSend(careplan::Rules::Standard(), files, o);
  if (!report.ok()) {
    std::string detail;
    for (const auto& f : report.findings) detail += (detail.empty() ? "" : "; ") + careplan::FormatFinding(f, false);
    return InvalidArgument(careplan::CategoryReason(report.findings[0].category), detail);
  }
  return Status::Ok();
}

Status Server::SendBegin(const Caller& c, const pb::SendBeginRequest& r, pb::Response* out) {
  ASSIGN_OR_RETURN(pb::OfficeRecord sender, store_->GetOffice(c.office));
  if (!Licensed(sender)) {
    return PermissionDenied("sender_unlicensed", "licence of " + c.office + " ended " +
                                                     DayToDate(sender.licence_until_day()));
  }
  const pb::SignedManifest& signed_manifest = r.signed_();
  pb::Manifest m;
  if (!m.ParseFromString(signed_manifest.manifest())) {
    return InvalidArgument("bad_manifest", "manifest does not parse");
  }
  RETURN_IF_ERROR(CheckManifest(m));
  if (m.sender_office() != c.office) {
    return PermissionDenied("cert_mismatch", "manifest names sender " + m.sender_office() +
                                                 " on a connection of " + c.office);
  }
  // The signer: a valid certificate of this office, the one this terminal
  // enrolled with.
  std::string terminal_cert;
  for (const pb::Terminal& t : sender.terminals()) {
    if (t.curve_pk() == c.curve_pk) terminal_cert = t.cert_der();
  }
  ASSIGN_OR_RETURN(auto trust, trust_.Get());
  ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::Certificate::FromDer(signed_manifest.signer_cert_der()));
  ASSIGN_OR_RETURN(crypto::CertInfo info, trust->Verify(cert, Now()));
  if (info.office != c.office || signed_manifest.signer_cert_der() != terminal_cert ||
      info.user_id != m.sender_user_id()) {
    return PermissionDenied("cert_mismatch", "signer " + info.office + "/" + info.user_id +
                                                 " is not the certificate this terminal enrolled for " + c.office);
  }
  RETURN_IF_ERROR(cert.VerifySignature(signed_manifest.manifest(), signed_manifest.signature()));

  // A retry of a send already begun: resume it.
  ASSIGN_OR_RETURN(auto existing, store_->FindBySendId(c.office, m.send_id()));
  if (existing) {
    if (existing->signed_().manifest() != signed_manifest.manifest()) {
      return Status(Code::kAlreadyExists, "send_id_conflict", "send id " + m.send_id());
    }
    pb::SendBeginResponse* resp = out->mutable_send_begin();
    resp->set_message_id(existing->message_id());
    resp->set_complete(existing->state() != pb::UPLOADING);
    resp->set_accepted_unix(existing->accepted_unix());
    if (existing->state() == pb::UPLOADING) {
      ASSIGN_OR_RETURN(auto present, store_->ListChunks(existing->message_id()));
      for (uint64_t p : present) resp->add_present(p);
    }
    return Status::Ok();
  }

  auto recipient = store_->GetOffice(m.recipient_office());
  if (!recipient.ok()) {
    if (recipient.status().code() != Code::kNotFound) return recipient.status();
    return FailedPrecondition("recipient_unlicensed", "office " + m.recipient_office() +
                                                          " is not registered");
  }
  if (!Licensed(*recipient)) {
    return FailedPrecondition("recipient_unlicensed", "licence of " + m.recipient_office() +
                                                          " ended " +
                                                          DayToDate(recipient->licence_until_day()));
  }
  if (recipient->terminals_size() == 0) {
    return FailedPrecondition("recipient_not_enrolled", "office " + m.recipient_office());
  }
  // Sealed to every terminal of the recipient, and to nothing else.
  std::set<std::string> want, got;
  for (const pb::Terminal& t : recipient->terminals()) want.insert(t.e2e_pk());
  for (const pb::SealedKey& k : m.sealed_keys()) got.insert(k.e2e_pk());
  if (want != got) {
    return FailedPrecondition("recipient_not_enrolled",
                              "the recipient's terminals changed; look it up again and resend");
  }
  pb::MessageRecord rec;
  rec.set_message_id(NewId(options_.env->NowMillis()));
  rec.set_sender_office(c.office);
  rec.set_recipient_office(m.recipient_office());
  rec.set_send_id(m.send_id());
  *rec.mutable_signed_() = signed_manifest;
  rec.set_state(pb::UPLOADING);
  rec.set_begun_unix(Now());
  rec.set_expire_unix(Now() + options_.upload_timeout_seconds);
  uint64_t cipher_bytes = 0;
  for (const pb::FileEntry& f : m.files()) cipher_bytes += f.cipher_size();
  rec.set_cipher_bytes(cipher_bytes);
  RETURN_IF_ERROR(store_->BeginMessage(rec));
  out->mutable_send_begin()->set_message_id(rec.message_id());
  return Status::Ok();
}

Status Server::ChunkPut(const Caller& c, const pb::ChunkPut& r, const wire::Incoming& in) {
  if (!in.has_data) return InvalidArgument("bad_request", "a chunk upload needs a data frame");
  auto rec = store_->GetMessage(r.message_id());
  if (!rec.ok() || rec->sender_office() != c.office) {
    return NotFound("message_not_found", "no upload " + r.message_id() + " of this office");
  }
  if (rec->state() != pb::UPLOADING) return Status::Ok();  // committed already: a late repeat
  pb::Manifest m;
  m.ParseFromString(rec->signed_().manifest());
  if (r.file_index() >= static_cast<uint32_t>(m.files_size())) {
    return InvalidArgument("bad_request", "no file " + std::to_string(r.file_index()));
  }
  const pb::FileEntry& f = m.files(static_cast<int>(r.file_index()));
  if (r.chunk_index() >= f.chunk_count()) {
    return InvalidArgument("bad_request", "no chunk " + std::to_string(r.chunk_index()) +
                                              " in file " + std::to_string(r.file_index()));
  }
  const uint64_t want = PlainChunkLen(f, r.chunk_index(), m.chunk_size()) + crypto::kChunkOverhead;
  if (in.data.size() != want) {
    return InvalidArgument("bad_request", "chunk " + std::to_string(r.chunk_index()) + " is " +
                                              std::to_string(in.data.size()) + " bytes, expected " +
                                              std::to_string(want));
  }
  RETURN_IF_ERROR(store_->PutChunk(r.message_id(), r.file_index(), r.chunk_index(), in.data));
  UploadHash& uh = upload_hashes_[r.message_id()];
  if (uh.files.empty()) {
    if (r.file_index() != 0 || r.chunk_index() != 0) uh.in_order = false;  // resumed, or out of order
    for (int i = 0; i < m.files_size(); ++i) uh.files.push_back(std::make_unique<crypto::Sha256>());
    uh.next_chunk.assign(static_cast<size_t>(m.files_size()), 0);
  }
  const size_t fi = r.file_index();
  if (uh.in_order && uh.next_chunk[fi] == r.chunk_index()) {
    uh.files[fi]->Update(in.data);
    ++uh.next_chunk[fi];
  } else {
    // A gap, or a chunk written again (its stored bytes may now differ from
    // what was hashed): the commit reads the chunks back.
    uh.in_order = false;
  }
  return Status::Ok();
}

Status Server::Commit(const Caller& c, const pb::CommitRequest& r, pb::Response* out) {
  auto found = store_->GetMessage(r.message_id());
  if (!found.ok() || found->sender_office() != c.office) {
    return NotFound("message_not_found", "no upload " + r.message_id() + " of this office");
  }
  pb::MessageRecord rec = std::move(found).value();
  if (rec.state() == pb::UPLOADING) {
    const auto started = std::chrono::steady_clock::now();
    pb::Manifest m;
    m.ParseFromString(rec.signed_().manifest());
    // Fast path: every chunk arrived once, in order, and was hashed then.
    auto uh = upload_hashes_.find(rec.message_id());
    bool hashed = uh != upload_hashes_.end() && uh->second.in_order;
    for (int fi = 0; hashed && fi < m.files_size(); ++fi) {
      hashed = uh->second.next_chunk[static_cast<size_t>(fi)] == m.files(fi).chunk_count();
    }
    std::vector<std::string> missing;
    for (int fi = 0; hashed && fi < m.files_size(); ++fi) {
      if (uh->second.files[static_cast<size_t>(fi)]->Final() != m.files(fi).cipher_sha256()) {
        upload_hashes_.erase(uh);
        return Status(Code::kDataLoss, "digest_mismatch",
                      "stored bytes of '" + m.files(fi).name() + "' do not match the signed digest");
      }
    }
    if (uh != upload_hashes_.end()) upload_hashes_.erase(uh);
    for (int fi = 0; !hashed && fi < m.files_size(); ++fi) {
      const pb::FileEntry& f = m.files(fi);
      crypto::Sha256 hash;
      bool complete = true;
      for (uint32_t ci = 0; ci < f.chunk_count(); ++ci) {
        auto chunk = store_->GetChunk(rec.message_id(), static_cast<uint32_t>(fi), ci);
        if (!chunk.ok()) {
          if (chunk.status().code() != Code::kNotFound) return chunk.status();
          missing.push_back(f.name() + "#" + std::to_string(ci));
          complete = false;
          continue;
        }
        hash.Update(*chunk);
      }
      if (complete && hash.Final() != f.cipher_sha256()) {
        return Status(Code::kDataLoss, "digest_mismatch",
                      "stored bytes of '" + f.name() + "' do not match the signed digest");
      }
    }
    if (!missing.empty()) {
      return FailedPrecondition("upload_incomplete", std::to_string(missing.size()) +
                                                         " chunks missing, first " + missing[0]);
    }
    const int64_t old_expire = rec.expire_unix();
    rec.set_state(pb::DELIVERED);
    rec.set_accepted_unix(Now());
    rec.set_expire_unix(Now() + options_.retention_seconds);
    RETURN_IF_ERROR(store_->CommitMessage(rec, old_expire));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    metrics_.SendAccepted(rec.cipher_bytes(), seconds);
    metrics_.AddPending(1, static_cast<int64_t>(rec.cipher_bytes()));
    Log("info", "send_accepted", {{"message_id", rec.message_id()}, {"from", rec.sender_office()},
                                  {"to", rec.recipient_office()}, {"files", m.files_size()},
                                  {"bytes", rec.cipher_bytes()}});
    pb::Event event;
    event.set_kind("new_mail");
    event.set_message_id(rec.message_id());
    event.set_office(rec.sender_office());
    auto sender = store_->GetOffice(rec.sender_office());
    if (sender.ok()) event.set_name(sender->name());
    event.set_at_unix(rec.accepted_unix());
    event.set_files(static_cast<uint32_t>(m.files_size()));
    Notify(rec.recipient_office(), event);
  }
  out->mutable_commit()->set_message_id(rec.message_id());
  out->mutable_commit()->set_accepted_unix(rec.accepted_unix());
  return Status::Ok();
}

// ------------------------------------------------------------------ lists and download

Status Server::List(const Caller& c, const pb::ListRequest& r, bool inbox, pb::Response* out) {
  const size_t limit = r.limit() == 0 ? kDefaultPage : std::min(r.limit(), kMaxPage);
  if (!r.after_id().empty() && !IsId(r.after_id())) {
    return InvalidArgument("bad_request", "after_id is not a message id");
  }
  auto page = inbox ? store_->ListInbox(c.office, r.after_id(), limit + 1)
                    : store_->ListSent(c.office, r.after_id(), limit + 1);
  if (!page.ok()) return page.status();
  pb::ListResponse* list = out->mutable_list();
  for (size_t i = 0; i < page->size() && i < limit; ++i) FillEntry((*page)[i], list->add_entries());
  list->set_more(page->size() > limit);
  return Status::Ok();
}

StatusOr<pb::MessageRecord> Server::RecipientMessage(const Caller& c, const std::string& id) {
  auto rec = store_->GetMessage(id);
  // Another office's message and no message at all look the same.
  if (!rec.ok() || rec->recipient_office() != c.office || rec->state() == pb::UPLOADING) {
    if (!rec.ok() && rec.status().code() != Code::kNotFound) return rec.status();
    return NotFound("message_not_found", "no message " + id + " in the inbox of " + c.office);
  }
  if (rec->state() == pb::DOWNLOADED) {
    return FailedPrecondition("already_downloaded",
                              id + " was downloaded at " + JstDateTime(rec->downloaded_unix()) + " JST");
  }
  if (rec->state() == pb::EXPIRED) {
    return NotFound("message_not_found", id + " expired undownloaded; ask the sender to send it again");
  }
  return rec;
}

// R22: while one terminal of an office downloads a message, another is told
// it is taken. The lease lapses if its holder goes quiet.
Status Server::TakeLease(const Caller& c, pb::MessageRecord* rec) {
  const int64_t now = Now();
  if (!rec->lease_curve_pk().empty() && rec->lease_curve_pk() != c.curve_pk && rec->lease_until_unix() > now) {
    return FailedPrecondition("already_downloaded",
                              rec->message_id() + " is being downloaded by another terminal of this office");
  }
  if (rec->lease_curve_pk() != c.curve_pk || rec->lease_until_unix() - now < options_.lease_seconds / 2) {
    rec->set_lease_curve_pk(c.curve_pk);
    rec->set_lease_until_unix(now + options_.lease_seconds);
    RETURN_IF_ERROR(store_->PutMessage(*rec));
  }
  return Status::Ok();
}

Status Server::FetchBegin(const Caller& c, const pb::FetchBeginRequest& r, pb::Response* out) {
  ASSIGN_OR_RETURN(pb::MessageRecord rec, RecipientMessage(c, r.message_id()));
  RETURN_IF_ERROR(TakeLease(c, &rec));
  FillEntry(rec, out->mutable_fetch_begin()->mutable_entry());
  return Status::Ok();
}

Status Server::ChunkGet(const Caller& c, const pb::ChunkGet& r, std::string* out_data) {
  ASSIGN_OR_RETURN(pb::MessageRecord rec, RecipientMessage(c, r.message_id()));
  RETURN_IF_ERROR(TakeLease(c, &rec));
  auto chunk = store_->GetChunk(r.message_id(), r.file_index(), r.chunk_index());
  if (!chunk.ok()) {
    return InvalidArgument("bad_request", "no chunk " + std::to_string(r.chunk_index()) +
                                              " of file " + std::to_string(r.file_index()));
  }
  *out_data = std::move(chunk).value();
  return Status::Ok();
}

Status Server::Ack(const Caller& c, const pb::AckRequest& r, pb::Response* out) {
  auto found = RecipientMessage(c, r.message_id());
  pb::AckResponse* ack = out->mutable_ack();
  if (!found.ok()) {
    // Acknowledging again is harmless: report the first time.
    if (found.status().reason() != "already_downloaded") return found.status();
    auto rec = store_->GetMessage(r.message_id());
    if (!rec.ok() || rec->state() != pb::DOWNLOADED) return found.status();
    ack->set_already(true);
    ack->set_downloaded_unix(rec->downloaded_unix());
    return Status::Ok();
  }
  pb::MessageRecord rec = std::move(found).value();
  RETURN_IF_ERROR(TakeLease(c, &rec));
  // The receipt: signed by the certificate this terminal enrolled with, for
  // exactly the files that were signed.
  pb::OfficeRecord office;
  ASSIGN_OR_RETURN(office, store_->GetOffice(c.office));
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
  m.ParseFromString(rec.signed_().manifest());
  bool files_match = receipt.file_sha256_size() == m.files_size();
  for (int i = 0; files_match && i < m.files_size(); ++i) files_match = receipt.file_sha256(i) == m.files(i).sha256();
  if (receipt.message_id() != rec.message_id() || receipt.recipient_office() != c.office ||
      receipt.manifest_sha256() != crypto::Sha256Of(rec.signed_().manifest()) || !files_match) {
    return Status(Code::kDataLoss, "signature_invalid", "the receipt is not for this message and its files");
  }
  rec.set_state(pb::DOWNLOADED);
  rec.set_downloaded_unix(Now());
  rec.set_receipt(r.receipt());
  rec.set_receipt_signature(r.receipt_signature());
  rec.set_receipt_cert_der(cert_der);
  rec.clear_lease_curve_pk();
  rec.set_lease_until_unix(0);
  RETURN_IF_ERROR(store_->MarkDownloaded(rec));
  metrics_.Downloaded(rec.cipher_bytes());
  metrics_.AddPending(-1, -static_cast<int64_t>(rec.cipher_bytes()));
  Log("info", "message_downloaded", {{"message_id", rec.message_id()}, {"by", c.office}});
  ack->set_downloaded_unix(rec.downloaded_unix());
  pb::Event event;
  event.set_kind("downloaded");
  event.set_message_id(rec.message_id());
  event.set_office(c.office);
  event.set_name(office.name());
  event.set_at_unix(rec.downloaded_unix());
  event.set_files(static_cast<uint32_t>(m.files_size()));
  Notify(rec.sender_office(), event);
  return Status::Ok();
}

}  // namespace tayori::broker
