// tayori-agent: the office terminal. See README.md for every command.
#include <unistd.h>

#include <atomic>
#include <csignal>

#include <malloc.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "agent/agent.h"
#include "agent/bulk.h"
#include "agent/drafts.h"
#include "agent/config.h"
#include "common/env.h"
#include "common/ids.h"
#include "common/messages.h"

using nlohmann::json;
using tayori::Lang;
using tayori::Status;
namespace pb = tayori::pb;

namespace {

Lang g_lang = Lang::kJa;
bool J() { return g_lang == Lang::kJa; }

int Fail(const Status& st) {
  std::fprintf(stderr, "%s\n", tayori::Render(st, g_lang).c_str());
  return st.code() == tayori::Code::kInvalidArgument ? 2 : 1;
}

std::string When(int64_t t) { return t == 0 ? "" : tayori::JstDateTime(t); }

// 登録 (registration), 削除 (deletion) or PDF等 (other files), as the
// national client's inbox shows it.
std::string Kind(const pb::Manifest& m, bool ja) {
  bool csv = false, deletion = false;
  for (const auto& f : m.files()) {
    const std::string& n = f.name();
    if (n.size() > 4 && (n.substr(n.size() - 4) == ".csv" || n.substr(n.size() - 4) == ".CSV")) {
      csv = true;
      if (n.rfind("DLT", 0) == 0) deletion = true;
    }
  }
  if (deletion) return ja ? "削除" : "deletion";
  if (csv) return ja ? "登録" : "registration";
  return ja ? "PDF等" : "other";
}

std::string State(const pb::MailEntry& e) {
  switch (e.state()) {
    case pb::DOWNLOADED:
      return (J() ? "済 " : "downloaded ") + When(e.downloaded_unix()) +
             (e.receipt().empty() ? "" : (J() ? "（受領証あり）" : " (signed receipt)"));
    case pb::EXPIRED: return J() ? "期限切れ（未取得のまま保存期間が過ぎました）" : "expired undownloaded";
    default:
      return (J() ? "未（" : "not downloaded (kept until ") + tayori::JstDate(e.expire_unix()) + (J() ? "まで保存）" : ")");
  }
}

const char* StateKey(const pb::MailEntry& e) {
  switch (e.state()) {
    case pb::DOWNLOADED: return "downloaded";
    case pb::EXPIRED: return "expired";
    default: return "pending";
  }
}

json EntryJson(const pb::MailEntry& e, const std::string& message) {
  pb::Manifest m;
  m.ParseFromString(e.signed_().manifest());
  json files = json::array();
  for (const auto& f : m.files()) files.push_back({{"name", f.name()}, {"size", f.size()}});
  json j = {{"id", e.message_id()},
            {"sender_office", e.sender_office()},
            {"sender_name", e.sender_name()},
            {"recipient_office", e.recipient_office()},
            {"recipient_name", e.recipient_name()},
            {"accepted_unix", e.accepted_unix()},
            {"accepted", When(e.accepted_unix())},
            {"state", StateKey(e)},
            {"kind", Kind(m, false)},
            {"message", message},
            {"files", files}};
  if (e.downloaded_unix() != 0) {
    j["downloaded_unix"] = e.downloaded_unix();
    j["downloaded"] = When(e.downloaded_unix());
  }
  j["expire_unix"] = e.expire_unix();
  j["receipt"] = !e.receipt().empty();
  return j;
}

std::string FileList(const pb::MailEntry& e) {
  pb::Manifest m;
  m.ParseFromString(e.signed_().manifest());
  std::string out;
  for (const auto& f : m.files()) out += "      " + f.name() + " (" + std::to_string(f.size()) + " B)\n";
  return out;
}

json FindingJson(const tayori::careplan::Finding& f) {
  return {{"file", f.file}, {"line", f.line}, {"column", f.column},
          {"reason", tayori::careplan::CategoryReason(f.category)}, {"message", J() ? f.ja : f.en},
          {"ja", f.ja}, {"en", f.en}};
}

json FindingsJson(const std::vector<tayori::careplan::Finding>& findings) {
  json arr = json::array();
  for (const auto& f : findings) arr.push_back(FindingJson(f));
  return arr;
}

void PrintFindings(FILE* out, const std::vector<tayori::careplan::Finding>& findings, const char* indent) {
  for (const auto& f : findings) {
    std::fprintf(out, "%s%s\n", indent, tayori::careplan::FormatFinding(f, J()).c_str());
  }
}

// `check`: per file what it is, then the send as a whole.
int PrintCheck(const std::vector<std::string>& files, const tayori::careplan::CheckReport& report, bool as_json) {
  namespace cp = tayori::careplan;
  const cp::Rules& rules = cp::Rules::Standard();
  if (as_json) {
    json jf = json::array();
    for (const auto& path : files) {
      const std::string name = path.substr(path.find_last_of('/') + 1);
      json entry = {{"file", name}};
      if (cp::IsCsvName(name)) {
        cp::NameCheck n = rules.ParseName(name);
        if (n.ok) {
          entry["kind"] = n.name.kind->prefix;
          entry["title"] = J() ? n.name.kind->title : n.name.kind->title_en;
          entry["month"] = n.name.month;
          entry["sender"] = n.name.sender;
          entry["recipient"] = n.name.recipient;
          entry["stamp"] = n.name.stamp;
          entry["naming"] = n.name.naming == cp::Naming::kV4 ? "v4" : "v3";
        }
      }
      json problems = json::array();
      for (const auto& f : report.findings) if (f.file == name) problems.push_back(FindingJson(f));
      entry["ok"] = problems.empty();
      entry["problems"] = problems;
      jf.push_back(entry);
    }
    json send = json::array();
    for (const auto& f : report.findings) if (f.file.empty()) send.push_back(FindingJson(f));
    std::printf("%s\n", json{{"ok", report.ok()}, {"recipient", report.recipient},
                             {"unit", report.unit ? report.unit->id : ""},
                             {"unit_title", report.unit ? (J() ? report.unit->title : report.unit->title_en) : ""},
                             {"files", jf}, {"send_problems", send}}.dump(2).c_str());
    return report.ok() ? 0 : 2;
  }
  for (const auto& path : files) {
    const std::string name = path.substr(path.find_last_of('/') + 1);
    bool clean = true;
    for (const auto& f : report.findings) clean = clean && f.file != name;
    std::string what = J() ? "添付ファイル" : "attachment";
    if (cp::IsCsvName(name)) {
      cp::NameCheck n = rules.ParseName(name);
      what = n.ok ? (J() ? n.name.kind->title : n.name.kind->title_en) : "CSV";
    }
    std::printf("%s %s  (%s)\n", clean ? "OK" : "NG", name.c_str(), what.c_str());
    for (const auto& f : report.findings) {
      if (f.file != name) continue;
      std::string where;
      if (f.line > 0) where += J() ? std::to_string(f.line) + "行目 " : "line " + std::to_string(f.line) + " ";
      if (f.column > 0) where += J() ? std::to_string(f.column) + "列目 " : "column " + std::to_string(f.column) + " ";
      std::printf("     %s%s\n", where.c_str(), (J() ? f.ja : f.en).c_str());
    }
  }
  for (const auto& f : report.findings) {
    if (f.file.empty()) std::printf("NG %s\n", (J() ? f.ja : f.en).c_str());
  }
  if (report.unit) {
    std::printf(J() ? "送信単位: %s\n" : "send unit: %s\n", (J() ? report.unit->title : report.unit->title_en).c_str());
  }
  if (!report.recipient.empty()) std::printf(J() ? "送信先: %s\n" : "recipient: %s\n", report.recipient.c_str());
  std::printf(report.ok() ? (J() ? "このまま1回で送信できます。\n" : "These files can go as one send.\n")
                          : (J() ? "このままでは送信できません。上の項目を直してください。\n"
                                 : "These files cannot be sent as they are; fix the items above.\n"));
  return report.ok() ? 0 : 2;
}

tayori::agent::Progress MakeProgress(bool quiet) {
  if (quiet) return nullptr;
  const bool tty = ::isatty(2);
  return [tty](const std::string& label, uint64_t done, uint64_t total) {
    if (tty) {
      const int width = 30;
      const int filled = total == 0 ? width : static_cast<int>(done * width / total);
      std::fprintf(stderr, "\r%s [%s%s] %llu/%llu", label.c_str(), std::string(filled, '#').c_str(),
                   std::string(width - filled, '.').c_str(), static_cast<unsigned long long>(done),
                   static_cast<unsigned long long>(total));
      if (done == total) std::fprintf(stderr, "\n");
    } else {
      std::fprintf(stderr, "progress %s %llu/%llu\n", label.c_str(),
                   static_cast<unsigned long long>(done), static_cast<unsigned long long>(total));
    }
    std::fflush(stderr);
  };
}

}  // namespace

