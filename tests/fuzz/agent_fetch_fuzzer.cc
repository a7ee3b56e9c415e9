// libFuzzer target: the agent's handling of the broker's answers on the
// fetch path (trust anchor and CRL, the signed entry, chunks, the ack).
//
// Once per process a real broker serves on loopback, two offices enrol
// through the agent library and A sends B two files; B's genuine fetch goes
// through a fake broker that forwards to the real one and records every
// answer. Then, per input, a fresh copy of B's terminal fetches the same
// message from the fake broker alone, which answers from the recording,
// altered as the input says: bytes flipped, chunks replaced, cut, swapped
// or doubled, error answers, the entry's unsigned fields changed, or its
// manifest changed and re-signed with A's own key (what a modified sender
// agent and a careless broker could deliver).
//
// Whatever the answers: the agent does not crash; a fetch that succeeds
// saved, under DEST, exactly the files of the manifest it was given, each
// matching that manifest's signed size and digest; a fetch that fails gives
// a reason and leaves no file under a final name; nothing is written
// outside DEST and the terminal's home.
#include <google/protobuf/stubs/logging.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "agent/agent.h"
#include "agent/keys.h"
#include "agent/local_store.h"
#include "broker/admin_client.h"
#include "broker/server.h"
#include "common/crypto/curve.h"
#include "common/crypto/e2e.h"
#include "common/crypto/test_ca.h"
#include "common/crypto/x509.h"
#include "common/env.h"
#include "common/wire/client.h"
#include "common/wire/codec.h"

namespace {

using namespace tayori;
namespace fs = std::filesystem;

constexpr char kOfficeA[] = "0123456789";
constexpr char kOfficeB[] = "1299999999";

void Die(const std::string& what, const Status& st) {
  fprintf(stderr, "fuzz setup: %s: %s\n", what.c_str(), st.ToString().c_str());
  abort();
}

void Check(bool ok, const std::string& what) {
  if (!ok) {
    fprintf(stderr, "fetch invariant broken: %s\n", what.c_str());
    abort();
  }
}

// One recorded answer: the response (req_id cleared) and its data frame.
struct Answer {
  pb::Response response;
  std::string data;
  bool has_data = false;
  bool raw = false;  // DATA is the whole reply: bytes that are no response
};

// What the fake broker does to the answers of one fetch: one op per answer,
// in the order the requests arrive; answers past the last op are genuine.
struct Op {
  int kind = 0;
  std::string bytes;  // fuzz bytes the op uses
  uint64_t n1 = 0, n2 = 0;
};

// The key an answer is recorded under: the verb, and for a chunk its place.
std::string KeyOf(const pb::Request& r) {
  std::string key = std::to_string(static_cast<int>(r.body_case()));
  if (r.has_chunk_get())
    key += "/" + std::to_string(r.chunk_get().file_index()) + "/" + std::to_string(r.chunk_get().chunk_index());
  return key;
}

// A ROUTER with its own CURVE key pair, on loopback. While recording it
// forwards each request to the real broker as B and keeps the answer; then
// it answers from the recording, through the ops of the current input.
class FakeBroker {
 public:
  FakeBroker() {
    auto kp = crypto::NewCurveKeyPair();
    if (!kp.ok()) Die("fake broker key", kp.status());
    public_key_ = kp->public_z85;
    router_.set(zmq::sockopt::curve_server, 1);
    router_.set(zmq::sockopt::curve_secretkey, kp->secret_z85);
    router_.set(zmq::sockopt::linger, 0);
    router_.bind("tcp://127.0.0.1:0");
    endpoint_ = router_.get(zmq::sockopt::last_endpoint);
    thread_ = std::thread([this] { Serve(); });
    thread_.detach();  // serves until the process exits
  }

  const std::string& endpoint() const { return endpoint_; }
  const std::string& public_key() const { return public_key_; }

