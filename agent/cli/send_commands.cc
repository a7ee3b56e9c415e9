// tayori-agent send, draft and bulk: one send, drafts (下書き) of sends, and
// bulk sends (一括送信) of a care software's whole export.
#include <atomic>

#include <CLI/CLI.hpp>

#include "agent/assignments.h"
#include "agent/bulk.h"
#include "agent/cli/commands.h"
#include "agent/cli/output.h"
#include "agent/draft_edit.h"
#include "agent/drafts.h"
#include "common/ids.h"
#include "common/port/port.h"

namespace tayori::agent::cli {
namespace {

// The draft subcommands, and the options they share.
struct DraftOptions {
  CLI::App* save = nullptr;
  CLI::App* list = nullptr;
  CLI::App* show = nullptr;
  CLI::App* edit = nullptr;
  CLI::App* del = nullptr;
  std::string id;
  std::string to;
  std::string message;
  CLI::Option* message_option = nullptr;  // given to `edit`: replace the message
  std::vector<std::string> files;
  std::vector<std::string> remove;
};

struct BulkFlags {
  BulkOptions options;
  std::vector<std::string> attach;
  std::vector<std::string> message_for;
  bool resume = false;
  int parallel = 2;
};

// The options of this file's commands, as parsed.
struct Options {
  SendOptions send;
  DraftOptions draft;
  BulkFlags bulk;
};

Options& Opts() {
  static Options* options = new Options;
  return *options;
}

// Set by SIGINT or SIGTERM during a bulk send: stop cleanly, keep what was uploaded.
std::atomic<bool> g_bulk_cancel{false};

// ---- send

// Refuses files that break a care plan rule, before any network: the
// problems in JSON, or the first reason and every finding on stderr.
int RefuseFiles(const careplan::CheckReport& report) {
  if (JsonOut()) {
    PrintJson({{"ok", false}, {"problems", FindingsJson(report.findings)}});
  } else {
    std::fprintf(stderr, "%s\n",
                 Rendered(InvalidArgument(careplan::CategoryReason(report.findings[0].category), "")).c_str());
    PrintFindings(stderr, report.findings, "  ");
  }
  return 2;
}

void PrintSent(const SendResult& result) {
  if (JsonOut()) {
    PrintJson({{"ok", true},
               {"id", result.message_id},
               {"to", result.recipient},
               {"recipient_name", result.recipient_name},
               {"accepted_unix", result.accepted_unix},
               {"resumed", result.resumed}});
  } else {
    std::printf(J() ? "送信しました: %s → %s %s（%s）\n" : "Sent: %s to %s %s (%s)\n", result.message_id.c_str(),
                result.recipient.c_str(), result.recipient_name.c_str(), When(result.accepted_unix).c_str());
  }
}

// ---- draft

// One draft: a line (id, updated, recipient, files, ready or not), and with
// WITH_CHECK its message, files and what `check` says. Under --json nothing
// is printed and the same is returned as JSON.
json ShowDraft(const Agent& agent, const pb::Draft& d, bool with_check) {
  auto report = Agent::CheckFiles({d.paths().begin(), d.paths().end()}, agent.config().office, d.to());
  if (JsonOut()) {
    json j = {{"id", d.id()},
              {"to", d.to().empty() ? report.recipient : d.to()},
              {"message", d.message()},
              {"files", std::vector<std::string>(d.paths().begin(), d.paths().end())},
              {"updated", When(d.updated_unix())},
              {"bulk", !d.bulk_id().empty()},
              {"last_error", d.last_error()},
              {"ready", report.ok()}};
    if (with_check) j["problems"] = FindingsJson(report.findings);
    return j;
  }
  std::printf("%s  %s  → %s  %d%s  %s%s\n", d.id().c_str(), When(d.updated_unix()).c_str(),
              (d.to().empty() ? report.recipient : d.to()).c_str(), d.paths_size(), J() ? "ファイル" : " files",
              report.ok() ? (J() ? "送信可" : "ready") : (J() ? "要修正" : "needs fixing"),
              d.bulk_id().empty() ? "" : (J() ? "（一括送信の残り）" : " (left by a bulk send)"));
  if (with_check) {
    std::printf("  %s\n", d.message().c_str());
    for (const auto& p : d.paths()) std::printf("    %s\n", port::DisplayPath(p).c_str());
    PrintFindings(stdout, report.findings, "  ");
  }
  return json();
}

int SaveDraft(DraftStore& drafts) {
  const DraftOptions& o = Opts().draft;
  auto d = drafts.Create(o.to, o.message, o.files);
  if (!d.ok()) return Fail(d.status());
  std::printf(J() ? "下書きを保存しました: %s\n" : "Draft saved: %s\n", d->id().c_str());
  return 0;
}

int ListDrafts(const Agent& agent, DraftStore& drafts) {
  auto list = drafts.List();
  if (!list.ok()) return Fail(list.status());
  json arr = json::array();
  if (!JsonOut()) std::printf(J() ? "下書き一覧（%zu件）\n" : "Drafts (%zu)\n", list->size());
  for (const auto& d : *list) arr.push_back(ShowDraft(agent, d, false));
  if (JsonOut()) PrintJson({{"drafts", arr}});
  return 0;
}

int EditDraft(const Agent& agent, DraftStore& drafts, pb::Draft draft) {
  const DraftOptions& o = Opts().draft;
  DraftEdit edit;
  edit.to = o.to;
  if (o.message_option->count() > 0) edit.message = o.message;
  edit.add = o.files;
  edit.remove = o.remove;
  auto edited = ApplyDraftEdit(std::move(draft), edit);
  if (!edited.ok()) return Fail(edited.status());
  Status st = drafts.Put(*edited);
  if (!st.ok()) return Fail(st);
  ShowDraft(agent, *edited, true);
  return 0;
}

// The same path as `send`; the draft goes once the send is accepted.
int SendDraft(Agent& agent, DraftStore& drafts, const pb::Draft& d) {
  SendOptions so;
  so.to = d.to();
  so.message = d.message();
  so.files.assign(d.paths().begin(), d.paths().end());
  auto result = agent.Send(so, MakeProgress());
  if (!result.ok()) return Fail(result.status());
  (void)drafts.Delete(d.id());
  if (JsonOut()) {
    PrintJson({{"ok", true}, {"id", result->message_id}, {"to", result->recipient}});
  } else {
    std::printf(J() ? "送信しました: %s → %s %s\n" : "Sent: %s to %s %s\n", result->message_id.c_str(),
                result->recipient.c_str(), result->recipient_name.c_str());
  }
  return 0;
}

// ---- bulk

const char* BulkStateLabel(BulkGroup::State s) {
  switch (s) {
    case BulkGroup::kSending:
      return J() ? "送信中" : "sending";
    case BulkGroup::kSucceeded:
      return J() ? "成功" : "success";
    case BulkGroup::kFailed:
      return J() ? "失敗" : "failed";
    case BulkGroup::kInterrupted:
      return J() ? "中断" : "interrupted";
    case BulkGroup::kWaiting:
      break;
  }
  return J() ? "送信待ち" : "waiting";
}

json GroupJson(size_t i, const BulkGroup& g) {
  json j = {{"index", i + 1}, {"to", g.recipient},       {"name", g.recipient_name},
            {"unit", g.unit}, {"files", g.files.size()}, {"state", BulkStateName(g.state)},
            {"done", g.done}, {"total", g.total}};
  if (!g.message_id.empty()) j["id"] = g.message_id;
  if (g.already_sent) j["already_sent"] = true;
  if (!g.error.ok()) j["error"] = Rendered(g.error);
  if (!g.problems.empty()) j["problems"] = FindingsJson(g.problems);
  return j;
}

void PrintPlan(const std::vector<BulkGroup>& groups) {
  if (JsonOut()) {
    json plan = json::array();
    for (size_t i = 0; i < groups.size(); ++i) plan.push_back(GroupJson(i, groups[i]));
    PrintJsonLine({{"event", "plan"}, {"groups", plan}});
  } else {
    std::printf(J() ? "一括送信（%zu件）\n" : "Bulk send (%zu sends)\n", groups.size());
    for (size_t i = 0; i < groups.size(); ++i) {
      const auto& g = groups[i];
      std::printf("  %2zu  %s %-20s  %s  %zu%s\n", i + 1, g.recipient.c_str(),
                  g.recipient_name.empty() ? (J() ? "（未登録）" : "(not registered)") : g.recipient_name.c_str(),
                  g.unit.c_str(), g.files.size(), J() ? "ファイル" : " files");
      if (g.already_sent) {
        std::printf("%s", J() ? "        前回の一括送信で送信済みです。もう一度は送りません。\n"
                              : "        sent by an earlier run of this bulk send; not sent again\n");
      }
      PrintFindings(stdout, g.problems, "        ");
    }
  }
  std::fflush(stdout);
}

// Live status of each group while a bulk send runs: a line (or JSON event)
// when its state changes or its progress passes a tenth. On a terminal a
// sending group's line is rewritten in place.
class BulkStatusPrinter {
 public:
  explicit BulkStatusPrinter(size_t groups)
      : count_(groups), tty_(port::IsTerminal(1) && !JsonOut()), last_state_(groups, -1), last_tenth_(groups, -1) {}

