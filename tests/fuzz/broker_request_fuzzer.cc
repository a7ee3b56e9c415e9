// libFuzzer target: the broker's request handling, frames in, through the
// verb table (broker/verbs.h), against a fresh in-memory RocksDB store per
// input. Two offices, A and B, each have an enrolled terminal; each input is
// a short session of requests from A, B, an unknown key or the admin
// channel. So that the fuzzer gets past signatures and digests it cannot
// forge, an op may ask the harness to re-sign (and repair) a SendBegin
// manifest or an Ack receipt with the caller's own certificate key, to
// upload a chunk of the right size, or to aim at a message id the broker
// handed out earlier in the session.
//
// Whatever the requests, no office ever lists, fetches or downloads
// another's mail, an unknown key does nothing but enrol and read the trust
// anchor, the admin verbs answer only the admin channel, and every refusal
// names its reason.
#include <fuzzer/FuzzedDataProvider.h>
#include <google/protobuf/stubs/logging.h>
#include <rocksdb/env.h>
#include <stdlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "broker/context.h"
#include "broker/rocksdb_mailbox_store.h"
#include "broker/sweeper.h"
#include "broker/verbs.h"
#include "common/crypto/curve.h"
#include "common/crypto/e2e.h"
#include "common/crypto/test_ca.h"
#include "common/crypto/x509.h"
#include "common/env.h"
#include "common/ids.h"
#include "common/wire/codec.h"

