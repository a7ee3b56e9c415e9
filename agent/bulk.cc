#include "agent/bulk.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include "common/crypto/e2e.h"
#include "common/ids.h"
#include "common/port/page_pool.h"
#include "common/reasons.h"

namespace tayori::agent {
namespace {

// The offline checks of one group; a group with problems is not sent.
void CheckGroup(const Agent& agent, BulkGroup* g) {
  std::vector<std::pair<uint64_t, int64_t>> stamps = Agent::StampFiles(g->files, agent.env());
  careplan::CheckReport report = Agent::CheckFiles(g->files, agent.config().office, g->recipient, agent.env());
  g->problems = report.findings;
  g->checked.reset();
  if (report.ok()) g->checked = CheckedFiles{std::move(stamps), report.recipient};
  if (report.unit) g->unit = report.unit->title;
  if (!g->problems.empty()) g->state = BulkGroup::kFailed;
}

// The checks of every group with a recipient (files without one say so
// already), on two threads: CSV content is read and checked in full, and a
// bulk of 50 units of 10 MB would otherwise wait on one core.
void CheckGroups(const Agent& agent, std::vector<BulkGroup>* groups) {
  port::PagePoolHold reuse;  // one group's read buffers serve the next
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < groups->size(); i = next++) {
      if (!(*groups)[i].recipient.empty()) CheckGroup(agent, &(*groups)[i]);
    }
  };
  std::thread helper(work);
  work();
  helper.join();
}

// SHA-256 of the file at PATH, read a MiB at a time.
StatusOr<std::string> FileSha256(Env* env, const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, env->NewRandomAccessFile(path));
  crypto::Sha256 h;
  constexpr size_t kBlock = 1 << 20;
  std::string block;
  for (uint64_t at = 0;; at += kBlock) {
    RETURN_IF_ERROR(file->Read(at, kBlock, &block));
    h.Update(block);
    if (block.size() < kBlock) return h.Final();
  }
}

}  // namespace

const char* BulkStateName(BulkGroup::State s) {
  switch (s) {
    case BulkGroup::kWaiting:
      return "waiting";
    case BulkGroup::kSending:
      return "sending";
    case BulkGroup::kSucceeded:
      return "success";
    case BulkGroup::kFailed:
      return "failed";
    case BulkGroup::kInterrupted:
      return "interrupted";
  }
  return "waiting";
}

StatusOr<std::vector<std::string>> ExpandBulkInputs(const std::vector<std::string>& inputs, Env* env) {
  std::vector<std::string> out;
  for (const std::string& in : inputs) {
    if (!env->FileExists(in)) return InvalidArgument("file_unreadable", "no such file or folder: " + in);
    if (env->IsRegularFile(in)) {
      out.push_back(in);
      continue;
    }
    for (const std::string& name : env->GetChildren(in)) {
      const std::string path = in + "/" + name;
      if (name[0] != '.' && env->IsRegularFile(path)) out.push_back(path);
    }
  }
  return out;
}

namespace {

// The send unit a file can only belong to, given its kind and month (the
// supplement's month tells a plan's 補足 from a 利用票's), or "" when its
// kind goes into several units. Files of one export with different units
// are separate sends even though they share a time stamp.
std::string UnitOf(const careplan::Rules& rules, const careplan::ParsedName& name) {
  std::string found;
  for (const careplan::UnitRule& u : rules.units()) {
    const bool listed = std::count(u.required.begin(), u.required.end(), name.kind->prefix) > 0 ||
                        std::count(u.optional.begin(), u.optional.end(), name.kind->prefix) > 0;
    if (!listed) continue;
    if (u.hosoku_month == "000000" && name.kind->prefix == "UPHOSOKU" && name.month != "000000") continue;
    if (u.hosoku_month == "same" && name.kind->prefix == "UPHOSOKU" && name.month == "000000") continue;
    if (!found.empty()) return "";
    found = u.id;
  }
  return found;
}

careplan::Finding Unaddressed(const std::string& name) {
  careplan::Finding f;
  f.file = name;
  f.category = careplan::Category::kParty;
  f.ja =
      "このファイルの送信先がわかりません。PDFや画像は、送信先の事業所番号を指定して添付してください（--attach "
      "事業所番号=ファイル）。";
  f.en = "no recipient for this file: attach PDFs and images to an office with --attach N=FILE";
  return f;
}

}  // namespace