  void OnChange(size_t i, const BulkGroup& g) {
    const int tenth = g.total == 0 ? 0 : static_cast<int>(g.done * 10 / g.total);
    const bool changed = last_state_[i] != g.state;
    if (!changed && tenth == last_tenth_[i]) return;
    last_state_[i] = g.state;
    last_tenth_[i] = tenth;
    if (JsonOut()) {
      json j = GroupJson(i, g);
      j["event"] = "group";
      PrintJsonLine(j);
    } else {
      std::printf("%s[%zu/%zu] %s %s  %s %d%%%s", tty_ && !changed ? "\r" : "", i + 1, count_, g.recipient.c_str(),
                  g.recipient_name.c_str(), BulkStateLabel(g.state), tenth * 10,
                  tty_ && g.state == BulkGroup::kSending ? "" : "\n");
      if (!g.error.ok()) std::printf("      %s\n", Rendered(g.error).c_str());
    }
    std::fflush(stdout);
  }

 private:
  const size_t count_;
  const bool tty_;
  std::vector<int> last_state_;
  std::vector<int> last_tenth_;
};

// The totals; exit status 0 only when every send succeeded.
int PrintBulkSummary(const std::vector<BulkGroup>& groups) {
  int ok = 0, failed = 0, interrupted = 0;
  for (const auto& g : groups) {
    ok += g.state == BulkGroup::kSucceeded;
    failed += g.state == BulkGroup::kFailed;
    interrupted += g.state == BulkGroup::kInterrupted;
  }
  if (JsonOut()) {
    PrintJsonLine({{"event", "done"}, {"succeeded", ok}, {"failed", failed}, {"interrupted", interrupted}});
  } else {
    std::printf(J() ? "成功 %d件・失敗 %d件・中断 %d件\n" : "%d succeeded, %d failed, %d interrupted\n", ok, failed,
                interrupted);
    if (failed + interrupted > 0) {
      std::printf(J() ? "失敗・中断した送信は下書きに残りました。`tayori-agent bulk --resume` で続きを送れます。\n"
                      : "Failed and interrupted sends stay as drafts; `tayori-agent bulk --resume` sends them.\n");
    }
  }
  return failed + interrupted == 0 ? 0 : 1;
}

}  // namespace

void AddSendOptions(CLI::App* cmd) {
  SendOptions& o = Opts().send;
  cmd->add_option("--to", o.to, "recipient office number (default: from the CSV file names)");
  cmd->add_option("--message", o.message, "free-text message (like a FAX cover sheet)");
  cmd->add_option("files", o.files, "files to send")->required();
  AddJsonFlag(cmd);
  AddQuietFlag(cmd, "no progress output");
}

int RunSend(const Context& ctx) {
  auto agent = OpenAgent(ctx);
  if (!agent.ok()) return Fail(agent.status());
  SendOptions& o = Opts().send;
  if (!o.to.empty() && !IsOfficeNumber(o.to)) return Fail(CheckOfficeNumber(o.to));
  // Every offline check first, in the user's language (and only here).
  std::vector<std::pair<uint64_t, int64_t>> stamps = Agent::StampFiles(o.files);
  const auto report = Agent::CheckFiles(o.files, (*agent)->config().office, o.to);
  if (!report.ok()) return RefuseFiles(report);
  o.checked = CheckedFiles{std::move(stamps), report.recipient};
  for (const auto& w : report.warnings) std::fprintf(stderr, "%s\n", careplan::FormatFinding(w, J()).c_str());
  o.on_recipient = [](const pb::OfficeInfo& r) {
    std::fprintf(JsonOut() ? stderr : stdout, J() ? "送信先: %s %s\n" : "To: %s %s\n", r.office().c_str(),
                 r.name().c_str());
    std::fflush(stdout);
  };
  auto result = (*agent)->Send(o, MakeProgress());
  if (!result.ok()) return Fail(result.status());
  PrintSent(*result);
  return 0;
}

void AddDraftOptions(CLI::App* cmd) {
  DraftOptions& o = Opts().draft;
  cmd->require_subcommand(1);
  o.save = cmd->add_subcommand("save", "save a new draft");
  o.save->add_option("--to", o.to, "recipient office number (default: from the CSV names)");
  o.save->add_option("--message", o.message, "free-text message");
  o.save->add_option("files", o.files, "files")->required();
  o.list = cmd->add_subcommand("list", "list drafts");
  AddJsonFlag(o.list);
  o.show = cmd->add_subcommand("show", "show a draft and what `check` says of it");
  o.show->add_option("id", o.id)->required();
  AddJsonFlag(o.show);
  o.edit = cmd->add_subcommand("edit", "change a draft");
  o.edit->add_option("id", o.id)->required();
  o.edit->add_option("--to", o.to, "recipient office number");
  o.message_option = o.edit->add_option("--message", o.message, "free-text message");
  o.edit->add_option("--add", o.files, "add files");
  o.edit->add_option("--remove", o.remove, "remove files by name");
  o.del = cmd->add_subcommand("delete", "delete a draft");
  o.del->add_option("id", o.id)->required();
  CLI::App* send = cmd->add_subcommand("send", "send a draft; it is deleted once accepted");
  send->add_option("id", o.id)->required();
  AddJsonFlag(send);
  AddQuietFlag(send);
}

int RunDraft(const Context& ctx) {
  auto agent = OpenAgent(ctx);
  if (!agent.ok()) return Fail(agent.status());
  const DraftOptions& o = Opts().draft;
  DraftStore drafts(ctx.home, ctx.env);
  if (o.save->parsed()) return SaveDraft(drafts);
  if (o.list->parsed()) return ListDrafts(**agent, drafts);
  auto d = drafts.Get(o.id);
  if (!d.ok()) return Fail(d.status());
  if (o.show->parsed()) {
    json j = ShowDraft(**agent, *d, true);
    if (JsonOut()) PrintJson(j);
    return 0;
  }
  if (o.edit->parsed()) return EditDraft(**agent, drafts, *d);
  if (o.del->parsed()) {
    Status st = drafts.Delete(o.id);
    if (!st.ok()) return Fail(st);
    std::printf(J() ? "下書きを削除しました: %s\n" : "Draft deleted: %s\n", o.id.c_str());
    return 0;
  }
  return SendDraft(**agent, drafts, *d);
}

void AddBulkOptions(CLI::App* cmd) {
  BulkFlags& o = Opts().bulk;
  cmd->add_option("inputs", o.options.inputs, "CSV files and folders");
  cmd->add_option("--message", o.options.message, "message for every send");
  cmd->add_option("--message-for", o.message_for, "N=TEXT: message for recipient N");
  cmd->add_option("--attach", o.attach, "N=FILE: a PDF or image for recipient N");
  cmd->add_flag("--resume", o.resume, "send again what earlier bulk sends left behind");
  cmd->add_option("--parallel", o.parallel, "sends in flight at once (default 2, 1 to 8)");
  AddJsonFlag(cmd, "events as JSON lines");
}

// Plans, shows the plan, then sends with live status until done or Ctrl-C.
int RunBulk(const Context& ctx) {
  auto agent = OpenAgent(ctx);
  if (!agent.ok()) return Fail(agent.status());
  BulkFlags& o = Opts().bulk;
  DraftStore drafts(ctx.home, ctx.env);
  Bulk runner(agent->get(), &drafts);
  auto assigned = ParseBulkAssignments(o.attach, o.message_for);
  if (!assigned.ok()) return Fail(assigned.status());
  o.options.attachments = std::move(assigned->attachments);
  o.options.messages = std::move(assigned->messages);
  if (!o.resume && o.options.inputs.empty()) {
    return Fail(InvalidArgument("usage", "name CSV files or folders, or --resume"));
  }
  auto planned = o.resume ? runner.PlanResume() : runner.Plan(o.options);
  if (!planned.ok()) return Fail(planned.status());
  std::vector<BulkGroup>& groups = *planned;
  PrintPlan(groups);
  port::StopOnInterrupt(&g_bulk_cancel);
  if (o.parallel < 1 || o.parallel > 8) return Fail(InvalidArgument("usage", "--parallel takes 1 to 8"));
  BulkStatusPrinter printer(groups.size());
  runner.Run(
      &groups, [&](size_t i, const BulkGroup& g) { printer.OnChange(i, g); }, &g_bulk_cancel, o.parallel,
      [&] { return Agent::Open(ctx.home, ctx.env); });
  return PrintBulkSummary(groups);
}

}  // namespace tayori::agent::cli