namespace {

using namespace tayori;
using namespace tayori::broker;

constexpr int64_t kNowMillis = 1796100000000;  // 2026-12-01

struct Office {
  std::string number, user, name;
  std::string curve_pk, e2e_pk, cert_der;
  std::unique_ptr<crypto::PrivateKey> key;
  pb::OfficeRecord record;  // as enrolment left it
};

// What stays the same across inputs: the CA, the options and the offices.
struct World {
  std::string dir;
  FakeEnv env{kNowMillis};
  std::unique_ptr<rocksdb::Env> mem{rocksdb::NewMemEnv(rocksdb::Env::Default())};
  BrokerOptions options;
  std::unique_ptr<TrustSource> trust;
  Metrics metrics;
  zmq::context_t zmq_context;
  zmq::socket_t router{zmq_context, zmq::socket_type::router};
  Office a, b;
  uint64_t generation = 0;
};

void Die(const std::string& what, const Status& st) {
  fprintf(stderr, "fuzz setup: %s: %s\n", what.c_str(), st.ToString().c_str());
  abort();
}

Status Run(ServerContext& ctx, Sweeper* sweeper, const Caller& caller, const pb::Request& req, pb::Response* out) {
  std::string data;
  const broker::Call call{caller, req, "", sweeper};
  return Dispatch(ctx, caller.kind == Caller::kAdmin, call, false, out, &data);
}

Office Issue(World* w, crypto::TestCa* ca, const std::string& number, const std::string& user) {
  Office o;
  o.number = number;
  o.user = user;
  o.name = "office " + number;
  const int64_t now = kNowMillis / 1000;
  auto issued = ca->Issue({number, user, crypto::CertType::kCareInsurance, now - 3600, now + 365 * 86400LL});
  if (!issued.ok()) Die("issue", issued.status());
  auto cert = crypto::Certificate::FromPem(issued->cert_pem);
  auto key = crypto::PrivateKey::FromPem(issued->key_pem);
  if (!cert.ok() || !key.ok()) Die("certificate", cert.ok() ? key.status() : cert.status());
  o.cert_der = cert->Der();
  o.key = std::make_unique<crypto::PrivateKey>(std::move(key).value());
  auto kp = crypto::NewCurveKeyPair();
  if (!kp.ok()) Die("curve key", kp.status());
  o.curve_pk = *crypto::Z85Decode32(kp->public_z85);
  o.e2e_pk = crypto::NewBoxKeyPair().pk;
  return o;
}

// Registers and enrols both offices through the verbs themselves, once,
// and keeps the records they leave for every later store.
void Enrol(World* w, ServerContext& ctx, Office* o) {
  pb::Response out;
  pb::Request add;
  add.mutable_office_add()->set_office(o->number);
  add.mutable_office_add()->set_name(o->name);
  add.mutable_office_add()->set_licence_until("2027-12-31");
  Status st = Run(ctx, nullptr, Caller{Caller::kAdmin}, add, &out);
  if (!st.ok()) Die("office add", st);
  pb::EnrolmentBinding b;
  b.set_office(o->number);
  b.set_user_id(o->user);
  b.set_curve_pk(o->curve_pk);
  b.set_e2e_pk(o->e2e_pk);
  b.set_created_unix(kNowMillis / 1000);
  pb::Request req;
  req.mutable_enrol()->set_cert_der(o->cert_der);
  req.mutable_enrol()->set_binding(b.SerializeAsString());
  req.mutable_enrol()->set_signature(*o->key->Sign(b.SerializeAsString()));
  st = Run(ctx, nullptr, Caller{Caller::kAnon, "", o->curve_pk}, req, &out);
  if (!st.ok()) Die("enrol", st);
  auto rec = ctx.store->GetOffice(o->number);
  if (!rec.ok()) Die("office record", rec.status());
  o->record = *rec;
}

World* Setup() {
  google::protobuf::SetLogHandler(nullptr);  // strings that are not UTF-8 are the fuzzer's to send
  auto* w = new World;
  const char* tmp = getenv("TMPDIR");
  std::string templ = std::string(tmp != nullptr ? tmp : "/tmp") + "/tayori-fuzz-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) abort();
  w->dir = templ;
  const int64_t now = kNowMillis / 1000;
  Status st = crypto::TestCa::Init(w->dir + "/ca", now - 86400);
  if (!st.ok()) Die("ca", st);
  auto ca = crypto::TestCa::Open(w->dir + "/ca");
  if (!ca.ok()) Die("ca", ca.status());
  w->a = Issue(w, &*ca, "0123456789", "KJ000000000001");
  w->b = Issue(w, &*ca, "1299999999", "KJ000000000002");
  w->options.data_dir = w->dir;
  w->options.ca_cert = w->dir + "/ca/ca.pem";
  w->options.ca_crl = w->dir + "/ca/crl.pem";
  w->options.env = &w->env;
  w->trust = std::make_unique<TrustSource>(w->options.ca_cert, w->options.ca_crl);
  StoreOptions so;
  so.env = &w->env;
  so.rocksdb_env = w->mem.get();
  auto store = RocksDbMailboxStore::Open(w->dir + "/setup", so);
  if (!store.ok()) Die("store", store.status());
  Subscriptions events(&w->router, &w->env);
  ServerContext ctx(w->options, store->get(), w->trust.get(), &w->metrics, &events);
  Enrol(w, ctx, &w->a);
  Enrol(w, ctx, &w->b);
  return w;
}

std::string* MessageIdField(pb::Request* r) {
  switch (r->body_case()) {
    case pb::Request::kChunkPut:
      return r->mutable_chunk_put()->mutable_message_id();
    case pb::Request::kCommit:
      return r->mutable_commit()->mutable_message_id();
    case pb::Request::kFetchBegin:
      return r->mutable_fetch_begin()->mutable_message_id();
    case pb::Request::kChunkGet:
      return r->mutable_chunk_get()->mutable_message_id();
    case pb::Request::kAck:
      return r->mutable_ack()->mutable_message_id();
    default:
      return nullptr;
  }
}

// The ciphertext the harness uploads for any chunk: zeros, so that it can
// sign the digest of a whole file before a byte is sent.
std::string ZeroCipher(uint64_t bytes) { return std::string(bytes, '\0'); }

// A manifest from FROM to TO as the fuzzer's bytes have it, but signed as a
// real terminal would; with REPAIR, also made valid in everything the
// fuzzer cannot easily get right (version, ids, chunk size, sizes, digests
// of the zero ciphertext, the sealed key), keeping its file count, names
// and sizes as far as the send limits allow.
void SignManifest(const World& w, const Office& from, const Office& to, bool repair, pb::Request* r) {
  pb::SignedManifest* s = r->mutable_send_begin()->mutable_signed_();
  pb::Manifest m;
  (void)m.ParseFromString(s->manifest());
  m.set_sender_office(from.number);
  m.set_sender_user_id(from.user);
  m.set_recipient_office(to.number);
  if (m.send_id().empty()) m.set_send_id(NewId(kNowMillis));
  if (repair) {
    m.set_version(crypto::kManifestVersion);
    if (!IsId(m.send_id())) m.set_send_id(NewId(kNowMillis));
    m.set_chunk_size(w.options.min_chunk_bytes);
    if (m.files_size() == 0) m.add_files();
    while (static_cast<uint32_t>(m.files_size()) > w.options.max_files) m.mutable_files()->RemoveLast();
    int i = 0;
    for (pb::FileEntry& f : *m.mutable_files()) {
      if (!IsSafeFileName(f.name())) f.set_name("plan" + std::to_string(i) + ".pdf");
      f.set_size(f.size() % (w.options.max_send_bytes / w.options.max_files + 1));
      f.set_sha256(std::string(32, 's'));
      f.set_chunk_count(crypto::ChunkCount(f.size(), m.chunk_size()));
      f.set_cipher_size(f.size() + f.chunk_count() * crypto::MaxSealedLen(m.version(), 0));
      crypto::ChunkDigest digest(m.version());
      for (uint64_t at = 0; at < f.size() || (at == 0 && f.size() == 0); at += m.chunk_size()) {
        digest.Update(ZeroCipher(crypto::MaxSealedLen(m.version(), std::min<uint64_t>(m.chunk_size(), f.size() - at))));
        if (f.size() == 0) break;
      }
      f.set_cipher_sha256(digest.Final());
      ++i;
    }
    m.set_message_cipher(std::string(crypto::kChunkOverhead + 4, 'm'));
    m.clear_sealed_keys();
    pb::SealedKey* k = m.add_sealed_keys();
    k->set_e2e_pk(to.e2e_pk);
    k->set_sealed(std::string(32 + crypto_box_SEALBYTES, 'k'));
  }
  s->set_manifest(m.SerializeAsString());
  s->set_signature(*from.key->Sign(s->manifest()));
  s->set_signer_cert_der(from.cert_der);
}

// A ChunkPut of the zero ciphertext of its chunk, at the size the stored
// manifest expects.
void FillChunk(ServerContext& ctx, const pb::Request& req, std::string* data) {
  auto rec = ctx.store->GetMessage(req.chunk_put().message_id());
  pb::Manifest m;
  if (!rec.ok() || !m.ParseFromString(rec->signed_().manifest())) return;
  if (req.chunk_put().file_index() >= static_cast<uint32_t>(m.files_size()) || m.chunk_size() == 0) return;
  const pb::FileEntry& f = m.files(req.chunk_put().file_index());
  *data = ZeroCipher(
      crypto::MaxSealedLen(m.version(), crypto::ChunkLen(f.size(), m.chunk_size(), req.chunk_put().chunk_index())));
}

[[noreturn]] void Broken(const char* what) {
  fprintf(stderr, "broken promise: %s\n", what);
  __builtin_trap();
}

// The promises that must hold whatever was asked.
void Check(ServerContext& ctx, const Caller& caller, const pb::Request& req, const Status& st,
           const pb::Response& out) {
  if (!st.ok()) {
    if (st.reason().empty()) Broken("a refusal without a reason");
    return;
  }
  const Verb* verb = FindVerb(req.body_case());
  if (verb == nullptr) Broken("an unknown verb answered");
  if (caller.kind == Caller::kAnon && !verb->anonymous) Broken("an unknown key was served");
  if (caller.kind == Caller::kOffice && verb->channel == Channel::kAdmin) Broken("an office ran an admin verb");
  if (caller.kind == Caller::kAdmin && verb->channel == Channel::kOffice) Broken("the admin ran an office verb");
  if (caller.kind != Caller::kOffice) return;
  for (const pb::MailEntry& e : out.list().entries()) {
    if (req.has_list_inbox() && e.recipient_office() != caller.office) Broken("another office's inbox listed");
    if (req.has_list_sent() && e.sender_office() != caller.office) Broken("another office's sends listed");
  }
  if (out.has_fetch_begin() && out.fetch_begin().entry().recipient_office() != caller.office) {
    Broken("another office's mail fetched");
  }
  if (req.has_chunk_get() || req.has_ack()) {
    auto rec = ctx.store->GetMessage(req.has_ack() ? req.ack().message_id() : req.chunk_get().message_id());
    if (rec.ok() && rec->recipient_office() != caller.office) Broken("another office's mail downloaded");
  }
}

// A broker's state: a store with the two offices enrolled, its context
// and sweeper. Opening RocksDB costs far more than a session of requests,
// so one lives for kSessionsPerStore inputs and then starts afresh; a
// finding is replayed with -runs on the one input (the harness keeps no
// message id across inputs, so most of what an input does depends on it
// alone).
constexpr uint64_t kSessionsPerStore = 256;

struct Broker {
  Broker(World* w, const std::string& path) : w(w), path(path) {
    StoreOptions so;
    so.env = &w->env;
    so.rocksdb_env = w->mem.get();
    auto opened = RocksDbMailboxStore::Open(path, so);
    if (!opened.ok()) Die("store", opened.status());
    store = std::move(opened).value();
    for (const Office* o : {&w->a, &w->b}) {
      if (Status st = store->Enrol(o->record, o->curve_pk); !st.ok()) Die("enrol", st);
    }
    events = std::make_unique<Subscriptions>(&w->router, &w->env);
    ctx = std::make_unique<ServerContext>(w->options, store.get(), w->trust.get(), &w->metrics, events.get());
    sweeper = std::make_unique<Sweeper>(ctx.get());
  }
  ~Broker() {
    sweeper.reset();
    ctx.reset();
    store.reset();
    rocksdb::Options destroy;
    destroy.env = w->mem.get();
    (void)rocksdb::DestroyDB(path, destroy);
  }
  World* const w;
  const std::string path;
  std::unique_ptr<RocksDbMailboxStore> store;
  std::unique_ptr<Subscriptions> events;
  std::unique_ptr<ServerContext> ctx;
  std::unique_ptr<Sweeper> sweeper;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World* w = Setup();
  static std::unique_ptr<Broker> broker;
  if (broker == nullptr || w->generation % kSessionsPerStore == 0) {
    broker.reset();
    broker = std::make_unique<Broker>(w, w->dir + "/s" + std::to_string(w->generation));
  }
  ++w->generation;
  ServerContext& ctx = *broker->ctx;
  Sweeper& sweeper = *broker->sweeper;
  FuzzedDataProvider in(data, size);
  std::vector<std::string> ids;  // message ids handed out in this session
  int64_t advanced = 0;          // the clock goes back to the start after the session

