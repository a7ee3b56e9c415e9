// ServerContext: what the verb handlers (broker/verbs_*.cc) and the sweeper
// borrow from the Server: its options, store, trust anchor, metrics and
// subscriptions, plus the little state that lives only in memory (digests
// of uploads in progress, the terminal access cache). The Server owns it
// and everything it points to; it is used from the serving thread only
// (the store and the trust source are thread-safe in themselves).
#ifndef TAYORI_BROKER_CONTEXT_H_
#define TAYORI_BROKER_CONTEXT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "broker/events.h"
#include "broker/identity.h"
#include "broker/mailbox_store.h"
#include "broker/metrics.h"
#include "broker/options.h"
#include "broker/trust_source.h"
#include "common/crypto/e2e.h"
#include "common/status.h"
#include "tayori.pb.h"

namespace tayori::broker {

// Live terminals an office may have: a send seals its key to each of them.
inline constexpr size_t kMaxTerminals = 16;

// Ciphertext digests of an upload in progress, fed by chunks that arrive in
// order, so a commit need not read them back. Lost on restart (the commit
// then reads the chunks).
struct UploadHash {
  std::vector<std::unique_ptr<crypto::ChunkDigest>> files;
  std::vector<uint32_t> next_chunk;
  std::vector<uint64_t> bytes;  // of the chunks hashed, per file
  bool in_order = true;
};

class ServerContext {
 public:
  ServerContext(const BrokerOptions& options, MailboxStore* store, TrustSource* trust, Metrics* metrics,
                Subscriptions* events)
      : options(options), store(store), trust(trust), metrics(metrics), events(events) {}

  const BrokerOptions& options;
  MailboxStore* store;  // set once the store is open
  TrustSource* const trust;
  Metrics* const metrics;
  Subscriptions* const events;
  std::map<std::string, UploadHash> upload_hashes;  // by message id
  // Uploads begun and not committed, per sending office (quota).
  struct Uploads {
    uint64_t count = 0;
    uint64_t bytes = 0;
  };
  std::map<std::string, Uploads> uploads;
  void UploadBegun(const pb::MessageRecord& rec);
  void UploadEnded(const pb::MessageRecord& rec);

  int64_t Now() const { return options.env->NowSeconds(); }
  // The office's licence covers today (JST).
  bool Licensed(const pb::OfficeRecord& rec) const;
  // The office's name, or "" if it is not registered (or cannot be read).
  std::string OfficeName(const std::string& office) const;
  // OfficeName through NAMES, which keeps the names already read (a page or
  // a sweep batch names the same few offices again and again).
  std::string OfficeName(const std::string& office, std::map<std::string, std::string>* names) const;
  void FillOfficeInfo(const pb::OfficeRecord& rec, bool with_keys, pb::OfficeInfo* out) const;
  // NAMES, when given, keeps the office names already read (a page of a
  // list names the same few offices again and again: one read each).
  void FillEntry(const pb::MessageRecord& rec, pb::MailEntry* out,
                 std::map<std::string, std::string>* names = nullptr) const;

  // The terminal behind an office connection may still act for its office:
  // it is still enrolled (terminal_removed otherwise) and its certificate is
  // not revoked (cert_revoked). Answers from a cache that a new CRL, an
  // enrolment or a removal invalidates, so revocation cuts off connections
  // that are already open, at their next request.
  Status CheckTerminal(const Caller& caller);
  // The terminals of REC whose certificates are not revoked: the ones a
  // sender seals keys to, at most kMaxTerminals.
  std::vector<const pb::Terminal*> LiveTerminals(const pb::OfficeRecord& rec) const;
  // Pushes EVENT to the subscribed terminals of OFFICE that CheckTerminal
  // still admits.
  void Notify(const std::string& office, const pb::Event& event);
  // Notify for several events at once (each for its office): on a shared
  // store one round trip for all of them.
  void NotifyAll(const std::vector<std::pair<std::string, pb::Event>>& events);
  // Pushes EVENT to this broker's own subscribed terminals of OFFICE that
  // CheckTerminal still admits (Notify's second half; the serving loop
  // calls it for events other brokers published).
  void Deliver(const std::string& office, const pb::Event& event);
  // Forgets cached terminal checks (after an enrolment or removal).
  void TerminalsChanged() { terminal_checks_.clear(); }

 private:
  static constexpr int64_t kTerminalCheckMillis = 10000;
  struct TerminalCheck {
    std::shared_ptr<const crypto::TrustStore> trust;  // what it was checked against
    Status status;
    int64_t checked_ms = 0;  // monotonic
  };
  std::map<std::string, TerminalCheck> terminal_checks_;  // by CURVE key
};

}  // namespace tayori::broker

#endif  // TAYORI_BROKER_CONTEXT_H_
