#include "broker/server.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <vector>

#include "broker/identity.h"
#include "broker/log.h"
#include "broker/postgres_mailbox_store.h"
#include "broker/rocksdb_mailbox_store.h"
#include "broker/verbs.h"
#include "common/crypto/curve.h"
#include "common/port/port.h"
#include "common/wire/codec.h"

namespace tayori::broker {
namespace {

constexpr int kZapEnforceDomain = 93;  // ZMQ_ZAP_ENFORCE_DOMAIN (draft API)
// Requests served per turn of the loop before background work gets a turn.
constexpr int kServeBurst = 256;
// Whole requests one connection may have waiting: libzmq stops reading from
// it at 16 and starts again once the broker has taken half of them (an
// agent keeps `window`, 8 by default, in flight).
constexpr int kRequestQueue = 16;
// A legitimate request: a chunk and a request frame (a manifest is refused
// over 128 KiB).
constexpr uint64_t kRequestFrameBytes = 256 << 10;

// The descriptor of the connection a received message came over, or -1.
int ConnectionOf(const zmq::message_t& frame) {
  const char* fd = zmq_msg_gets(frame.handle(), "__fd");
  return fd != nullptr ? std::atoi(fd) : -1;
}

// Loads the Z85 secret key in PATH, creating a new key pair there if absent.
StatusOr<crypto::CurveKeyPair> LoadOrCreateKey(Env* env, const std::string& path) {
  if (env->FileExists(path)) {
    ASSIGN_OR_RETURN(std::string text, env->ReadFile(path));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    auto pub = crypto::CurvePublicFromSecret(text);
    if (!pub.ok()) return InvalidArgument("config_invalid", "corrupt key file " + path);
    return crypto::CurveKeyPair{*pub, text};
  }
  ASSIGN_OR_RETURN(crypto::CurveKeyPair kp, crypto::NewCurveKeyPair());
  RETURN_IF_ERROR(env->WriteFileAtomic(path, kp.secret_z85 + "\n", 0600));
  return kp;
}

}  // namespace

Server::Server(BrokerOptions options)
    : options_(std::move(options)),
      trust_(options_.ca_cert, options_.ca_crl),
      context_(options_.io_threads),
      events_(&router_, options_.env),
      ctx_(options_, nullptr, &trust_, &metrics_, &events_),
      sweeper_(&ctx_) {}

Server::~Server() {
  guard_.reset();
  zap_.reset();
  router_.close();
  admin_.close();
  context_.close();
}

StatusOr<std::unique_ptr<Server>> Server::Start(BrokerOptions options) {
  std::unique_ptr<Server> server(new Server(std::move(options)));
  RETURN_IF_ERROR(server->Init());
  return server;
}

Status Server::OpenStore() {
  RETURN_IF_ERROR(options_.env->CreateDirs(options_.data_dir, 0700));
  StoreOptions store_options;
  store_options.env = options_.env;
  store_options.rocksdb_env = options_.rocksdb_env;
  store_options.unlogged_chunk_bytes = options_.unlogged_chunk_bytes;
  // Nothing legitimately lives longer than this; a day's margin on top.
  store_options.backstop_seconds =
      std::max(options_.upload_timeout_seconds, options_.retention_seconds + options_.expired_keep_seconds) + 86400;
  if (!options_.store.empty()) {
    ASSIGN_OR_RETURN(store_, PostgresMailboxStore::Open(options_.store));
  } else {
    ASSIGN_OR_RETURN(auto rocks, RocksDbMailboxStore::Open(options_.data_dir + "/store", store_options));
    if (!rocks->hardware_crc32c()) {
      Log("warn", "store_crc32c_in_software",
          {{"detail", "RocksDB computes its checksums without the CPU's CRC32 instruction (rocksdb_crc32c.h)"}});
    }
    store_ = std::move(rocks);
  }
  ctx_.store = store_.get();
  return CountPending();
}

Status Server::BindSockets(const std::string& secret_key) {
  auto setup = [&](zmq::socket_t& s, const char* domain) {
    s = zmq::socket_t(context_, zmq::socket_type::router);
    s.set(zmq::sockopt::curve_server, 1);
    s.set(zmq::sockopt::curve_secretkey, secret_key);
    s.set(zmq::sockopt::zap_domain, domain);
    // Enforce the ZAP domain where libzmq offers it (a draft option in
    // 4.3; Debian's build lacks it). Fail-closed does not depend on it:
    // the handler is bound first and answers every handshake.
    const int enforce = 1;
    zmq_setsockopt(s.handle(), kZapEnforceDomain, &enforce, sizeof enforce);
    s.set(zmq::sockopt::router_mandatory, 1);
    s.set(zmq::sockopt::linger, 0);
    s.set(zmq::sockopt::sndhwm, 256);
    s.set(zmq::sockopt::rcvhwm, kRequestQueue);
    s.set(zmq::sockopt::heartbeat_ivl, 2000);
    s.set(zmq::sockopt::heartbeat_timeout, 6000);
    s.set(zmq::sockopt::heartbeat_ttl, 6000);
    // Hard cap: a larger frame drops the connection. Frames between the
    // chunk limit and this cap get a frame_too_large answer instead.
    s.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(options_.max_chunk_bytes) * 2 + 65536);
  };
  try {
    setup(router_, kOfficeDomain);
    setup(admin_, kAdminDomain);
  } catch (const zmq::error_t& e) {
    return Internal(std::string("cannot set up the sockets: ") + e.what());
  }
  // The office channel admits unknown keys (to enrol), so its connections
  // are watched from the first; the admin channel admits the admin key alone.
  BacklogLimits limits;
  limits.limit = std::max<uint64_t>(options_.max_connection_backlog_bytes,
                                    (kRequestQueue + 1) * (options_.max_chunk_bytes + kRequestFrameBytes));
  limits.total_limit = std::max(options_.max_total_backlog_bytes, limits.limit);
  limits.scan_ms = options_.backlog_scan_ms;
  // Half the descriptors for connections, the rest for the store's files.
  const uint64_t descriptors = port::RaiseOpenFileLimit();
  limits.max_connections = std::max<uint64_t>(
      1, descriptors == 0 ? options_.max_connections : std::min(descriptors / 2, options_.max_connections));
  limits.max_connections_per_address = options_.max_connections_per_address;
  guard_ = std::make_unique<BacklogGuard>(&context_, &router_, limits, &metrics_);
  RETURN_IF_ERROR(guard_->Start());
  try {
    router_.bind(options_.endpoint);
    endpoint_ = router_.get(zmq::sockopt::last_endpoint);
    admin_.bind(options_.admin_endpoint);
    admin_endpoint_ = admin_.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return InvalidArgument("config_invalid", std::string("cannot bind: ") + e.what() + " (endpoint " +
                                                 options_.endpoint + ", admin " + options_.admin_endpoint + ")");
  }
  Log("info", "connections_guarded",
      {{"max_connection_backlog_bytes", limits.limit},
       {"max_total_backlog_bytes", limits.total_limit},
       {"max_connections", limits.max_connections},
       {"max_connections_per_address", limits.max_connections_per_address},
       {"descriptor_limit", descriptors}});
  return Status::Ok();
}