int main(int argc, char** argv) {
  // Chunk buffers of a MiB come and go all the time: keep them on the heap
  // instead of a fresh mmap (and page faults) for each.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
  CLI::App app{"tayori-agent: send and receive care plan data (ケアプランデータ連携)"};
  app.require_subcommand(1);
  app.fallthrough();  // --home and --lang may also follow the command
  std::string home = tayori::agent::DefaultAgentHome();
  std::string lang;
  bool json_out = false, quiet = false;
  app.add_option("--home", home, "this terminal's folder (keys, history)");
  app.add_option("--lang", lang, "ja (default) or en");

  auto* init = app.add_subcommand("init", "set up this terminal with the office certificate");
  tayori::agent::InitOptions io;
  init->add_option("--broker", io.broker, "broker endpoint, tcp://HOST:PORT")->required();
  init->add_option("--broker-key", io.broker_key, "broker public key (Z85)")->required();
  init->add_option("--cert", io.cert_path, "office certificate (PEM)")->required();
  init->add_option("--key", io.key_path, "its private key (PEM)")->required();
  init->add_option("--ca", io.ca_path, "CA certificate to trust (default: pin the broker's)");
  init->add_flag("--force", io.force, "replace an existing set-up");

  auto* enrol = app.add_subcommand("enrol", "register this terminal's keys with the broker");
  auto* lookup = app.add_subcommand("lookup", "can an office receive now?");
  std::string office;
  lookup->add_option("office", office, "office number")->required();
  lookup->add_flag("--json", json_out);

  auto* send = app.add_subcommand("send", "send files with a message to one office");
  tayori::agent::SendOptions so;
  send->add_option("--to", so.to, "recipient office number (default: from the CSV file names)");
  send->add_option("--message", so.message, "free-text message (like a FAX cover sheet)");
  send->add_option("files", so.files, "files to send")->required();
  send->add_flag("--json", json_out);
  send->add_flag("--quiet", quiet, "no progress output");

  auto* check = app.add_subcommand("check", "check files against the care plan standard, offline");
  std::vector<std::string> check_files;
  std::string check_to;
  check->add_option("files", check_files, "files meant to go as one send")->required();
  check->add_option("--to", check_to, "recipient office number, for files without standard names");
  check->add_flag("--json", json_out);

  auto* inbox = app.add_subcommand("inbox", "受信一覧: messages for this office");
  inbox->add_flag("--json", json_out);

  auto* fetch = app.add_subcommand("fetch", "データ取得: download messages into a folder");
  std::vector<std::string> ids;
  std::string dest;
  bool all = false;
  fetch->add_option("ids", ids, "message ids");
  fetch->add_flag("--all", all, "every message not yet downloaded");
  fetch->add_option("--dest", dest, "folder to save into")->required();
  fetch->add_flag("--json", json_out);
  fetch->add_flag("--quiet", quiet, "no progress output");

  auto* sent = app.add_subcommand("sent", "送信一覧: this office's sends and their status");
  sent->add_flag("--json", json_out);

  auto* receipt = app.add_subcommand("receipt", "verify and show the recipient's signed download receipt");
  std::string receipt_id;
  receipt->add_option("id", receipt_id, "message id (from `sent`)")->required();
  receipt->add_flag("--json", json_out);

  auto* watch = app.add_subcommand("watch", "print new mail, downloads and expiries as they happen");
  watch->add_flag("--json", json_out, "one JSON object per line");

  auto* status = app.add_subcommand("status", "ホーム: system status, licence, notices");
  status->add_flag("--json", json_out);

  auto* draft = app.add_subcommand("draft", "下書き: keep a send to finish later");
  draft->require_subcommand(1);
  std::string draft_id, draft_to, draft_message;
  std::vector<std::string> draft_files, draft_remove;
  bool draft_message_set = false;
  auto* draft_save = draft->add_subcommand("save", "save a new draft");
  draft_save->add_option("--to", draft_to, "recipient office number (default: from the CSV names)");
  draft_save->add_option("--message", draft_message, "free-text message");
  draft_save->add_option("files", draft_files, "files")->required();
  auto* draft_list = draft->add_subcommand("list", "list drafts");
  draft_list->add_flag("--json", json_out);
  auto* draft_show = draft->add_subcommand("show", "show a draft and what `check` says of it");
  draft_show->add_option("id", draft_id)->required();
  draft_show->add_flag("--json", json_out);
  auto* draft_edit = draft->add_subcommand("edit", "change a draft");
  draft_edit->add_option("id", draft_id)->required();
  draft_edit->add_option("--to", draft_to, "recipient office number");
  draft_edit->add_option("--message", draft_message, "free-text message")->each([&](const std::string&) { draft_message_set = true; });
  draft_edit->add_option("--add", draft_files, "add files");
  draft_edit->add_option("--remove", draft_remove, "remove files by name");
  auto* draft_delete = draft->add_subcommand("delete", "delete a draft");
  draft_delete->add_option("id", draft_id)->required();
  auto* draft_send = draft->add_subcommand("send", "send a draft; it is deleted once accepted");
  draft_send->add_option("id", draft_id)->required();
  draft_send->add_flag("--json", json_out);
  draft_send->add_flag("--quiet", quiet);

  auto* bulk = app.add_subcommand("bulk", "一括送信: send many CSVs, grouped by recipient, up to 50 sends");
  tayori::agent::BulkOptions bo;
  std::vector<std::string> attach_args, message_args;
  bool resume = false;
  bulk->add_option("inputs", bo.inputs, "CSV files and folders");
  bulk->add_option("--message", bo.message, "message for every send");
  bulk->add_option("--message-for", message_args, "N=TEXT: message for recipient N");
  bulk->add_option("--attach", attach_args, "N=FILE: a PDF or image for recipient N");
  bulk->add_flag("--resume", resume, "send again what earlier bulk sends left behind");
  int parallel = 2;
  bulk->add_option("--parallel", parallel, "sends in flight at once (default 2, 1 to 8)");
  bulk->add_flag("--json", json_out, "events as JSON lines");

  CLI11_PARSE(app, argc, argv);
  g_lang = tayori::agent::LocaleLang();
  if (!lang.empty()) {
    auto l = tayori::ParseLang(lang);
    if (!l.ok()) return Fail(l.status());
    g_lang = *l;
  }
  tayori::Env* env = tayori::Env::Default();

  if (check->parsed()) {
    // Works without a set-up terminal (for care software vendors); with one,
    // the sender in the names must be this office.
    std::string own;
    auto opened = tayori::agent::Agent::Open(home, env);
    if (opened.ok()) {
      own = (*opened)->config().office;
      if (lang.empty() && (*opened)->config().lang) g_lang = *(*opened)->config().lang;
    }
    if (!check_to.empty() && !tayori::IsOfficeNumber(check_to)) {
      return Fail(tayori::CheckOfficeNumber(check_to));
    }
    return PrintCheck(check_files, tayori::agent::Agent::CheckFiles(check_files, own, check_to), json_out);
  }

  if (init->parsed()) {
    io.home = home;
    Status st = tayori::agent::Agent::Init(io, env);
    if (!st.ok()) return Fail(st);
    std::printf(J() ? "初期設定しました: %s\n次に `tayori-agent enrol` を実行してください。\n"
                    : "Set up in %s\nNext, run `tayori-agent enrol`.\n",
                home.c_str());
    return 0;
  }
  auto opened = tayori::agent::Agent::Open(home, env);
  if (!opened.ok()) return Fail(opened.status());
  auto& agent = **opened;
  if (lang.empty() && agent.config().lang) g_lang = *agent.config().lang;

  if (enrol->parsed()) {
    auto info = agent.Enrol();
    if (!info.ok()) return Fail(info.status());
    std::printf(J() ? "端末を登録しました: %s %s（ライセンス期限 %s）\n"
                    : "Terminal enrolled: %s %s (licence until %s)\n",
                info->office().c_str(), info->name().c_str(), info->licence_until().c_str());
    return 0;
  }
  if (lookup->parsed()) {
    auto info = agent.Lookup(office);
    if (!info.ok()) return Fail(info.status());
    const bool can = info->registered() && info->licensed() && info->enrolled();
    if (json_out) {
      std::printf("%s\n", json{{"office", info->office()}, {"registered", info->registered()},
                               {"name", info->name()}, {"licence_until", info->licence_until()},
                               {"licensed", info->licensed()}, {"enrolled", info->enrolled()},
                               {"can_receive", can}}.dump(2).c_str());
    } else if (!info->registered()) {
      std::printf(J() ? "%s は登録されていません。送信できません。\n" : "%s is not registered; it cannot receive.\n",
                  office.c_str());
    } else {
      std::printf(J() ? "%s %s: %s（ライセンス期限 %s）\n" : "%s %s: %s (licence until %s)\n",
                  info->office().c_str(), info->name().c_str(),
                  can ? (J() ? "受信できます" : "can receive")
                      : (J() ? "現在受信できません" : "cannot receive now"),
                  info->licence_until().c_str());
    }
    return can ? 0 : 1;
  }
  if (send->parsed()) {
    if (!so.to.empty() && !tayori::IsOfficeNumber(so.to)) return Fail(tayori::CheckOfficeNumber(so.to));
    // Every offline check first, in the user's language.
    const auto report = tayori::agent::Agent::CheckFiles(so.files, agent.config().office, so.to);
    if (!report.ok()) {
      if (json_out) {
        std::printf("%s\n", json{{"ok", false}, {"problems", FindingsJson(report.findings)}}.dump(2).c_str());
      } else {
        std::fprintf(stderr, "%s\n", tayori::Render(tayori::InvalidArgument(
            tayori::careplan::CategoryReason(report.findings[0].category), ""), g_lang).c_str());
        PrintFindings(stderr, report.findings, "  ");
      }
      return 2;
    }
    so.on_recipient = [json_out](const pb::OfficeInfo& r) {
      std::fprintf(json_out ? stderr : stdout, J() ? "送信先: %s %s\n" : "To: %s %s\n", r.office().c_str(),
                   r.name().c_str());
      std::fflush(stdout);
    };
    auto result = agent.Send(so, MakeProgress(quiet || json_out));
    if (!result.ok()) return Fail(result.status());
    if (json_out) {
      std::printf("%s\n", json{{"ok", true}, {"id", result->message_id}, {"to", result->recipient},
                               {"recipient_name", result->recipient_name},
                               {"accepted_unix", result->accepted_unix},
                               {"resumed", result->resumed}}.dump(2).c_str());
    } else {
      std::printf(J() ? "送信しました: %s → %s %s（%s）\n" : "Sent: %s to %s %s (%s)\n",
                  result->message_id.c_str(), result->recipient.c_str(), result->recipient_name.c_str(),
                  When(result->accepted_unix).c_str());
    }
    return 0;
  }
  if (inbox->parsed()) {
    auto items = agent.Inbox();
    if (!items.ok()) return Fail(items.status());
    if (json_out) {
      json arr = json::array();
      for (const auto& it : *items) {
        json j = EntryJson(it.entry, it.message);
        j["new"] = it.is_new;
        j["problems"] = FindingsJson(it.problems);
        arr.push_back(j);
      }
      std::printf("%s\n", json{{"office", agent.config().office}, {"inbox", arr}}.dump(2).c_str());
      return 0;
    }
    std::printf(J() ? "受信一覧（%zu件）\n" : "Inbox (%zu)\n", items->size());
    for (const auto& it : *items) {
      pb::Manifest m;
      m.ParseFromString(it.entry.signed_().manifest());
      std::printf("%s %s  %s  %s %s  [%s]  %s\n    %s\n%s", it.is_new ? "★" : " ",
                  it.entry.message_id().c_str(), When(it.entry.accepted_unix()).c_str(),
                  it.entry.sender_office().c_str(), it.entry.sender_name().c_str(),
                  Kind(m, J()).c_str(), State(it.entry).c_str(), it.message.c_str(),
                  FileList(it.entry).c_str());
      if (!it.problems.empty()) {
        std::printf(J() ? "    ⚠ 標準仕様に合わない点があります:\n" : "    ⚠ does not conform to the standard:\n");
        PrintFindings(stdout, it.problems, "      ");
      }
    }
    return 0;
  }
  if (fetch->parsed()) {
    if (all) {
      auto items = agent.Inbox();
      if (!items.ok()) return Fail(items.status());
      for (const auto& it : *items) {
        if (it.entry.state() == pb::DELIVERED) ids.push_back(it.entry.message_id());
      }
    }
    if (ids.empty() && !all) return Fail(tayori::InvalidArgument("usage", "name message ids or --all"));
    json arr = json::array();
    int failures = 0;
    for (const auto& id : ids) {
      auto r = agent.Fetch(id, dest, MakeProgress(quiet || json_out));
      if (!r.ok()) {
        ++failures;
        if (json_out) {
          arr.push_back({{"id", id}, {"ok", false}, {"reason", r.status().reason()},
                         {"error", tayori::Render(r.status(), g_lang)}});
        } else {
          std::fprintf(stderr, "%s: %s\n", id.c_str(), tayori::Render(r.status(), g_lang).c_str());
        }
        continue;
      }
      if (json_out) {
        arr.push_back({{"id", id}, {"ok", true}, {"files", r->saved_paths},
                       {"downloaded_unix", r->downloaded_unix}, {"problems", FindingsJson(r->problems)}});
      } else {
        std::printf(J() ? "取得しました: %s\n" : "Downloaded: %s\n", id.c_str());
        for (const auto& p : r->saved_paths) std::printf("    %s\n", p.c_str());
        if (!r->problems.empty()) {
          std::printf(J() ? "    ⚠ 受け取ったファイルが標準仕様に合っていません。介護ソフトに取り込む前に送信元に確認してください:\n"
                          : "    ⚠ the received files do not conform to the standard; check with the sender before importing:\n");
          PrintFindings(stdout, r->problems, "      ");
        }
      }
    }
    if (json_out) std::printf("%s\n", json{{"fetched", arr}}.dump(2).c_str());
    return failures == 0 ? 0 : 1;
  }
  if (draft->parsed()) {
    tayori::agent::DraftStore drafts(home, env);
    auto print_draft = [&](const pb::Draft& d, bool with_check) {
      auto report = tayori::agent::Agent::CheckFiles({d.paths().begin(), d.paths().end()}, agent.config().office, d.to());
      if (json_out) {
        json j = {{"id", d.id()}, {"to", d.to().empty() ? report.recipient : d.to()}, {"message", d.message()},
                  {"files", std::vector<std::string>(d.paths().begin(), d.paths().end())},
                  {"updated", When(d.updated_unix())}, {"bulk", !d.bulk_id().empty()},
                  {"last_error", d.last_error()}, {"ready", report.ok()}};
        if (with_check) j["problems"] = FindingsJson(report.findings);
        return j;
      }
      std::printf("%s  %s  → %s  %d%s  %s%s\n", d.id().c_str(), When(d.updated_unix()).c_str(),
                  (d.to().empty() ? report.recipient : d.to()).c_str(), d.paths_size(), J() ? "ファイル" : " files",
                  report.ok() ? (J() ? "送信可" : "ready") : (J() ? "要修正" : "needs fixing"),
                  d.bulk_id().empty() ? "" : (J() ? "（一括送信の残り）" : " (left by a bulk send)"));
      if (with_check) {
        std::printf("  %s\n", d.message().c_str());
        for (const auto& p : d.paths()) std::printf("    %s\n", p.c_str());
        PrintFindings(stdout, report.findings, "  ");
      }
      return json();
    };
    if (draft_save->parsed()) {
      auto d = drafts.Create(draft_to, draft_message, draft_files);
      if (!d.ok()) return Fail(d.status());
      std::printf(J() ? "下書きを保存しました: %s\n" : "Draft saved: %s\n", d->id().c_str());
      return 0;
    }
    if (draft_list->parsed()) {
      auto list = drafts.List();
      if (!list.ok()) return Fail(list.status());
      json arr = json::array();
      if (!json_out) std::printf(J() ? "下書き一覧（%zu件）\n" : "Drafts (%zu)\n", list->size());
      for (const auto& d : *list) arr.push_back(print_draft(d, false));
      if (json_out) std::printf("%s\n", json{{"drafts", arr}}.dump(2).c_str());
      return 0;
    }
    auto d = drafts.Get(draft_id);
    if (!d.ok()) return Fail(d.status());
    if (draft_show->parsed()) {
      json j = print_draft(*d, true);
      if (json_out) std::printf("%s\n", j.dump(2).c_str());
      return 0;
    }
    if (draft_edit->parsed()) {
      if (!draft_to.empty()) {
        if (!tayori::IsOfficeNumber(draft_to)) return Fail(tayori::CheckOfficeNumber(draft_to));
        d->set_to(draft_to);
      }
      if (draft_message_set) d->set_message(draft_message);
      for (const auto& f : draft_files) d->add_paths(tayori::agent::AbsolutePath(f));
      for (const auto& name : draft_remove) {
        auto* paths = d->mutable_paths();
        const auto before = paths->size();
        paths->erase(std::remove_if(paths->begin(), paths->end(),
                                    [&](const std::string& p) { return p.substr(p.find_last_of('/') + 1) == name; }),
                     paths->end());
        if (paths->size() == before) return Fail(tayori::InvalidArgument("usage", "the draft has no file " + name));
      }
      tayori::Status st = drafts.Put(*d);
      if (!st.ok()) return Fail(st);
      print_draft(*d, true);
      return 0;
    }
    if (draft_delete->parsed()) {
      tayori::Status st = drafts.Delete(draft_id);
      if (!st.ok()) return Fail(st);
      std::printf(J() ? "下書きを削除しました: %s\n" : "Draft deleted: %s\n", draft_id.c_str());
      return 0;
    }
    // draft send: the same path as `send`, then the draft goes.
    so.to = d->to();
    so.message = d->message();
    so.files.assign(d->paths().begin(), d->paths().end());
    auto result = agent.Send(so, MakeProgress(quiet || json_out));
    if (!result.ok()) return Fail(result.status());
    (void)drafts.Delete(draft_id);
    if (json_out) {
      std::printf("%s\n", json{{"ok", true}, {"id", result->message_id}, {"to", result->recipient}}.dump(2).c_str());
    } else {
      std::printf(J() ? "送信しました: %s → %s %s\n" : "Sent: %s to %s %s\n", result->message_id.c_str(),
                  result->recipient.c_str(), result->recipient_name.c_str());
    }
    return 0;
  }
  if (bulk->parsed()) {
    tayori::agent::DraftStore drafts(home, env);
    tayori::agent::Bulk runner(&agent, &drafts);
    auto split = [](const std::string& arg, std::string* key, std::string* value) {
      const size_t eq = arg.find('=');
      if (eq == std::string::npos || !tayori::IsOfficeNumber(arg.substr(0, eq))) return false;
      *key = arg.substr(0, eq);
      *value = arg.substr(eq + 1);
      return true;
    };
    for (const auto& a : attach_args) {
      std::string k, v;
      if (!split(a, &k, &v)) return Fail(tayori::InvalidArgument("usage", "--attach takes N=FILE, got '" + a + "'"));
      bo.attachments[k].push_back(v);
    }
    for (const auto& a : message_args) {
      std::string k, v;
      if (!split(a, &k, &v)) return Fail(tayori::InvalidArgument("usage", "--message-for takes N=TEXT, got '" + a + "'"));
      bo.messages[k] = v;
    }
    if (!resume && bo.inputs.empty()) return Fail(tayori::InvalidArgument("usage", "name CSV files or folders, or --resume"));
    auto planned = resume ? runner.PlanResume() : runner.Plan(bo);
    if (!planned.ok()) return Fail(planned.status());
    std::vector<tayori::agent::BulkGroup>& groups = *planned;
    auto group_json = [](size_t i, const tayori::agent::BulkGroup& g) {
      json j = {{"index", i + 1}, {"to", g.recipient}, {"name", g.recipient_name}, {"unit", g.unit},
                {"files", g.files.size()}, {"state", tayori::agent::BulkStateName(g.state)},
                {"done", g.done}, {"total", g.total}};
      if (!g.message_id.empty()) j["id"] = g.message_id;
      if (!g.error.ok()) j["error"] = tayori::Render(g.error, g_lang);
      if (!g.problems.empty()) j["problems"] = FindingsJson(g.problems);
      return j;
    };
    if (json_out) {
      json plan = json::array();
      for (size_t i = 0; i < groups.size(); ++i) plan.push_back(group_json(i, groups[i]));
      std::printf("%s\n", json{{"event", "plan"}, {"groups", plan}}.dump().c_str());
    } else {
      std::printf(J() ? "一括送信（%zu件）\n" : "Bulk send (%zu sends)\n", groups.size());
      for (size_t i = 0; i < groups.size(); ++i) {
        const auto& g = groups[i];
        std::printf("  %2zu  %s %-20s  %s  %zu%s\n", i + 1, g.recipient.c_str(),
                    g.recipient_name.empty() ? (J() ? "（未登録）" : "(not registered)") : g.recipient_name.c_str(),
                    g.unit.c_str(), g.files.size(), J() ? "ファイル" : " files");
        PrintFindings(stdout, g.problems, "        ");
      }
    }
    std::fflush(stdout);
    static std::atomic<bool> cancel{false};
    std::signal(SIGINT, [](int) { cancel = true; });
    std::signal(SIGTERM, [](int) { cancel = true; });
    const bool tty = ::isatty(1) && !json_out;
    std::vector<int> last_state(groups.size(), -1);
    std::vector<int> last_tenth(groups.size(), -1);
    if (parallel < 1 || parallel > 8) return Fail(tayori::InvalidArgument("usage", "--parallel takes 1 to 8"));
    runner.Run(&groups, [&](size_t i, const tayori::agent::BulkGroup& g) {
      const int tenth = g.total == 0 ? 0 : static_cast<int>(g.done * 10 / g.total);
      const bool changed = last_state[i] != g.state;
      if (!changed && tenth == last_tenth[i]) return;  // progress in tenths
      last_state[i] = g.state;
      last_tenth[i] = tenth;
      if (json_out) {
        json j = group_json(i, g);
        j["event"] = "group";
        std::printf("%s\n", j.dump().c_str());
      } else {
        const char* state = g.state == tayori::agent::BulkGroup::kSending ? (J() ? "送信中" : "sending")
                          : g.state == tayori::agent::BulkGroup::kSucceeded ? (J() ? "成功" : "success")
                          : g.state == tayori::agent::BulkGroup::kFailed ? (J() ? "失敗" : "failed")
                          : g.state == tayori::agent::BulkGroup::kInterrupted ? (J() ? "中断" : "interrupted")
                                                                              : (J() ? "送信待ち" : "waiting");
        std::printf("%s[%zu/%zu] %s %s  %s %d%%%s", tty && !changed ? "\r" : "", i + 1, groups.size(),
                    g.recipient.c_str(), g.recipient_name.c_str(), state, tenth * 10,
                    tty && g.state == tayori::agent::BulkGroup::kSending ? "" : "\n");
        if (!g.error.ok()) std::printf("      %s\n", tayori::Render(g.error, g_lang).c_str());
      }
      std::fflush(stdout);
    }, &cancel, parallel, [&] { return tayori::agent::Agent::Open(home, env); });
    int ok = 0, failed = 0, interrupted = 0;
    for (const auto& g : groups) {
      ok += g.state == tayori::agent::BulkGroup::kSucceeded;
      failed += g.state == tayori::agent::BulkGroup::kFailed;
      interrupted += g.state == tayori::agent::BulkGroup::kInterrupted;
    }
    if (json_out) {
      std::printf("%s\n", json{{"event", "done"}, {"succeeded", ok}, {"failed", failed}, {"interrupted", interrupted}}.dump().c_str());
    } else {
      std::printf(J() ? "成功 %d件・失敗 %d件・中断 %d件\n" : "%d succeeded, %d failed, %d interrupted\n", ok, failed, interrupted);
      if (failed + interrupted > 0) {
        std::printf(J() ? "失敗・中断した送信は下書きに残りました。`tayori-agent bulk --resume` で続きを送れます。\n"
                        : "Failed and interrupted sends stay as drafts; `tayori-agent bulk --resume` sends them.\n");
      }
    }
    return failed + interrupted == 0 ? 0 : 1;
  }
  if (receipt->parsed()) {
    auto r = agent.Receipt(receipt_id);
    if (!r.ok()) return Fail(r.status());
    pb::Manifest m;
    m.ParseFromString(r->entry.signed_().manifest());
    if (json_out) {
      json files = json::array();
      for (int i = 0; i < m.files_size(); ++i) {
        files.push_back({{"name", m.files(i).name()}, {"sha256", tayori::ToHex(r->receipt.file_sha256(i))}});
      }
      std::printf("%s\n", json{{"id", receipt_id}, {"verified", true},
                               {"recipient_office", r->receipt.recipient_office()},
                               {"recipient_name", r->entry.recipient_name()},
                               {"recipient_user_id", r->signer.user_id},
                               {"certificate_serial", r->signer.serial_hex},
                               {"downloaded_unix", r->receipt.downloaded_unix()},
                               {"broker_downloaded_unix", r->entry.downloaded_unix()},
                               {"files", files}}.dump(2).c_str());
      return 0;
    }
    std::printf(J() ? "受領証（署名を検証しました）\n  送信: %s\n  受領した事業所: %s %s（%s、証明書 %s）\n  取得日時: %s\n"
                    : "Receipt (signature verified)\n  send: %s\n  received by: %s %s (%s, certificate %s)\n  downloaded: %s\n",
                receipt_id.c_str(), r->receipt.recipient_office().c_str(), r->entry.recipient_name().c_str(),
                r->signer.user_id.c_str(), r->signer.serial_hex.c_str(), When(r->receipt.downloaded_unix()).c_str());
    for (int i = 0; i < m.files_size(); ++i) {
      std::printf("    %s  sha256 %s\n", m.files(i).name().c_str(), tayori::ToHex(r->receipt.file_sha256(i)).c_str());
    }
    return 0;
  }
  if (watch->parsed()) {
    static std::atomic<bool> stop_watch{false};
    std::signal(SIGINT, [](int) { stop_watch = true; });
    std::signal(SIGTERM, [](int) { stop_watch = true; });
    Status st = agent.Watch(
        [json_out](const pb::Event& e) {
          if (json_out) {
            std::printf("%s\n", json{{"kind", e.kind()}, {"id", e.message_id()}, {"office", e.office()},
                                     {"name", e.name()}, {"at_unix", e.at_unix()}, {"files", e.files()}}.dump().c_str());
          } else if (e.kind() == "subscribed") {
            std::printf(J() ? "待機中: 新着と取得状況をお知らせします（Ctrl-C で終了）\n"
                            : "Watching for new mail and downloads (Ctrl-C to stop)\n");
          } else if (e.kind() == "new_mail") {
            std::printf(J() ? "★ 新着 %s  %s %s から %u ファイル  %s\n" : "* new mail %s from %s %s, %u files, %s\n",
                        e.message_id().c_str(), e.office().c_str(), e.name().c_str(), e.files(), When(e.at_unix()).c_str());
          } else if (e.kind() == "downloaded") {
            std::printf(J() ? "済 %s  %s %s が取得しました  %s\n" : "downloaded %s by %s %s at %s\n",
                        e.message_id().c_str(), e.office().c_str(), e.name().c_str(), When(e.at_unix()).c_str());
          } else if (e.kind() == "expired") {
            std::printf(J() ? "期限切れ %s  %s %s が取得しないまま保存期間が過ぎました\n" : "expired %s: %s %s never downloaded it\n",
                        e.message_id().c_str(), e.office().c_str(), e.name().c_str());
          }
          std::fflush(stdout);
        },
        [] { return stop_watch.load(); });
    if (!st.ok()) return Fail(st);
    return 0;
  }
  if (status->parsed()) {
    auto home = agent.Home();
    if (!home.ok()) {
      // The broker cannot be reached: that is the system status.
      if (json_out) {
        std::printf("%s\n", json{{"system_status", "unreachable"}, {"error", tayori::Render(home.status(), g_lang)}}.dump(2).c_str());
      } else {
        std::printf(J() ? "システム状況: 接続できません\n" : "System status: unreachable\n");
      }
      return Fail(home.status());
    }
    const std::string sys = home->notices.system_status();
    json notices = json::array();
    for (const auto& n : home->notices.notices()) {
      notices.push_back({{"id", n.id()}, {"kind", n.kind()}, {"title", n.title()}, {"body", n.body()},
                         {"posted_unix", n.posted_unix()}, {"until_unix", n.until_unix()}});
    }
    if (json_out) {
      std::printf("%s\n", json{{"system_status", sys}, {"office", home->office.office()}, {"name", home->office.name()},
                               {"licence_until", home->office.licence_until()}, {"licensed", home->office.licensed()},
                               {"certificate_not_after_unix", home->certificate.not_after},
                               {"notices", notices}}.dump(2).c_str());
      return 0;
    }
    std::printf(J() ? "ホーム\n  システム状況: %s\n  事業所: %s %s\n  ライセンス期限: %s%s\n  証明書の有効期限: %s\n"
                    : "Home\n  System status: %s\n  Office: %s %s\n  Licence until: %s%s\n  Certificate valid until: %s\n",
                sys == "normal" ? (J() ? "正常稼働中" : "operating normally")
                                : (J() ? "メンテナンスのお知らせがあります" : "maintenance announced"),
                home->office.office().c_str(), home->office.name().c_str(), home->office.licence_until().c_str(),
                home->office.licensed() ? "" : (J() ? "（期限切れ: 更新してください）" : " (EXPIRED: renew it)"),
                tayori::JstDate(home->certificate.not_after).c_str());
    std::printf(J() ? "お知らせ（%d件）\n" : "Notices (%d)\n", home->notices.notices_size());
    for (const auto& n : home->notices.notices()) {
      std::printf("  %s%s  %s\n    %s\n", n.kind() == "maintenance" ? (J() ? "【メンテナンス】" : "[maintenance] ") : "",
                  tayori::JstDate(n.posted_unix()).c_str(), n.title().c_str(), n.body().c_str());
    }
    return 0;
  }
  if (sent->parsed()) {
    auto items = agent.Sent();
    if (!items.ok()) return Fail(items.status());
    if (json_out) {
      json arr = json::array();
      for (const auto& it : *items) arr.push_back(EntryJson(it.entry, it.message));
      std::printf("%s\n", json{{"office", agent.config().office}, {"sent", arr}}.dump(2).c_str());
      return 0;
    }
    std::printf(J() ? "送信一覧（%zu件）\n" : "Sent (%zu)\n", items->size());
    for (const auto& it : *items) {
      std::printf("  %s  %s  → %s %s  %s\n    %s\n%s", it.entry.message_id().c_str(),
                  When(it.entry.accepted_unix()).c_str(), it.entry.recipient_office().c_str(),
                  it.entry.recipient_name().c_str(), State(it.entry).c_str(), it.message.c_str(),
                  FileList(it.entry).c_str());
    }
    return 0;
  }
  return 0;
}