StatusOr<std::vector<BulkGroup>> GroupBulkFiles(const std::vector<std::string>& files, const BulkOptions& o) {
  const careplan::Rules& rules = careplan::Rules::Standard();
  // One send per recipient, sequence stamp (a send unit is exported
  // together) and unit.
  std::map<std::tuple<std::string, std::string, std::string>, BulkGroup> by_key;
  std::vector<std::string> refused, loose;
  for (const std::string& f : files) {
    const std::string name = BaseName(f);
    if (!careplan::IsCsvName(name)) {
      loose.push_back(f);
      continue;
    }
    careplan::NameCheck n = rules.ParseName(name);
    if (!n.ok) {
      refused.push_back(name + " (" + n.problem.en + ")");
      continue;
    }
    BulkGroup& g = by_key[{n.name.recipient, n.name.stamp, UnitOf(rules, n.name)}];
    g.recipient = n.name.recipient;
    g.files.push_back(AbsolutePath(f));
  }
  if (!refused.empty()) {
    std::string detail = "not bulk-sendable:";
    for (const auto& r : refused) detail += "\n  " + r;
    return InvalidArgument("name_invalid", detail);
  }
  if (by_key.empty()) {
    return InvalidArgument("usage",
                           "no standard CSV files among the inputs (add PDFs and images with --attach N=FILE)");
  }
  // Files whose kind fits several units join the one unit of their export.
  for (auto it = by_key.begin(); it != by_key.end();) {
    const auto& [recipient, stamp, unit] = it->first;
    auto peer = by_key.end();
    int peers = 0;
    for (auto other = by_key.begin(); unit.empty() && other != by_key.end(); ++other) {
      if (other != it && std::get<0>(other->first) == recipient && std::get<1>(other->first) == stamp) {
        peer = other, ++peers;
      }
    }
    if (peers != 1) {
      ++it;
      continue;
    }
    peer->second.files.insert(peer->second.files.end(), it->second.files.begin(), it->second.files.end());
    it = by_key.erase(it);
  }
  std::vector<BulkGroup> groups;
  std::set<std::string> recipients;
  for (auto& [key, g] : by_key) {
    auto msg = o.messages.find(g.recipient);
    g.message = msg != o.messages.end() ? msg->second : o.message;
    auto att = o.attachments.find(g.recipient);
    if (att != o.attachments.end()) {  // every send to that office carries them
      for (const auto& a : att->second) g.files.push_back(AbsolutePath(a));
    }
    recipients.insert(g.recipient);
    groups.push_back(std::move(g));
  }
  for (const auto& [office, attached] : o.attachments) {
    if (!recipients.count(office)) {
      return InvalidArgument("usage", "--attach names " + office + ", which no CSV in this bulk is for");
    }
  }
  // PDFs and images among the inputs: with one recipient in the bulk they
  // go with its sends; otherwise they are shown, not sent, and nothing
  // else is held up.
  for (const std::string& f : loose) {
    if (recipients.size() == 1) {
      for (BulkGroup& g : groups) g.files.push_back(AbsolutePath(f));
      continue;
    }
    BulkGroup g;
    g.files.push_back(AbsolutePath(f));
    g.problems.push_back(Unaddressed(BaseName(f)));
    g.state = BulkGroup::kFailed;
    groups.push_back(std::move(g));
  }
  if (groups.size() > kMaxBulkGroups) {
    return InvalidArgument("bulk_too_large",
                           std::to_string(groups.size()) + " sends; at most " + std::to_string(kMaxBulkGroups));
  }
  return groups;
}

StatusOr<std::vector<BulkGroup>> Bulk::Plan(const BulkOptions& o) {
  ASSIGN_OR_RETURN(std::vector<std::string> files, ExpandBulkInputs(o.inputs, agent_->env()));
  ASSIGN_OR_RETURN(std::vector<BulkGroup> groups, GroupBulkFiles(files, o));
  CheckGroups(*agent_, &groups);
  MarkAlreadySent(&groups);
  LookUp(&groups);
  return groups;
}

// A bulk send run again after a crash (as staff are told to) must not send
// twice what the first run had sent: a group whose files (names and
// contents) went to the same recipient in an accepted send of this terminal
// is done already. Only the very same bytes count: corrected data under the
// same names is sent.
void Bulk::MarkAlreadySent(std::vector<BulkGroup>* groups) {
  auto history = agent_->SentHistory();
  // Unreadable history: nothing is known to be sent, and the groups go.
  if (!history.ok()) return;
  // recipient and sorted names -> the send, with each name's digest
  std::map<std::pair<std::string, std::vector<std::string>>,
           std::pair<const pb::SentRecord*, std::map<std::string, std::string>>>
      sent;
  for (const pb::SentRecord& r : *history) {
    if (r.file_sha256_size() != r.file_names_size()) continue;  // recorded before digests were kept
    std::vector<std::string> names(r.file_names().begin(), r.file_names().end());
    std::map<std::string, std::string> digests;
    for (int i = 0; i < r.file_names_size(); ++i) digests[r.file_names(i)] = r.file_sha256(i);
    std::sort(names.begin(), names.end());
    sent[{r.recipient_office(), names}] = {&r, std::move(digests)};
  }
  for (BulkGroup& g : *groups) {
    if (!g.problems.empty()) continue;
    std::vector<std::string> names;
    for (const std::string& f : g.files) names.push_back(BaseName(f));
    std::sort(names.begin(), names.end());
    auto it = sent.find({g.recipient, names});
    if (it == sent.end()) continue;
    bool same = true;
    for (const std::string& f : g.files) {
      auto digest = FileSha256(agent_->env(), f);
      same = same && digest.ok() && *digest == it->second.second[BaseName(f)];
    }
    if (!same) continue;
    g.state = BulkGroup::kSucceeded;
    g.already_sent = true;
    g.message_id = it->second.first->message_id();
  }
}