Status Server::Init() {
  SetLogLevel(options_.log_level);
  RETURN_IF_ERROR(OpenStore());
  Env* env = options_.env;
  ASSIGN_OR_RETURN(crypto::CurveKeyPair server_key, LoadOrCreateKey(env, options_.data_dir + "/server.key"));
  ASSIGN_OR_RETURN(crypto::CurveKeyPair admin_key, LoadOrCreateKey(env, options_.data_dir + "/admin.key"));
  public_key_ = server_key.public_z85;
  ASSIGN_OR_RETURN(std::string admin_public_raw, crypto::Z85Decode32(admin_key.public_z85));
  // The ZAP handler before any CURVE socket binds: libzmq 4.3 lets every
  // key in when no handler answers.
  zap_ = std::make_unique<ZapHandler>(&context_, store_.get(), admin_public_raw);
  RETURN_IF_ERROR(zap_->Start());
  RETURN_IF_ERROR(BindSockets(server_key.secret_z85));
  if (!options_.metrics_endpoint.empty()) {
    ASSIGN_OR_RETURN(metrics_endpoint_, metrics_.Serve(options_.metrics_endpoint));
  }
  const std::string advertised = options_.public_endpoint.empty() ? endpoint_ : options_.public_endpoint;
  const std::string info = "endpoint: " + advertised + "\npublic_key: \"" + public_key_ +
                           "\"\nadmin_endpoint: " + admin_endpoint_ + "\nmetrics_endpoint: \"" + metrics_endpoint_ +
                           "\"\n";
  RETURN_IF_ERROR(env->WriteFileAtomic(options_.data_dir + "/broker.info", info));
  Log("info", "broker_started",
      {{"endpoint", endpoint_},
       {"admin_endpoint", admin_endpoint_},
       {"metrics_endpoint", metrics_endpoint_},
       {"data_dir", options_.data_dir},
       {"retention", FormatDuration(options_.retention_seconds)}});
  return Status::Ok();
}

// Pending messages (metrics) and uploads in progress (quota), from the store.
Status Server::CountPending() {
  int64_t messages = 0, bytes = 0;
  RETURN_IF_ERROR(store_->ForEachMessage([&](const pb::MessageRecord& r) {
    if (r.state() == pb::DELIVERED) ++messages, bytes += static_cast<int64_t>(r.cipher_bytes());
    if (r.state() == pb::UPLOADING) ctx_.UploadBegun(r);
  }));
  metrics_.SetPending(messages, bytes);
  return Status::Ok();
}

