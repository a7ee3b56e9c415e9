// Bulk send (一括送信): many CSVs dropped at once become up to 50 sends, one
// per recipient and send unit, sent one after another with live status.
// Groups that fail or are interrupted stay as drafts (tagged with the bulk)
// for `bulk --resume`. Borrows an Agent and a DraftStore, which must outlive
// it; one thread calls it (Run starts workers of its own).
#ifndef TAYORI_AGENT_BULK_H_
#define TAYORI_AGENT_BULK_H_

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "agent/drafts.h"

namespace tayori::agent {

constexpr size_t kMaxBulkGroups = 50;

struct BulkGroup {
  std::string recipient;
  std::string recipient_name;  // from the broker; empty if not registered
  std::string unit;            // send unit title ("" for attachments alone)
  std::vector<std::string> files;
  std::string message;
  std::string draft_id;                     // when resumed from a draft
  std::vector<careplan::Finding> problems;  // refused before sending
  std::optional<CheckedFiles> checked;      // what the check passed, for the send
  enum State { kWaiting, kSending, kSucceeded, kFailed, kInterrupted } state = kWaiting;
  std::string message_id;  // when it succeeded
  // Sent before by an earlier run of the same bulk send (the same files to
  // the same office: a standard name carries its export's time stamp), so
  // not sent again.
  bool already_sent = false;
  Status error;  // when it failed
  uint64_t done = 0, total = 0;
};

struct BulkOptions {
  std::vector<std::string> inputs;                              // files and folders
  std::string message;                                          // for every group
  std::map<std::string, std::string> messages;                  // per recipient office
  std::map<std::string, std::vector<std::string>> attachments;  // per recipient office
};

const char* BulkStateName(BulkGroup::State s);

// The files named in INPUTS, and the regular files directly inside the
// folders named (hidden ones left out), read through ENV.
StatusOr<std::vector<std::string>> ExpandBulkInputs(const std::vector<std::string>& inputs, Env* env);

// Groups FILES into sends, one per recipient and send unit (sequence stamp),
// each with its message and, for the first group of a recipient, that
// recipient's attachments from OPTIONS. Names only: no checks of content,
// no look-ups. Refuses what makes the whole plan impossible (name_invalid,
// usage, bulk_too_large).
StatusOr<std::vector<BulkGroup>> GroupBulkFiles(const std::vector<std::string>& files, const BulkOptions& options);

class Bulk {
 public:
  // Opens another Agent on the same home, for a worker of its own.
  using AgentFactory = std::function<StatusOr<std::unique_ptr<Agent>>()>;

  Bulk(Agent* agent, DraftStore* drafts) : agent_(agent), drafts_(drafts) {}

  // Groups the inputs; every group is checked, and its recipient looked up.
  // Refuses (bulk_too_large, name_invalid, usage) only what makes the whole
  // plan impossible; a group's own problems stay in the group.
  StatusOr<std::vector<BulkGroup>> Plan(const BulkOptions& options);
  // The groups left behind by earlier bulk sends, from the drafts.
  StatusOr<std::vector<BulkGroup>> PlanResume();

  // Sends the waiting groups, PARALLEL at a time (each worker has its own
  // connection, from OPEN_AGENT; with 1 the borrowed agent does it all),
  // calling ON_CHANGE (serialised) whenever a group's state or progress
  // changes. Stops between and inside sends when *CANCEL becomes true.
  // Failed and interrupted groups become drafts.
  void Run(std::vector<BulkGroup>* groups, const std::function<void(size_t, const BulkGroup&)>& on_change,
           const std::atomic<bool>* cancel, int parallel = 1, const AgentFactory& open_agent = nullptr);

 private:
  void LookUp(std::vector<BulkGroup>* groups);
  void MarkAlreadySent(std::vector<BulkGroup>* groups);
  void SendOne(Agent* agent, BulkGroup* g, size_t i, const std::string& bulk_id,
               const std::function<void(size_t, const BulkGroup&)>& on_change, const std::atomic<bool>* cancel);

  Agent* const agent_;
  DraftStore* const drafts_;
};

}  // namespace tayori::agent

#endif  // TAYORI_AGENT_BULK_H_
