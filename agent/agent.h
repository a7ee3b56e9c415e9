// Agent: one office terminal's view of tayori. Owns the terminal's keys
// (TerminalKeys), its local records (LocalStore) and a connection to the
// broker; signs and encrypts sends, verifies and decrypts downloads. Borrows
// ENV (files and clocks), which must outlive it. One thread per Agent; two
// agent commands of the same home may run at once (docs/agent.md).
//
// Where the work is: init.cc (set-up), agent.cc (connection, enrolment,
// look-ups, checks), send.cc, fetch.cc, inbox.cc, agent_home.cc (receipts,
// events, Home); transfer.h is the chunk pipeline under send and fetch.
#ifndef TAYORI_AGENT_AGENT_H_
#define TAYORI_AGENT_AGENT_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/config.h"
#include "agent/keys.h"
#include "agent/local_store.h"
#include "common/careplan/check.h"
#include "common/crypto/e2e.h"
#include "common/crypto/x509.h"
#include "common/env.h"
#include "common/status.h"
#include "common/wire/client.h"
#include "tayori.pb.h"

namespace tayori::agent {

struct InitOptions {
  std::string home;
  std::string broker;
  std::string broker_key;
  // Instead of BROKER and BROKER_KEY: the broker.info file the operator
  // hands out (YAML with endpoint and public_key, as the broker writes it).
  std::string broker_info;
  std::string cert_path;
  std::string key_path;
  std::string ca_path;  // empty: take the CA from the broker and pin it
  bool force = false;   // replace an existing set-up
};

// What the caller's own CheckFiles passed: each file's size and
// modification time as they were just before it read them (StampFiles),
// and the recipient it named. A send given this does not read the files
// for the checks again unless one of them has changed since.
struct CheckedFiles {
  std::vector<std::pair<uint64_t, int64_t>> stamps;  // size, modification time (ns), per file
  std::string recipient;
};

struct SendOptions {
  std::string to;  // empty: from the standard CSV file names
  std::string message;
  std::vector<std::string> files;
  // Called once the recipient is known and verified, before any upload.
  std::function<void(const pb::OfficeInfo&)> on_recipient;
  // Set when the caller has just checked FILES and they passed (each file
  // is then checked once per send).
  std::optional<CheckedFiles> checked;
  // When it becomes true the send stops with reason "interrupted"; what was
  // uploaded stays, and the same send resumes later.
  const std::atomic<bool>* cancel = nullptr;
  // An id the caller chose for this send (NewId), kept by the caller before
  // the send starts: sending again with it after a crash resumes the send,
  // or answers with the accepted one, and never sends twice. Empty: a new
  // id (an identical send left unfinished still resumes).
  std::string send_id;
};

struct SendResult {
  std::string message_id;
  std::string recipient;
  int64_t accepted_unix = 0;
  std::string recipient_name;
  bool resumed = false;  // continued an earlier, interrupted send
};

struct InboxItem {
  pb::MailEntry entry;
  std::string message;       // decrypted free text
  bool is_new = false;       // not downloaded yet (★ until it is)
  bool first_shown = false;  // not shown by an earlier `inbox`
  // Care plan rules the message breaks: by its names, and once downloaded,
  // by its content.
  std::vector<careplan::Finding> problems;
};

struct FetchResult {
  std::string message_id;
  std::vector<std::string> saved_paths;
  int64_t downloaded_unix = 0;
  std::vector<careplan::Finding> problems;  // saved anyway, but flagged
};

struct SentItem {
  pb::MailEntry entry;
  std::string message;  // from the local history
};

struct ReceiptInfo {
  pb::MailEntry entry;      // the send, as the sent list has it
  pb::Receipt receipt;      // verified
  crypto::CertInfo signer;  // the recipient's certificate
};

// Home (ホーム): this office, its licence, the system status and notices.
struct HomeStatus {
  pb::OfficeInfo office;
  pb::NoticesResponse notices;
  crypto::CertInfo certificate;
  Status terminal;  // whether this PC's certificate still fits the terminal (R6)
};

// What long work reports: a label, bytes done, bytes in all.
using Progress = std::function<void(const std::string& label, uint64_t done, uint64_t total)>;

class SealedFile;  // send.cc: the ciphertext of one file of a new send

class Agent {
 public:
  // Sets up a terminal: checks the certificate and key, makes the CURVE and
  // end-to-end key pairs, pins the CA, writes HOME/agent.yaml.
  static Status Init(const InitOptions& options, Env* env);
  // On a terminal already set up with the certificate, key and CA OPTIONS
  // names: points it at the broker OPTIONS names, keeping its keys and other
  // settings (setting up again after a wrong or changed broker.info); a
  // list of brokers that holds that one is kept. Another certificate or CA:
  // other_certificate.
  static Status SetBroker(const InitOptions& options, Env* env);
  static StatusOr<std::unique_ptr<Agent>> Open(const std::string& home, Env* env);