StatusOr<std::vector<BulkGroup>> Bulk::PlanResume() {
  ASSIGN_OR_RETURN(std::vector<pb::Draft> drafts, drafts_->List());
  std::vector<BulkGroup> groups;
  for (const pb::Draft& d : drafts) {
    if (d.bulk_id().empty()) continue;
    BulkGroup g;
    g.recipient = d.to();
    g.message = d.message();
    g.files.assign(d.paths().begin(), d.paths().end());
    g.draft_id = d.id();
    groups.push_back(std::move(g));
    if (groups.size() == kMaxBulkGroups) break;
  }
  CheckGroups(*agent_, &groups);
  MarkAlreadySent(&groups);  // accepted before its draft was deleted: the draft goes now
  LookUp(&groups);
  return groups;
}

void Bulk::LookUp(std::vector<BulkGroup>* groups) {
  std::map<std::string, std::string> names;
  for (BulkGroup& g : *groups) {
    if (g.recipient.empty()) continue;
    if (!names.count(g.recipient)) {
      auto info = agent_->Lookup(g.recipient);
      names[g.recipient] = info.ok() && info->registered() ? info->name() : "";
    }
    g.recipient_name = names[g.recipient];
  }
}

void Bulk::SendOne(Agent* agent, BulkGroup* g, size_t i, const std::string& bulk_id,
                   const std::function<void(size_t, const BulkGroup&)>& on_change, const std::atomic<bool>* cancel) {
  if (g->state == BulkGroup::kWaiting) {
    if (cancel != nullptr && cancel->load()) {
      g->state = BulkGroup::kInterrupted;
    } else {
      g->state = BulkGroup::kSending;
      on_change(i, *g);
      SendOptions so;
      so.to = g->recipient;
      so.message = g->message;
      so.files = g->files;
      so.checked = g->checked;
      so.cancel = cancel;
      auto sent = agent->Send(so, [&](const std::string&, uint64_t done, uint64_t total) {
        g->done = done;
        g->total = total;
        on_change(i, *g);
      });
      if (sent.ok()) {
        g->state = BulkGroup::kSucceeded;
        g->message_id = sent->message_id;
      } else {
        g->error = sent.status();
        g->state = g->error.reason() == reason::kInterrupted ? BulkGroup::kInterrupted : BulkGroup::kFailed;
      }
    }
  }
  // Succeeded groups leave; the others stay as drafts for another try.
  if (g->state == BulkGroup::kSucceeded) {
    if (!g->draft_id.empty()) (void)drafts_->Delete(g->draft_id);
  } else {
    const std::string why = !g->error.ok()         ? g->error.ToString()
                            : !g->problems.empty() ? careplan::FormatFinding(g->problems[0], false)
                                                   : "interrupted";
    if (g->draft_id.empty()) {
      auto d = drafts_->Create(g->recipient, g->message, g->files, bulk_id);
      if (d.ok()) {
        g->draft_id = d->id();
        d->set_last_error(why);
        (void)drafts_->Put(*d);
      }
    } else if (auto d = drafts_->Get(g->draft_id); d.ok()) {
      d->set_last_error(why);
      (void)drafts_->Put(*d);
    }
  }
  on_change(i, *g);
}

void Bulk::Run(std::vector<BulkGroup>* groups, const std::function<void(size_t, const BulkGroup&)>& on_change,
               const std::atomic<bool>* cancel, int parallel, const AgentFactory& open_agent) {
  const std::string bulk_id = NewId(agent_->env()->NowMillis());
  port::PagePoolHold reuse;  // one send's sealed files serve the next
  std::mutex mu;
  auto report = [&](size_t i, const BulkGroup& g) {
    std::lock_guard<std::mutex> lock(mu);
    on_change(i, g);
  };
  std::atomic<size_t> next{0};
  auto work = [&](Agent* agent) {
    for (size_t i = next++; i < groups->size(); i = next++) SendOne(agent, &(*groups)[i], i, bulk_id, report, cancel);
  };
  // Workers beyond the first get agents of their own; if one cannot be
  // opened, fewer workers do the job.
  std::vector<std::unique_ptr<Agent>> extra;
  for (int w = 1; w < parallel && open_agent; ++w) {
    auto a = open_agent();
    if (!a.ok()) break;
    extra.push_back(std::move(a).value());
  }
  std::vector<std::thread> threads;
  for (auto& a : extra) threads.emplace_back(work, a.get());
  work(agent_);
  for (auto& t : threads) t.join();
}

}  // namespace tayori::agent