  void Record(std::unique_ptr<wire::Client> upstream) {
    std::lock_guard<std::mutex> l(mu_);
    upstream_ = std::move(upstream);
  }
  void Replay(std::vector<Op> ops) {
    std::lock_guard<std::mutex> l(mu_);
    upstream_.reset();
    ops_ = std::move(ops);
    next_op_ = 0;
    last_entry_.Clear();
  }
  // The entry of the last fetch_begin answer sent (as sent).
  pb::MailEntry last_entry() {
    std::lock_guard<std::mutex> l(mu_);
    return last_entry_;
  }
  std::string message_id() {
    std::lock_guard<std::mutex> l(mu_);
    return recorded_message_id_;
  }
  size_t recorded() {
    std::lock_guard<std::mutex> l(mu_);
    return recording_.size();
  }
  void SetSigner(std::unique_ptr<crypto::PrivateKey> key) { signer_ = std::move(key); }

 private:
  void Serve() {
    while (true) {
      zmq::pollitem_t item{router_.handle(), 0, ZMQ_POLLIN, 0};
      if (zmq::poll(&item, 1, std::chrono::milliseconds(100)) == 0) continue;
      std::vector<zmq::message_t> frames = wire::RecvAll(router_);
      if (frames.size() < 2) continue;
      zmq::message_t identity = std::move(frames[0]);
      frames.erase(frames.begin());
      auto in = wire::DecodeRequest(frames, 8 << 20);
      if (!in.ok()) continue;
      std::vector<Answer> out;
      {
        std::lock_guard<std::mutex> l(mu_);
        out = AnswerLocked(*in);
      }
      for (Answer& a : out) {
        router_.send(zmq::buffer(identity.data(), identity.size()), zmq::send_flags::sndmore);
        if (a.raw) {
          router_.send(zmq::buffer(a.data), zmq::send_flags::none);
          continue;
        }
        const std::string bytes = wire::Serialize(a.response);
        if (a.has_data) {
          router_.send(zmq::buffer(bytes), zmq::send_flags::sndmore);
          router_.send(zmq::buffer(a.data), zmq::send_flags::none);
        } else {
          router_.send(zmq::buffer(bytes), zmq::send_flags::none);
        }
      }
    }
  }

  std::vector<Answer> AnswerLocked(const wire::Incoming& in) {
    const uint64_t req_id = in.request.req_id();
    const std::string key = KeyOf(in.request);
    if (upstream_ != nullptr) {
      Answer a;
      pb::Request forward = in.request;
      auto reply = upstream_->Call(forward, in.data);
      if (!reply.ok()) {
        a.response = wire::ErrorResponse(0, reply.status());
      } else {
        a.response = reply->response;
        a.data = reply->data;
        a.has_data = !reply->data.empty();
      }
      a.response.set_req_id(0);
      recording_[key] = a;
      if (in.request.has_fetch_begin()) recorded_message_id_ = in.request.fetch_begin().message_id();
      a.response.set_req_id(req_id);
      return {a};
    }
    auto found = recording_.find(key);
    Answer a;
    if (found == recording_.end()) {
      a.response = wire::ErrorResponse(req_id, Status(Code::kNotFound, "not_found", "no such request recorded"));
      return {a};
    }
    a = found->second;
    a.response.set_req_id(req_id);
    std::vector<Answer> out;
    if (next_op_ < ops_.size()) {
      out = Apply(ops_[next_op_++], a, req_id);
    } else {
      out = {a};
    }
    for (const Answer& sent : out) {
      if (sent.response.has_fetch_begin()) last_entry_ = sent.response.fetch_begin().entry();
    }
    return out;
  }

