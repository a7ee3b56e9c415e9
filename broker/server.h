// Server: the broker process's core. Owns the mailbox store, the CURVE key
// pairs, the ZAP handler thread, the two ROUTER sockets (offices, admin),
// the metrics endpoint and the sweeper, and answers every verb of
// docs/protocol.md. server.cc has the serving loop and the office verbs;
// server_notify.cc pushed events and notices; server_admin.cc the operator
// verbs, retention and statistics.
//
// Identity comes only from ZAP: the handler maps a client's CURVE key to
// "office:N:KEY" (an enrolled terminal), "anon:KEY" (unknown key: may enrol,
// nothing else) or "admin" (admin socket only), and every request is
// authorised from that, never from ids inside the payload. Run() is called
// from one thread; Start() and the accessors from the same thread.
#ifndef TAYORI_BROKER_SERVER_H_
#define TAYORI_BROKER_SERVER_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "broker/mailbox_store.h"
#include "broker/metrics.h"
#include "broker/options.h"
#include "broker/trust_source.h"
#include "common/crypto/e2e.h"
#include "common/status.h"
#include "common/wire/codec.h"

namespace tayori::broker {

class Server {
 public:
  static StatusOr<std::unique_ptr<Server>> Start(BrokerOptions options);
  ~Server();

  // Endpoints as bound (a port 0 in the options is replaced by the real one).
  const std::string& endpoint() const { return endpoint_; }
  const std::string& admin_endpoint() const { return admin_endpoint_; }
  const std::string& metrics_endpoint() const { return metrics_endpoint_; }
  const std::string& public_key() const { return public_key_; }

  // Serves until *STOP becomes true (checked at least every 200 ms). Runs
  // the sweeper every sweep_interval (by the injected clock).
  void Run(const std::atomic<bool>* stop);

 private:
  struct Caller {
    enum Kind { kAnon, kOffice, kAdmin } kind = kAnon;
    std::string office;      // kOffice
    std::string curve_pk;    // the connection's raw CURVE key (kAnon, kOffice)
    std::string routing_id;  // the ROUTER identity, for pushed events
  };

  explicit Server(BrokerOptions options);
  Status Init();
  void ZapLoop();
  void ServeOne(zmq::socket_t& socket, bool admin_socket);
  StatusOr<Caller> Identify(zmq::message_t& frame, bool admin_socket);
  Status Dispatch(const Caller& caller, bool admin_socket, const wire::Incoming& in,
                  pb::Response* out, std::string* out_data);

  // Office verbs (server.cc).
  Status Enrol(const Caller& c, const pb::EnrolRequest& r, pb::Response* out);
  Status Lookup(const std::string& office, pb::OfficeInfo* out);
  Status SendBegin(const Caller& c, const pb::SendBeginRequest& r, pb::Response* out);
  Status ChunkPut(const Caller& c, const pb::ChunkPut& r, const wire::Incoming& in);
  Status Commit(const Caller& c, const pb::CommitRequest& r, pb::Response* out);
  Status List(const Caller& c, const pb::ListRequest& r, bool inbox, pb::Response* out);
  StatusOr<pb::MessageRecord> RecipientMessage(const Caller& c, const std::string& id);
  Status TakeLease(const Caller& c, pb::MessageRecord* rec);
  Status FetchBegin(const Caller& c, const pb::FetchBeginRequest& r, pb::Response* out);
  Status ChunkGet(const Caller& c, const pb::ChunkGet& r, std::string* out_data);
  Status Ack(const Caller& c, const pb::AckRequest& r, pb::Response* out);
  Status Subscribe(const Caller& c);
  Status Notices(bool include_withdrawn, pb::Response* out);

  // Operator verbs, retention, statistics (server_admin.cc); events and
  // notices (server_notify.cc).
  Status OfficeAdd(const pb::OfficeAddRequest& r, pb::Response* out);
  Status LicenceRenew(const pb::LicenceRenewRequest& r, pb::Response* out);
  Status LicenceExpire(const pb::LicenceExpireRequest& r, pb::Response* out);
  Status OfficeList(pb::Response* out);
  Status NoticePost(const pb::NoticePostRequest& r, pb::Response* out);
  Status NoticeWithdraw(const pb::NoticeWithdrawRequest& r, pb::Response* out);
  Status Stats(pb::Response* out);
  Status Maintenance(const pb::MaintenanceRequest& r, pb::Response* out);
  // One pass of the sweeper over at most LIMIT due messages.
  StatusOr<std::pair<uint64_t, uint64_t>> SweepOnce(size_t limit);
  Status CountPending();
  uint64_t DiskBytes() const;

  // Pushes EVENT to every subscribed terminal of OFFICE.
  void Notify(const std::string& office, const pb::Event& event);

  Status CheckManifest(const pb::Manifest& m) const;
  void FillOfficeInfo(const pb::OfficeRecord& rec, bool with_keys, pb::OfficeInfo* out);
  void FillEntry(const pb::MessageRecord& rec, pb::MailEntry* out);
  bool Licensed(const pb::OfficeRecord& rec);
  int64_t Now() { return options_.env->NowSeconds(); }

  // Constant after Start().
  BrokerOptions options_;
  std::string endpoint_;
  std::string admin_endpoint_;
  std::string metrics_endpoint_;
  std::string public_key_;
  std::string secret_key_;
  std::string admin_public_raw_;  // 32 bytes

  std::unique_ptr<MailboxStore> store_;  // thread-safe; shared with the ZAP thread
  TrustSource trust_;
  Metrics metrics_;
  zmq::context_t context_;
  zmq::socket_t zap_;     // ZAP thread only
  zmq::socket_t router_;  // Run() thread only
  zmq::socket_t admin_;   // Run() thread only
  std::thread zap_thread_;
  std::atomic<bool> zap_stop_{false};

  // Run() thread only.
  int64_t next_sweep_ = 0;
  std::string sweep_cursor_;  // where the sweep in progress has got to
  // Ciphertext digests of uploads in progress, fed by chunks that arrive in
  // order, so a commit need not read them back. Lost on restart (the commit
  // then reads the chunks).
  struct UploadHash {
    std::vector<std::unique_ptr<crypto::Sha256>> files;
    std::vector<uint32_t> next_chunk;
    bool in_order = true;
  };
  std::map<std::string, UploadHash> upload_hashes_;
  // office -> (routing id -> subscription end, monotonic seconds)
  std::map<std::string, std::map<std::string, int64_t>> subscribers_;
};

}  // namespace tayori::broker

#endif  // TAYORI_BROKER_SERVER_H_
