// tayori-agent inbox, fetch, sent, receipt and watch: mail for this office,
// downloading it, this office's sends and their receipts, events as they happen.
#include <atomic>

#include <CLI/CLI.hpp>

#include "agent/cli/commands.h"
#include "agent/cli/output.h"
#include "agent/mail_kind.h"
#include "common/ids.h"
#include "common/port/port.h"

namespace tayori::agent::cli {
namespace {

// The options of this file's commands, as parsed.
struct Options {
  std::vector<std::string> fetch_ids;
  std::string fetch_dest;
  bool fetch_all = false;
  std::string receipt_id;
};

Options& Opts() {
  static Options* options = new Options;
  return *options;
}

// Set by SIGINT or SIGTERM: `watch` ends.
std::atomic<bool> g_stop_watch{false};

// ---- inbox

void PrintInboxJson(const std::string& office, const std::vector<InboxItem>& items) {
  json arr = json::array();
  for (const auto& it : items) {
    json j = EntryJson(it.entry, it.message);
    j["new"] = it.is_new;
    j["first_shown"] = it.first_shown;
    j["problems"] = FindingsJson(it.problems);
    arr.push_back(j);
  }
  PrintJson({{"office", office}, {"inbox", arr}});
}

// 受信一覧: ★ for new, time, sender, kind, download state, message, files.
void PrintInboxText(const std::vector<InboxItem>& items) {
  std::printf(J() ? "受信一覧（%zu件）\n" : "Inbox (%zu)\n", items.size());
  for (const auto& it : items) {
    pb::Manifest m;
    m.ParseFromString(it.entry.signed_().manifest());
    std::printf("%s %s  %s  %s %s  [%s]  %s\n    %s\n%s", it.is_new ? "★" : " ", it.entry.message_id().c_str(),
                When(it.entry.accepted_unix()).c_str(), it.entry.sender_office().c_str(),
                it.entry.sender_name().c_str(), MailKindLabel(MailKindOf(m), CurrentLang()),
                EntryState(it.entry).c_str(), it.message.c_str(), EntryFileList(it.entry).c_str());
    if (!it.problems.empty()) {
      std::printf(J() ? "    ⚠ 標準仕様に合わない点があります:\n" : "    ⚠ does not conform to the standard:\n");
      PrintFindings(stdout, it.problems, "      ");
    }
  }
}

// ---- fetch

// One download's outcome: appended to ARR under --json, else printed.
void ReportFetch(const std::string& id, const StatusOr<FetchResult>& r, json* arr) {
  if (!r.ok()) {
    if (JsonOut()) {
      arr->push_back({{"id", id}, {"ok", false}, {"reason", r.status().reason()}, {"error", Rendered(r.status())}});
    } else {
      std::fprintf(stderr, "%s: %s\n", id.c_str(), Rendered(r.status()).c_str());
    }
    return;
  }
  if (JsonOut()) {
    arr->push_back({{"id", id},
                    {"ok", true},
                    {"files", r->saved_paths},
                    {"downloaded_unix", r->downloaded_unix},
                    {"problems", FindingsJson(r->problems)}});
    return;
  }
  std::printf(J() ? "取得しました: %s\n" : "Downloaded: %s\n", id.c_str());
  for (const auto& p : r->saved_paths) std::printf("    %s\n", port::DisplayPath(p).c_str());
  if (!r->problems.empty()) {
    std::printf(
        J() ? "    ⚠ 受け取ったファイルが標準仕様に合っていません。介護ソフトに取り込む前に送信元に確認してください:\n"
            : "    ⚠ the received files do not conform to the standard; check with the sender before importing:\n");
    PrintFindings(stdout, r->problems, "      ");
  }
}

// ---- receipt

void PrintReceipt(const std::string& id, const ReceiptInfo& r) {
  pb::Manifest m;
  m.ParseFromString(r.entry.signed_().manifest());
  if (JsonOut()) {
    json files = json::array();
    for (int i = 0; i < m.files_size(); ++i) {
      files.push_back({{"name", m.files(i).name()}, {"sha256", ToHex(r.receipt.file_sha256(i))}});
    }
    PrintJson({{"id", id},
               {"verified", true},
               {"recipient_office", r.receipt.recipient_office()},
               {"recipient_name", r.entry.recipient_name()},
               {"recipient_user_id", r.signer.user_id},
               {"certificate_serial", r.signer.serial_hex},
               {"downloaded_unix", r.receipt.downloaded_unix()},
               {"broker_downloaded_unix", r.entry.downloaded_unix()},
               {"files", files}});
    return;
  }
  std::printf(
      J() ? "受領証（署名を検証しました）\n  送信: %s\n  受領した事業所: %s %s（%s、証明書 %s）\n  取得日時: %s\n"
          : "Receipt (signature verified)\n  send: %s\n  received by: %s %s (%s, certificate %s)\n  downloaded: %s\n",
      id.c_str(), r.receipt.recipient_office().c_str(), r.entry.recipient_name().c_str(), r.signer.user_id.c_str(),
      r.signer.serial_hex.c_str(), When(r.receipt.downloaded_unix()).c_str());
  for (int i = 0; i < m.files_size(); ++i) {
    std::printf("    %s  sha256 %s\n", m.files(i).name().c_str(), ToHex(r.receipt.file_sha256(i)).c_str());
  }
}

// ---- watch

void PrintEvent(const pb::Event& e) {
  if (JsonOut()) {
    PrintJsonLine({{"kind", e.kind()},
                   {"id", e.message_id()},
                   {"office", e.office()},
                   {"name", e.name()},
                   {"at_unix", e.at_unix()},
                   {"files", e.files()}});
  } else if (e.kind() == "subscribed") {
    std::printf(J() ? "待機中: 新着と取得状況をお知らせします（Ctrl-C で終了）\n"
                    : "Watching for new mail and downloads (Ctrl-C to stop)\n");
  } else if (e.kind() == "new_mail") {
    std::printf(J() ? "★ 新着 %s  %s %s から %u ファイル  %s\n" : "* new mail %s from %s %s, %u files, %s\n",
                e.message_id().c_str(), e.office().c_str(), e.name().c_str(), e.files(), When(e.at_unix()).c_str());
  } else if (e.kind() == "downloaded") {
    std::printf(J() ? "済 %s  %s %s が取得しました  %s\n" : "downloaded %s by %s %s at %s\n", e.message_id().c_str(),
                e.office().c_str(), e.name().c_str(), When(e.at_unix()).c_str());
  } else if (e.kind() == "expired") {
    std::printf(
        J() ? "期限切れ %s  %s %s が取得しないまま保存期間が過ぎました\n" : "expired %s: %s %s never downloaded it\n",
        e.message_id().c_str(), e.office().c_str(), e.name().c_str());
  }
  std::fflush(stdout);
}

}  // namespace

void AddInboxOptions(CLI::App* cmd) { AddJsonFlag(cmd); }

int RunInbox(const Context& ctx) {
  auto agent = OpenAgent(ctx);
  if (!agent.ok()) return Fail(agent.status());
  auto items = (*agent)->Inbox();
  if (!items.ok()) return Fail(items.status());
  if (JsonOut()) {
    PrintInboxJson((*agent)->config().office, *items);
  } else {
    PrintInboxText(*items);
  }
  return 0;
}

void AddFetchOptions(CLI::App* cmd) {
  Options& o = Opts();
  cmd->add_option("ids", o.fetch_ids, "message ids");
  cmd->add_flag("--all", o.fetch_all, "every message not yet downloaded");
  cmd->add_option("--dest", o.fetch_dest, "folder to save into")->required();
  AddJsonFlag(cmd);
  AddQuietFlag(cmd, "no progress output");
}

// Exit status 0 only when every download succeeded.
int RunFetch(const Context& ctx) {
  auto agent = OpenAgent(ctx);
  if (!agent.ok()) return Fail(agent.status());
  Options& o = Opts();
  if (o.fetch_all) {
    auto items = (*agent)->Inbox();
    if (!items.ok()) return Fail(items.status());
    for (const auto& it : *items) {
      if (it.entry.state() == pb::DELIVERED) o.fetch_ids.push_back(it.entry.message_id());
    }
  }
  if (o.fetch_ids.empty() && !o.fetch_all) return Fail(InvalidArgument("usage", "name message ids or --all"));
  json arr = json::array();
  int failures = 0;
  for (const auto& id : o.fetch_ids) {
    auto r = (*agent)->Fetch(id, o.fetch_dest, MakeProgress());
    if (!r.ok()) ++failures;
    ReportFetch(id, r, &arr);
  }
  if (JsonOut()) PrintJson({{"fetched", arr}});
  return failures == 0 ? 0 : 1;
}

void AddSentOptions(CLI::App* cmd) { AddJsonFlag(cmd); }

// 送信一覧: each send with its download state, message and files.
int RunSent(const Context& ctx) {
  auto agent = OpenAgent(ctx);
  if (!agent.ok()) return Fail(agent.status());
  auto items = (*agent)->Sent();
  if (!items.ok()) return Fail(items.status());
  if (JsonOut()) {
    json arr = json::array();
    for (const auto& it : *items) arr.push_back(EntryJson(it.entry, it.message));
    PrintJson({{"office", (*agent)->config().office}, {"sent", arr}});
    return 0;
  }
  std::printf(J() ? "送信一覧（%zu件）\n" : "Sent (%zu)\n", items->size());
  for (const auto& it : *items) {
    std::printf("  %s  %s  → %s %s  %s\n    %s\n%s", it.entry.message_id().c_str(),
                When(it.entry.accepted_unix()).c_str(), it.entry.recipient_office().c_str(),
                it.entry.recipient_name().c_str(), EntryState(it.entry).c_str(), it.message.c_str(),
                EntryFileList(it.entry).c_str());
  }
  return 0;
}

void AddReceiptOptions(CLI::App* cmd) {
  cmd->add_option("id", Opts().receipt_id, "message id (from `sent`)")->required();
  AddJsonFlag(cmd);
}

int RunReceipt(const Context& ctx) {
  auto agent = OpenAgent(ctx);
  if (!agent.ok()) return Fail(agent.status());
  auto r = (*agent)->Receipt(Opts().receipt_id);
  if (!r.ok()) return Fail(r.status());
  PrintReceipt(Opts().receipt_id, *r);
  return 0;
}

void AddWatchOptions(CLI::App* cmd) { AddJsonFlag(cmd, "one JSON object per line"); }

// Until Ctrl-C (or SIGTERM), which ends it with exit status 0.
int RunWatch(const Context& ctx) {
  auto agent = OpenAgent(ctx);
  if (!agent.ok()) return Fail(agent.status());
  port::StopOnInterrupt(&g_stop_watch);
  Status st = (*agent)->Watch(PrintEvent, [] { return g_stop_watch.load(); });
  if (!st.ok()) return Fail(st);
  return 0;
}

}  // namespace tayori::agent::cli