  // The answer A altered by OP.
  std::vector<Answer> Apply(const Op& op, Answer a, uint64_t req_id) {
    switch (op.kind) {
      case 1: {  // flip bytes of the response
        std::string bytes = wire::Serialize(a.response);
        if (bytes.empty()) return {a};
        for (size_t i = 0; i + 1 < op.bytes.size(); i += 2) {
          bytes[(static_cast<uint8_t>(op.bytes[i]) * 131 + op.n1 + i) % bytes.size()] ^= op.bytes[i + 1];
        }
        pb::Response parsed;
        if (parsed.ParseFromString(bytes)) {
          parsed.set_req_id(req_id);  // an answer the agent would ignore only costs time
          a.response = parsed;
          return {a};
        }
        Answer raw;  // does not parse: sent as it is
        raw.data = bytes;
        raw.raw = true;
        return {raw};
      }
      case 2:  // the data frame replaced
        a.data = op.bytes;
        a.has_data = true;
        return {a};
      case 3:  // the data frame cut or grown
        a.data.resize(op.n1 % (a.data.size() * 2 + 2), static_cast<char>(op.n2));
        return {a};
      case 4: {  // an error answer
        const Code codes[] = {Code::kNotFound,           Code::kPermissionDenied, Code::kInvalidArgument,
                              Code::kFailedPrecondition, Code::kUnavailable,      Code::kDataLoss,
                              Code::kUnauthenticated};
        a.response = wire::ErrorResponse(req_id, Status(codes[op.n1 % 7], op.bytes, "fuzz"));
        a.data.clear();
        a.has_data = false;
        return {a};
      }
      case 5: {  // another recorded answer
        auto it = recording_.begin();
        std::advance(it, op.n1 % recording_.size());
        Answer other = it->second;
        other.response.set_req_id(req_id);
        return {other};
      }
      case 6:  // the manifest changed and re-signed by A
        if (a.response.has_fetch_begin()) Resign(op, a.response.mutable_fetch_begin()->mutable_entry());
        return {a};
      case 7:  // an unsigned field of the entry changed
        if (a.response.has_fetch_begin()) ChangeEntry(op, a.response.mutable_fetch_begin()->mutable_entry());
        return {a};
      case 8:  // the answer twice
        return {a, a};
      case 9: {  // a response made of fuzz bytes
        pb::Response parsed;
        if (!parsed.ParseFromString(op.bytes)) {
          Answer raw;
          raw.data = op.bytes;
          raw.raw = true;
          return {raw};
        }
        parsed.set_req_id(req_id);
        a.response = parsed;
        return {a};
      }
      default:
        return {a};
    }
  }

  void Resign(const Op& op, pb::MailEntry* entry) {
    pb::Manifest m;
    if (!m.ParseFromString(entry->signed_().manifest())) return;
    const int fi = m.files_size() == 0 ? -1 : static_cast<int>(op.n2 % m.files_size());
    switch (op.n1 % 12) {
      case 0:
        m.set_chunk_size(static_cast<uint32_t>(op.n2));
        break;
      case 1:
        if (fi >= 0) m.mutable_files(fi)->set_size(op.n2 >> 8);
        break;
      case 2:
        if (fi >= 0) m.mutable_files(fi)->set_chunk_count(static_cast<uint32_t>(op.n2 >> 8));
        break;
      case 3:
        if (fi >= 0) m.mutable_files(fi)->set_name(op.bytes);
        break;
      case 4:
        m.set_version(static_cast<uint32_t>(op.n2));
        break;
      case 5:
        if (fi >= 0) m.mutable_files(fi)->set_sha256(op.bytes);
        break;
      case 6:
        if (fi >= 0) *m.add_files() = m.files(fi);
        break;
      case 7:
        m.mutable_files()->DeleteSubrange(0, fi >= 0 ? 1 : 0);
        break;
      case 8:
        m.set_recipient_office(op.bytes);
        break;
      case 9:
        m.set_created_unix(static_cast<int64_t>(op.n2));
        break;
      case 10:
        m.set_message_cipher(op.bytes);
        break;
      case 11:
        if (m.sealed_keys_size() > 0) m.mutable_sealed_keys(0)->ParseFromString(op.bytes);
        break;
    }
    const std::string bytes = m.SerializeAsString();
    auto signature = signer_->Sign(bytes);
    if (!signature.ok()) return;
    entry->mutable_signed_()->set_manifest(bytes);
    entry->mutable_signed_()->set_signature(*signature);
  }

