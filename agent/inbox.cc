// Agent: the inbox and sent lists, joined with what this terminal keeps
// locally (seen marks, download evidence, send history). See agent.h.
#include "agent/agent.h"
#include "agent/findings.h"

namespace tayori::agent {
namespace {

// What a message's names break, or that its manifest is unreadable.
std::vector<careplan::Finding> NameProblems(const pb::Manifest* m) {
  if (m != nullptr) return ReceivedProblems(*m, {});
  careplan::Finding f;
  f.category = careplan::Category::kFormat;
  f.ja = "送信内容の一覧（マニフェスト）が読み取れません。";
  f.en = "the message's manifest does not parse";
  return {f};
}

}  // namespace

StatusOr<std::vector<InboxItem>> Agent::Inbox() {
  // A certificate that stopped matching this terminal is said at once, not
  // only when a download fails (R6).
  RETURN_IF_ERROR(CheckTerminal());
  ASSIGN_OR_RETURN(std::vector<pb::MailEntry> entries, ListAll(true));
  ASSIGN_OR_RETURN(std::set<std::string> seen, store_.Seen());
  std::vector<InboxItem> items;
  std::vector<std::string> shown;
  for (auto& e : entries) {
    InboxItem item;
    pb::Manifest m;
    const bool parsed = m.ParseFromString(e.signed_().manifest());
    if (parsed) item.message = DecryptMessage(m);
    auto received = store_.GetReceived(e.message_id());
    if (received.ok()) {
      // The content check at download covers the names too.
      for (const auto& p : received->problems()) item.problems.push_back(ProblemFromProto(p));
    } else if (received.status().code() == Code::kNotFound) {
      item.problems = NameProblems(parsed ? &m : nullptr);
    } else {
      return received.status();
    }
    // New stays new until it is downloaded, as in the national client.
    item.is_new = e.state() == pb::DELIVERED;
    item.first_shown = !seen.count(e.message_id());
    shown.push_back(e.message_id());
    item.entry = std::move(e);
    items.push_back(std::move(item));
  }
  RETURN_IF_ERROR(store_.MarkSeen(shown));
  return items;
}

StatusOr<std::vector<SentItem>> Agent::Sent() {
  ASSIGN_OR_RETURN(std::vector<pb::MailEntry> entries, ListAll(false));
  std::vector<SentItem> items;
  for (auto& e : entries) {
    SentItem item;
    // Sends from another terminal of this office have no local history.
    auto local = store_.GetSent(e.message_id());
    if (local.ok()) {
      item.message = local->message();
    } else if (local.status().code() != Code::kNotFound) {
      return local.status();
    }
    item.entry = std::move(e);
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace tayori::agent