  for (int op = 0; op < 24 && in.remaining_bytes() > 0; ++op) {
    const int who = in.ConsumeIntegralInRange(0, 3);
    const uint8_t flags = in.ConsumeIntegral<uint8_t>();
    Caller caller;
    const Office* self = nullptr;
    const Office* other = nullptr;
    if (who == 0) {
      caller = {Caller::kAnon, "", std::string(32, static_cast<char>(flags))};
    } else if (who == 3) {
      caller = {Caller::kAdmin};
    } else {
      self = who == 1 ? &w->a : &w->b;
      other = who == 1 ? &w->b : &w->a;
      caller = {Caller::kOffice, self->number, self->curve_pk, "r" + std::to_string(who)};
    }
    std::vector<zmq::message_t> frames;
    const std::string head = in.ConsumeRandomLengthString(4096);
    frames.emplace_back(head.data(), head.size());
    if (flags & 0x80) {
      const std::string chunk = in.ConsumeRandomLengthString(w->options.max_chunk_bytes + 64);
      frames.emplace_back(chunk.data(), chunk.size());
    }
    auto incoming =
        wire::DecodeRequest(frames, crypto::MaxSealedLen(crypto::kManifestVersion, w->options.max_chunk_bytes));
    if (!incoming.ok()) {
      if (incoming.status().reason().empty()) Broken("a bad frame without a reason");
      continue;
    }
    pb::Request& req = incoming->request;
    if ((flags & 0x01) && !ids.empty()) {
      if (std::string* id = MessageIdField(&req)) *id = ids[in.ConsumeIntegralInRange<size_t>(0, ids.size() - 1)];
    }
    if ((flags & 0x02) && self != nullptr && req.has_send_begin()) SignManifest(*w, *self, *other, flags & 0x04, &req);
    if ((flags & 0x04) && req.has_chunk_put()) {
      FillChunk(ctx, req, &incoming->data);
      incoming->has_data = true;
    }
    if ((flags & 0x08) && self != nullptr && req.has_ack()) {
      req.mutable_ack()->set_receipt_signature(*self->key->Sign(req.ack().receipt()));
    }
    // A backup is written where the request says, on the real file system:
    // an absolute folder is moved under one that does not exist, so the verb
    // checks and refuses it without writing anything.
    if (req.has_backup() && !req.backup().dir().empty() && req.backup().dir()[0] == '/') {
      req.mutable_backup()->set_dir(w->dir + "/no-such-folder" + req.backup().dir());
    }
    pb::Response out;
    std::string out_data;
    const broker::Call call{caller, req, incoming->data, &sweeper};
    const Status st = Dispatch(ctx, caller.kind == Caller::kAdmin, call, incoming->has_data, &out, &out_data);
    Check(ctx, caller, req, st, out);
    if (st.ok() && out.has_send_begin()) ids.push_back(out.send_begin().message_id());
    if (flags & 0x10) {
      const int64_t step = in.ConsumeIntegralInRange<int64_t>(0, 10LL * 86400 * 1000);
      w->env.Advance(step);
      advanced += step;
    }
  }
  w->env.Advance(-advanced);
  return 0;
}