  static void ChangeEntry(const Op& op, pb::MailEntry* entry) {
    switch (op.n1 % 6) {
      case 0:
        entry->set_accepted_unix(static_cast<int64_t>(op.n2));
        break;
      case 1:
        entry->set_sender_office(op.bytes);
        break;
      case 2:
        entry->set_message_id(op.bytes);
        break;
      case 3:
        entry->mutable_signed_()->set_signer_cert_der(op.bytes);
        break;
      case 4:
        entry->mutable_signed_()->set_signature(op.bytes);
        break;
      case 5:
        entry->mutable_signed_()->set_manifest(op.bytes);
        break;
    }
  }

  zmq::context_t context_{1};
  zmq::socket_t router_{context_, zmq::socket_type::router};
  std::string endpoint_, public_key_;
  std::thread thread_;
  std::unique_ptr<crypto::PrivateKey> signer_;  // A's certificate key

  std::mutex mu_;
  std::unique_ptr<wire::Client> upstream_;  // set while recording
  std::map<std::string, Answer> recording_;
  std::string recorded_message_id_;
  std::vector<Op> ops_;
  size_t next_op_ = 0;
  pb::MailEntry last_entry_;
};

struct World {
  std::string dir;
  Env* env = Env::Default();
  std::unique_ptr<broker::Server> broker;
  std::atomic<bool> stop{false};
  std::thread broker_thread;
  std::unique_ptr<FakeBroker> fake;
  std::unique_ptr<crypto::Certificate> cert_a;  // A's, that signs the message
  std::string template_home;                    // B's terminal, set up and enrolled, before any fetch
  std::map<std::string, std::string> sent;      // name -> bytes A sent
  uint64_t iteration = 0;
};

// Sets up, enrols and opens terminal LABEL of OFFICE on the real broker.
std::unique_ptr<agent::Agent> NewAgent(World* w, crypto::TestCa* ca, const std::string& label,
                                       const std::string& office, const std::string& user, std::string* key_pem) {
  const int64_t now = w->env->NowSeconds();
  auto issued = ca->Issue({office, user, crypto::CertType::kCareInsurance, now - 3600, now + 365 * 86400LL});
  if (!issued.ok()) Die("issue", issued.status());
  *key_pem = issued->key_pem;
  const std::string certs = w->dir + "/certs-" + label;
  Status st = w->env->CreateDirs(certs, 0700);
  if (st.ok()) st = WriteFileAtomic(certs + "/cert.pem", issued->cert_pem);
  if (st.ok()) st = WriteFileAtomic(certs + "/key.pem", issued->key_pem);
  if (!st.ok()) Die("certificate files", st);
  agent::InitOptions io;
  io.home = w->dir + "/home-" + label;
  io.broker = w->broker->endpoint();
  io.broker_key = w->broker->public_key();
  io.cert_path = certs + "/cert.pem";
  io.key_path = certs + "/key.pem";
  io.ca_path = w->dir + "/ca/ca.pem";
  st = agent::Agent::Init(io, w->env);
  if (!st.ok()) Die("init " + label, st);
  auto yaml = ReadFile(io.home + "/agent.yaml");
  if (!yaml.ok()) Die("agent.yaml", yaml.status());
  st = WriteFileAtomic(io.home + "/agent.yaml",
                       *yaml + "chunk_size: 4096\nattempt_timeout_s: 1\ntimeout_s: 3\nwindow: 4\n");
  if (!st.ok()) Die("agent.yaml", st);
  auto opened = agent::Agent::Open(io.home, w->env);
  if (!opened.ok()) Die("open " + label, opened.status());
  auto enrolled = (*opened)->Enrol();
  if (!enrolled.ok()) Die("enrol " + label, enrolled.status());
  return std::move(opened).value();
}

// Points the terminal in HOME at the fake broker.
void UseFake(World* w, const std::string& home) {
  auto yaml = ReadFile(home + "/agent.yaml");
  if (!yaml.ok()) Die("agent.yaml", yaml.status());
  std::string out;
  size_t pos = 0;
  while (pos < yaml->size()) {
    size_t end = yaml->find('\n', pos);
    if (end == std::string::npos) end = yaml->size();
    std::string line = yaml->substr(pos, end - pos);
    if (line.rfind("broker:", 0) == 0) line = "broker: " + w->fake->endpoint();
    if (line.rfind("broker_key:", 0) == 0) line = "broker_key: \"" + w->fake->public_key() + "\"";
    out += line + "\n";
    pos = end + 1;
  }
  Status st = WriteFileAtomic(home + "/agent.yaml", out);
  if (!st.ok()) Die("agent.yaml", st);
}

World* Setup() {
  google::protobuf::SetLogHandler(nullptr);
  auto* w = new World;
  const char* tmp = getenv("TMPDIR");
  std::string templ = std::string(tmp != nullptr ? tmp : "/tmp") + "/tayori-fetch-fuzz-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) abort();
  w->dir = templ;
  static std::string made = templ;  // removed when libFuzzer exits normally
  atexit([] { fs::remove_all(made); });
  const int64_t now = w->env->NowSeconds();
  Status st = crypto::TestCa::Init(w->dir + "/ca", now - 86400);
  if (!st.ok()) Die("ca", st);
  auto ca = crypto::TestCa::Open(w->dir + "/ca");
  if (!ca.ok()) Die("ca", ca.status());

  broker::BrokerOptions o;
  o.endpoint = "tcp://127.0.0.1:0";
  o.admin_endpoint = "tcp://127.0.0.1:0";
  o.metrics_endpoint = "";
  o.data_dir = w->dir + "/broker";
  o.ca_cert = w->dir + "/ca/ca.pem";
  o.ca_crl = w->dir + "/ca/crl.pem";
  o.min_chunk_bytes = 4096;
  auto server = broker::Server::Start(o);
  if (!server.ok()) Die("broker", server.status());
  w->broker = std::move(server).value();
  w->broker_thread = std::thread([w] { w->broker->Run(&w->stop); });
  auto admin = broker::ConnectAdmin(o.data_dir, 10000);
  if (!admin.ok()) Die("admin", admin.status());
  for (const char* office : {kOfficeA, kOfficeB}) {
    pb::Request add;
    add.mutable_office_add()->set_office(office);
    add.mutable_office_add()->set_name(std::string("office ") + office);
    auto added = (*admin)->Call(add);
    if (!added.ok()) Die("office add", added.status());
  }

  std::string key_a, key_b;
  auto a = NewAgent(w, &*ca, "a", kOfficeA, "KJ000000000001", &key_a);
  auto b = NewAgent(w, &*ca, "b", kOfficeB, "KJ000000000002", &key_b);
  auto cert_pem_a = ReadFile(w->dir + "/certs-a/cert.pem");
  if (!cert_pem_a.ok()) Die("certificate of A", cert_pem_a.status());
  auto cert_a = crypto::Certificate::FromPem(*cert_pem_a);
  if (!cert_a.ok()) Die("certificate of A", cert_a.status());
  w->cert_a = std::make_unique<crypto::Certificate>(std::move(cert_a).value());
  // Two files, the first of three chunks (the last one short).
  w->sent["plan.pdf"] = "%PDF-1.7\n" + std::string(10000, 'p');
  w->sent["note.pdf"] = "%PDF-1.7\nshort";
  agent::SendOptions so;
  so.to = kOfficeB;
  so.message = "12月分";
  for (const auto& [name, bytes] : w->sent) {
    const std::string path = w->dir + "/" + name;
    st = WriteFileAtomic(path, bytes);
    if (!st.ok()) Die("file", st);
    so.files.push_back(path);
  }
  auto sent = a->Send(so, nullptr);
  if (!sent.ok()) Die("send", sent.status());
  a.reset();

  // B's terminal as it is before the fetch, pointed at the fake broker.
  b.reset();
  w->fake = std::make_unique<FakeBroker>();
  auto signer = crypto::PrivateKey::FromPem(key_a);
  if (!signer.ok()) Die("key", signer.status());
  w->fake->SetSigner(std::make_unique<crypto::PrivateKey>(std::move(signer).value()));
  w->template_home = w->dir + "/home-b";
  UseFake(w, w->template_home);
  const std::string recording_home = w->dir + "/home-b-recording";
  fs::copy(w->template_home, recording_home, fs::copy_options::recursive);

  // The genuine fetch, through the fake broker in front of the real one.
  auto keys = agent::TerminalKeys::Load(recording_home, w->env);
  if (!keys.ok()) Die("keys", keys.status());
  wire::ClientOptions co;
  co.endpoint = w->broker->endpoint();
  co.server_key = w->broker->public_key();
  co.public_key = keys->curve_public;
  co.secret_key = keys->curve_secret;
  co.deadline_ms = 10000;
  auto upstream = wire::Client::Connect(co);
  if (!upstream.ok()) Die("upstream", upstream.status());
  w->fake->Record(std::move(upstream).value());
  auto recorder = agent::Agent::Open(recording_home, w->env);
  if (!recorder.ok()) Die("open recorder", recorder.status());
  auto fetched = (*recorder)->Fetch(sent->message_id, w->dir + "/genuine", nullptr);
  if (!fetched.ok()) Die("genuine fetch", fetched.status());
  if (w->fake->recorded() < 4) Die("recording", Status(Code::kInternal, "short", "too few answers recorded"));
  recorder->reset();
  w->fake->Replay({});
  w->stop = true;
  w->broker_thread.join();
  w->broker.reset();

  // The harness itself: the recording, replayed unaltered, delivers what
  // A sent.
  const std::string check_home = w->dir + "/check-home", check_dest = w->dir + "/check-dest";
  fs::copy(w->template_home, check_home, fs::copy_options::recursive);
  auto checker = agent::Agent::Open(check_home, w->env);
  if (!checker.ok()) Die("open", checker.status());
  auto replayed = (*checker)->Fetch(w->fake->message_id(), check_dest, nullptr);
  if (!replayed.ok()) Die("unaltered replay", replayed.status());
  for (const auto& [name, bytes] : w->sent) {
    auto got = ReadFile(check_dest + "/" + name);
    if (!got.ok() || *got != bytes) Die("unaltered replay", Status(Code::kDataLoss, "differs", name));
  }
  return w;
}

// Files under ROOT, relative, that are not under one of KEEP.
std::vector<std::string> Strays(const std::string& root, const std::set<std::string>& keep) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(root)) {
    if (keep.count(e.path().filename().string()) == 0) out.push_back(e.path().filename().string());
  }
  return out;
}