void Server::Run(const std::atomic<bool>* stop) {
  while (!stop->load()) {
    // Events other brokers published on a shared store arrive on a socket
    // of the store's (-1: a store of this broker's own).
    const int event_fd = store_->EventFd();
    zmq::pollitem_t items[] = {
        {router_.handle(), 0, ZMQ_POLLIN, 0}, {admin_.handle(), 0, ZMQ_POLLIN, 0}, {nullptr, event_fd, ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, event_fd >= 0 ? 3 : 2, std::chrono::milliseconds(200));
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      Log("error", "poll_failed", {{"detail", e.what()}});
      return;
    }
    if (event_fd >= 0 && (items[2].revents & ZMQ_POLLIN)) {
      store_->TakeEvents([this](const std::string& office, const pb::Event& e) { ctx_.Deliver(office, e); });
    }
    // Serve everything already waiting before any background work.
    for (int served = 0; served < kServeBurst; ++served) {
      const bool office = router_.get(zmq::sockopt::events) & ZMQ_POLLIN;
      const bool admin = admin_.get(zmq::sockopt::events) & ZMQ_POLLIN;
      if (!office && !admin) break;
      if (office) ServeOne(router_, false);
      if (admin) ServeOne(admin_, true);
    }
    // Retention: one bounded batch per turn, so requests are served
    // between batches however much is due.
    sweeper_.RunIfDue();
    SampleMemory();
  }
}

void Server::SampleMemory() {
  // A clock set back more than a second starts the samples again.
  if (ctx_.Now() < next_memory_sample_ && ctx_.Now() >= next_memory_sample_ - 1) return;
  next_memory_sample_ = ctx_.Now() + 1;
  const MailboxStore::Memory store = store_->MemoryUsage();
  Metrics::MemoryFigures m{store.memtables, store.block_cache, store.table_readers};
  if (!port::HeapBytes(&m.heap_in_use, &m.heap_free)) m.heap_in_use = m.heap_free = 0;
  metrics_.SetMemory(m);
  // Free heap a burst of requests left behind goes back to the system
  // (heap_release.h says when).
  const int64_t now_ms = ctx_.options.env->MonotonicMillis();
  if (!heap_release_.Wanted(now_ms, m.heap_in_use, m.heap_free)) return;
  const uint64_t resident = port::ResidentBytes();
  if (!heap_release_.Due(now_ms, m.heap_in_use, m.heap_free, resident)) return;
  const auto started = std::chrono::steady_clock::now();
  if (!port::ReleaseFreeHeap()) return;
  const auto took = std::chrono::steady_clock::now() - started;
  const uint64_t after = port::ResidentBytes();
  heap_release_.Released(now_ms, resident, after);
  Log("info", "heap_free_released",
      {{"resident_bytes_before", std::to_string(resident)},
       {"resident_bytes_after", std::to_string(after)},
       {"heap_in_use_bytes", std::to_string(m.heap_in_use)},
       {"took_ms", std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(took).count())}});
}

void Server::ServeOne(zmq::socket_t& socket, bool admin_channel) {
  std::vector<zmq::message_t> frames;
  try {
    frames = wire::RecvAll(socket);
  } catch (const zmq::error_t& e) {
    Log("error", "recv_failed", {{"detail", e.what()}});
    return;
  }
  if (frames.size() < 2) return;  // identity alone: nothing to answer
  if (!admin_channel) {
    uint64_t wire_bytes = 0;
    for (size_t i = 1; i < frames.size(); ++i) wire_bytes += BacklogGuard::WireBytes(frames[i].size());
    guard_->TookRequest(ConnectionOf(frames.back()), wire_bytes);
  }
  zmq::message_t identity = std::move(frames.front());
  frames.erase(frames.begin());

  pb::Response response;
  std::string data;
  uint64_t req_id = 0;
  Status st;
  StatusOr<Caller> caller = Status(Code::kUnauthenticated, "not_enrolled", "connection has no identity");
  try {
    const char* user = frames[0].gets("User-Id");
    if (user != nullptr) caller = ParseIdentity(user);
  } catch (const zmq::error_t&) {
  }
  if (caller.ok()) {
    caller->routing_id = identity.to_string();
    if ((caller->kind == Caller::kAdmin) != admin_channel) {
      caller = Status(Code::kUnauthenticated, "usage", "identity does not belong to this channel");
    }
  }
  auto incoming = wire::DecodeRequest(frames, crypto::MaxSealedLen(crypto::kManifestVersion, options_.max_chunk_bytes));
  if (!caller.ok()) {
    st = caller.status();
  } else if (!incoming.ok()) {
    st = incoming.status();
  } else {
    req_id = incoming->request.req_id();
    const Call call{*caller, incoming->request, incoming->data, &sweeper_};
    st = Dispatch(ctx_, admin_channel, call, incoming->has_data, &response, &data);
  }
  if (!st.ok()) {
    response = wire::ErrorResponse(req_id, st);
    data.clear();
    if (st.code() == Code::kIoError || st.code() == Code::kInternal) {
      Log("error", "request_failed", {{"status", st.ToString()}});
    } else {
      metrics_.Refused(st.reason());
      Log("info", "request_refused",
          {{"reason", st.reason()}, {"detail", st.detail()}, {"office", caller.ok() ? caller->office : ""}});
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

}  // namespace tayori::broker