  // Every check that needs no network, on FILES meant as one send from
  // OWN_OFFICE (empty: not checked) to TO (empty: from the names).
  // Files are read through ENV.
  static careplan::CheckReport CheckFiles(const std::vector<std::string>& files, const std::string& own_office,
                                          const std::string& to, Env* env = Env::Default());
  // FILES' sizes and modification times, to take just before CheckFiles
  // (SendOptions::checked). A file that cannot be read gets {0, -1}.
  static std::vector<std::pair<uint64_t, int64_t>> StampFiles(const std::vector<std::string>& files,
                                                              Env* env = Env::Default());

  // Proves this terminal holds the office certificate's key and registers
  // its keys with the broker.
  StatusOr<pb::OfficeInfo> Enrol();
  StatusOr<pb::OfficeInfo> Lookup(const std::string& office);
  StatusOr<SendResult> Send(const SendOptions& options, const Progress& progress);
  StatusOr<std::vector<InboxItem>> Inbox();
  // Downloads, verifies and saves one message into DEST, then acknowledges.
  StatusOr<FetchResult> Fetch(const std::string& message_id, const std::string& dest, const Progress& progress);
  StatusOr<std::vector<SentItem>> Sent();
  // The sends this terminal has had accepted, from its own history (no
  // broker needed).
  StatusOr<std::vector<pb::SentRecord>> SentHistory() const { return store_.ListSent(); }
  // The recipient's signed download receipt of a send, verified: its
  // certificate, signature, and that it names exactly this send's files.
  StatusOr<ReceiptInfo> Receipt(const std::string& message_id);
  // Subscribes to this office's events (new mail; downloads and expiries of
  // its sends) and calls ON_EVENT for each, first with kind "subscribed",
  // until STOP returns true (checked every half second).
  Status Watch(const std::function<void(const pb::Event&)>& on_event, const std::function<bool()>& stop);
  StatusOr<HomeStatus> Home();
  // Learns the CA's newest CRL from the broker now (a new connection does so
  // by itself; a long-running service calls this from time to time).
  Status RefreshRevocations();

  const AgentConfig& config() const { return config_; }
  Env* env() const { return env_; }

 private:
  Agent(std::string home, AgentConfig config, Env* env)
      : config_(std::move(config)), env_(env), store_(std::move(home), env) {}

  // agent.cc
  StatusOr<wire::Client*> Connection();
  Status CheckTerminal();
  StatusOr<std::string> OwnSendKey(const pb::Manifest& m) const;
  std::string DecryptMessage(const pb::Manifest& m) const;
  StatusOr<std::vector<pb::MailEntry>> ListAll(bool inbox);
  // Takes the CA's CRL from the broker if it is newer than the one this
  // terminal has and signed by the pinned CA; keeps it in HOME/keys.
  Status LearnRevocations(wire::Client* client);

  // send.cc
  // The ciphertext of a new send, by file (its chunks back to back), kept
  // from the pass that digests it for the manifest so that the upload does
  // not encrypt again; empty for a send resumed from its outbox record.
  using SealedChunks = std::vector<std::unique_ptr<SealedFile>>;
  StatusOr<std::vector<std::string>> VerifyRecipient(const pb::OfficeInfo& info);
  StatusOr<pb::OutboxRecord> PrepareSend(const SendOptions& o, const std::vector<std::string>& recipient_pks,
                                         const std::string& recipient_name, bool* resumed, SealedChunks* sealed);
  StatusOr<std::optional<SendResult>> AcceptedSend(const std::string& send_id);
  StatusOr<pb::OutboxRecord> NewOutboxRecord(const SendOptions& o, const std::vector<std::string>& paths,
                                             const std::vector<uint64_t>& sizes,
                                             const std::vector<std::string>& recipient_pks,
                                             const std::string& recipient_name, SealedChunks* sealed);
  StatusOr<int64_t> Deliver(const pb::OutboxRecord& rec, const pb::Manifest& m, const Progress& progress,
                            const std::atomic<bool>* cancel, std::string* message_id, SealedChunks* sealed);
  Status Upload(const pb::OutboxRecord& rec, const pb::Manifest& m, const std::string& message_id,
                const std::vector<uint64_t>& present, const Progress& progress, const std::atomic<bool>* cancel,
                const SealedChunks& sealed);

  // fetch.cc
  StatusOr<crypto::CertInfo> VerifyEntry(const pb::MailEntry& entry, pb::Manifest* manifest);
  // Downloads and verifies ID into .part files in DEST; the record of it,
  // with the names they are to get, is stored before Fetch renames them.
  StatusOr<pb::ReceivedRecord> Download(const std::string& id, const std::string& dest, const Progress& progress);
  StatusOr<FetchResult> Acknowledge(const std::string& id, pb::ReceivedRecord* record);

  // Constant after Open, but for the CRL in keys_.trust (LearnRevocations).
  AgentConfig config_;
  Env* const env_;
  TerminalKeys keys_;
  LocalStore store_;
  // Made on first use; replaced after enrolment.
  std::unique_ptr<wire::Client> client_;
};

}  // namespace tayori::agent

#endif  // TAYORI_AGENT_AGENT_H_