// The files in DEST under final names (not the agent's .part files).
std::vector<std::string> Finals(const std::string& dest) {
  std::vector<std::string> out;
  if (!fs::exists(dest)) return out;
  for (const auto& e : fs::directory_iterator(dest)) {
    if (e.path().filename().string().rfind(".tayori-", 0) != 0) out.push_back(e.path().string());
  }
  return out;
}

// RECORD's manifest is one A signed, for B; its files are direct children
// of DEST, each one there matching its signed size and digest; and FINALS
// are all among them.
void CheckSaved(World* w, const pb::ReceivedRecord& record, const std::string& dest,
                const std::vector<std::string>& finals) {
  const pb::SignedManifest& s = record.entry().signed_();
  Check(w->cert_a->VerifySignature(s.manifest(), s.signature()).ok(), "files kept under a manifest A did not sign");
  pb::Manifest m;
  Check(m.ParseFromString(s.manifest()), "the recorded manifest does not parse");
  Check(m.recipient_office() == kOfficeB, "files kept from a manifest for " + m.recipient_office());
  Check(record.saved_paths_size() == m.files_size(), "one saved path per manifest file");
  std::set<std::string> paths;
  for (int fi = 0; fi < m.files_size(); ++fi) {
    const std::string& path = record.saved_paths(fi);
    paths.insert(path);
    Check(path.rfind(dest + "/", 0) == 0 && path.find('/', dest.size() + 1) == std::string::npos,
          "saved outside DEST: " + path);
    if (!fs::exists(path)) continue;  // not yet renamed from its .part file
    auto bytes = ReadFile(path);
    Check(bytes.ok() && bytes->size() == m.files(fi).size() && crypto::Sha256Of(*bytes) == m.files(fi).sha256(),
          "saved file does not match its signed digest: " + path);
  }
  for (const std::string& f : finals) Check(paths.count(f) == 1, "a file in DEST the record does not name: " + f);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World* w = Setup();
  // Each op: kind (1 byte), n1 and n2 (8 bytes each, little-endian), the
  // length of its bytes (2 bytes) and the bytes; a short tail is cut.
  std::vector<Op> ops;
  size_t at = 0;
  auto u64 = [&](size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n && at < size; ++i, ++at) v |= static_cast<uint64_t>(data[at]) << (8 * i);
    return v;
  };
  while (at < size && ops.size() < 16) {
    Op op;
    op.kind = static_cast<int>(u64(1) % 10);
    op.n1 = u64(8);
    op.n2 = u64(8);
    const size_t len = std::min<size_t>(u64(2), size - at);
    op.bytes.assign(reinterpret_cast<const char*>(data + at), len);
    at += len;
    ops.push_back(std::move(op));
  }

  const std::string it = w->dir + "/it-" + std::to_string(w->iteration++);
  const std::string home = it + "/home";
  const std::string dest = it + "/dest";
  fs::create_directories(it);
  fs::copy(w->template_home, home, fs::copy_options::recursive);
  w->fake->Replay(ops);

  auto opened = agent::Agent::Open(home, w->env);
  Check(opened.ok(), "the terminal opens: " + opened.status().ToString());
  auto fetched = (*opened)->Fetch(w->fake->message_id(), dest, nullptr);
  opened->reset();

  // What the terminal recorded of the message: the entry it verified and
  // where its files are (a fetch whose acknowledgement failed keeps them
  // there, and the next fetch only acknowledges).
  agent::LocalStore store(home, w->env);
  auto record = store.GetReceived(w->fake->message_id());
  const std::vector<std::string> finals = Finals(dest);
  if (fetched.ok()) {
    Check(record.ok(), "a fetch succeeded without a record: " + record.status().ToString());
    Check(std::vector<std::string>(record->saved_paths().begin(), record->saved_paths().end()) == fetched->saved_paths,
          "the record names other files than the fetch");
    for (const std::string& path : fetched->saved_paths) Check(fs::exists(path), "saved file missing: " + path);
  } else {
    Check(!fetched.status().reason().empty(), "a refusal without a reason: " + fetched.status().ToString());
    Check(record.ok() || finals.empty(),
          "a failed fetch left " + (finals.empty() ? "" : finals[0]) + " under a final name, with no record of it");
  }
  if (record.ok()) CheckSaved(w, *record, dest, finals);
  const auto strays = Strays(it, {"home", "dest"});
  Check(strays.empty(), "written outside DEST and home: " + (strays.empty() ? "" : strays[0]));
  fs::remove_all(it);
  return 0;
}
