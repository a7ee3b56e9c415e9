// tayori-agent init, enrol, lookup, check and status: setting up a terminal
// and what it can say about itself, an office, or files, before any send.
#include <CLI/CLI.hpp>

#include "agent/cli/commands.h"
#include "agent/cli/output.h"
#include "common/careplan/rules.h"
#include "common/env.h"
#include "common/ids.h"
#include "common/port/port.h"

namespace tayori::agent::cli {
namespace {

// The options of this file's commands, as parsed.
struct Options {
  InitOptions init;
  std::string lookup_office;
  std::vector<std::string> check_files;
  std::string check_to;
};

Options& Opts() {
  static Options* options = new Options;
  return *options;
}

// `check --json`: one object per file (what its name says, its problems),
// then the send as a whole.
void PrintCheckJson(const std::vector<std::string>& files, const careplan::CheckReport& report) {
  const careplan::Rules& rules = careplan::Rules::Standard();
  json jf = json::array();
  for (const auto& path : files) {
    const std::string name = BaseName(path);
    json entry = {{"file", name}};
    if (careplan::IsCsvName(name)) {
      careplan::NameCheck n = rules.ParseName(name);
      if (n.ok) {
        entry["kind"] = n.name.kind->prefix;
        entry["title"] = J() ? n.name.kind->title : n.name.kind->title_en;
        entry["month"] = n.name.month;
        entry["sender"] = n.name.sender;
        entry["recipient"] = n.name.recipient;
        entry["stamp"] = n.name.stamp;
        entry["naming"] = n.name.naming == careplan::Naming::kV4 ? "v4" : "v3";
      }
    }
    json problems = json::array();
    for (const auto& f : report.findings) {
      if (f.file == name) problems.push_back(FindingJson(f));
    }
    entry["ok"] = problems.empty();
    entry["problems"] = problems;
    jf.push_back(entry);
  }
  json send = json::array();
  for (const auto& f : report.findings) {
    if (f.file.empty()) send.push_back(FindingJson(f));
  }
  PrintJson({{"ok", report.ok()},
             {"recipient", report.recipient},
             {"unit", report.unit ? report.unit->id : ""},
             {"unit_title", report.unit ? (J() ? report.unit->title : report.unit->title_en) : ""},
             {"files", jf},
             {"send_problems", send},
             {"warnings", FindingsJson(report.warnings)}});
}

// `check`, one file: OK or NG, what it is, then each problem with its place.
void PrintCheckedFile(const std::string& name, const careplan::CheckReport& report) {
  bool clean = true;
  for (const auto& f : report.findings) clean = clean && f.file != name;
  std::string what = J() ? "添付ファイル" : "attachment";
  if (careplan::IsCsvName(name)) {
    careplan::NameCheck n = careplan::Rules::Standard().ParseName(name);
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

// `check`: per file what it is, then the send as a whole.
void PrintCheckText(const std::vector<std::string>& files, const careplan::CheckReport& report) {
  for (const auto& path : files) PrintCheckedFile(BaseName(path), report);
  for (const auto& f : report.findings) {
    if (f.file.empty()) std::printf("NG %s\n", (J() ? f.ja : f.en).c_str());
  }
  for (const auto& f : report.warnings) std::printf("%s\n", careplan::FormatFinding(f, J()).c_str());
  if (report.unit) {
    std::printf(J() ? "送信単位: %s\n" : "send unit: %s\n", (J() ? report.unit->title : report.unit->title_en).c_str());
  }
  if (!report.recipient.empty()) std::printf(J() ? "送信先: %s\n" : "recipient: %s\n", report.recipient.c_str());
  std::printf(report.ok() ? (J() ? "このまま1回で送信できます。\n" : "These files can go as one send.\n")
                          : (J() ? "このままでは送信できません。上の項目を直してください。\n"
                                 : "These files cannot be sent as they are; fix the items above.\n"));
}

void PrintLookup(const pb::OfficeInfo& info, bool can_receive) {
  if (JsonOut()) {
    PrintJson({{"office", info.office()},
               {"registered", info.registered()},
               {"name", info.name()},
               {"licence_until", info.licence_until()},
               {"licensed", info.licensed()},
               {"enrolled", info.enrolled()},
               {"can_receive", can_receive}});
  } else if (!info.registered()) {
    std::printf(J() ? "%s は登録されていません。送信できません。\n" : "%s is not registered; it cannot receive.\n",
                Opts().lookup_office.c_str());
  } else {
    std::printf(
        J() ? "%s %s: %s（ライセンス期限 %s）\n" : "%s %s: %s (licence until %s)\n", info.office().c_str(),
        info.name().c_str(),
        can_receive ? (J() ? "受信できます" : "can receive") : (J() ? "現在受信できません" : "cannot receive now"),
        info.licence_until().c_str());
  }
}

void PrintHomeJson(const HomeStatus& home) {
  json notices = json::array();
  for (const auto& n : home.notices.notices()) {
    notices.push_back({{"id", n.id()},
                       {"kind", n.kind()},
                       {"title", n.title()},
                       {"body", n.body()},
                       {"posted_unix", n.posted_unix()},
                       {"until_unix", n.until_unix()}});
  }
  PrintJson({{"system_status", home.notices.system_status()},
             {"office", home.office.office()},
             {"name", home.office.name()},
             {"licence_until", home.office.licence_until()},
             {"licensed", home.office.licensed()},
             {"certificate_not_after_unix", home.certificate.not_after},
             {"certificate_ok", home.terminal.ok()},
             {"notices", notices}});
}

// ホーム: system status, this office and its licence, certificate, notices.
// What needs doing soon: a certificate that no longer fits this PC, and a
// licence or certificate that ends within 30 days (nothing renews itself).
void PrintHomeWarnings(const HomeStatus& home) {
  if (!home.terminal.ok()) std::printf("  ⚠ %s\n", Rendered(home.terminal).c_str());
  const int64_t today = JstDay(Env::Default()->NowSeconds());
  auto licence_day = ParseDate(home.office.licence_until());
  if (home.office.licensed() && licence_day.ok() && *licence_day - today <= 30) {
    std::printf(J() ? "  ⚠ 利用ライセンスの期限まであと%lld日です。更新の手続きをしてください。\n"
                    : "  ⚠ The licence ends in %lld days. Renew it.\n",
                static_cast<long long>(*licence_day - today));
  }
  const int64_t cert_days = JstDay(home.certificate.not_after) - today;
  if (cert_days >= 0 && cert_days <= 30) {
    std::printf(
        J() ? "  ⚠ 電子証明書の有効期限まであと%lld日です。電子請求受付システムで新しい証明書を取得してください。\n"
            : "  ⚠ The certificate ends in %lld days. Obtain a new one.\n",
        static_cast<long long>(cert_days));
  }
}

void PrintHomeText(const HomeStatus& home) {
  std::printf(
      J() ? "ホーム\n  システム状況: %s\n  事業所: %s %s\n  ライセンス期限: %s%s\n  証明書の有効期限: %s\n"
          : "Home\n  System status: %s\n  Office: %s %s\n  Licence until: %s%s\n  Certificate valid until: %s\n",
      home.notices.system_status() == "normal" ? (J() ? "正常稼働中" : "operating normally")
                                               : (J() ? "メンテナンスのお知らせがあります" : "maintenance announced"),
      home.office.office().c_str(), home.office.name().c_str(), home.office.licence_until().c_str(),
      home.office.licensed() ? "" : (J() ? "（期限切れ: 更新してください）" : " (EXPIRED: renew it)"),
      JstDate(home.certificate.not_after).c_str());
  PrintHomeWarnings(home);
  std::printf(J() ? "お知らせ（%d件）\n" : "Notices (%d)\n", home.notices.notices_size());
  for (const auto& n : home.notices.notices()) {
    std::printf("  %s%s  %s\n    %s\n", n.kind() == "maintenance" ? (J() ? "【メンテナンス】" : "[maintenance] ") : "",
                JstDate(n.posted_unix()).c_str(), n.title().c_str(), n.body().c_str());
  }
}

}  // namespace

void AddInitOptions(CLI::App* cmd) {
  InitOptions& o = Opts().init;
  cmd->add_option("--broker", o.broker, "broker endpoint, tcp://HOST:PORT");
  cmd->add_option("--broker-key", o.broker_key, "broker public key (Z85)");
  cmd->add_option("--broker-info", o.broker_info,
                  "the broker.info file from the operator (endpoint and key), instead of --broker and --broker-key");
  cmd->add_option("--cert", o.cert_path, "office certificate (PEM)")->required();
  cmd->add_option("--key", o.key_path, "its private key (PEM)")->required();
  cmd->add_option("--ca", o.ca_path, "CA certificate to trust (default: pin the broker's)");
  cmd->add_flag("--force", o.force, "replace an existing set-up");
}

int RunInit(const Context& ctx) {
  InitOptions& o = Opts().init;
  o.home = ctx.home;
  if (!o.force && ctx.env->FileExists(o.home + "/agent.yaml")) {
    Status st = Agent::SetBroker(o, ctx.env);
    if (!st.ok()) return Fail(st);
    std::printf(J() ? "この端末は初期設定済みです。接続先を更新しました（端末の鍵はそのままです）。\n"
                      "次に `tayori-agent enrol` を実行してください。\n"
                    : "This terminal is already set up; it now connects to the broker given (its keys are "
                      "kept).\nNext, run `tayori-agent enrol`.\n");
    return 0;
  }
  Status st = Agent::Init(o, ctx.env);
  if (!st.ok()) return Fail(st);
  std::printf(J() ? "初期設定しました: %s\n次に `tayori-agent enrol` を実行してください。\n"
                  : "Set up in %s\nNext, run `tayori-agent enrol`.\n",
              port::DisplayPath(ctx.home).c_str());
  return 0;
}

void AddEnrolOptions(CLI::App* cmd) {}  // enrol takes no options

int RunEnrol(const Context& ctx) {
  auto agent = OpenAgent(ctx);
  if (!agent.ok()) return Fail(agent.status());
  auto info = (*agent)->Enrol();
  if (!info.ok()) return Fail(info.status());
  std::printf(
      J() ? "端末を登録しました: %s %s（ライセンス期限 %s）\n" : "Terminal enrolled: %s %s (licence until %s)\n",
      info->office().c_str(), info->name().c_str(), info->licence_until().c_str());
  return 0;
}

void AddLookupOptions(CLI::App* cmd) {
  cmd->add_option("office", Opts().lookup_office, "office number")->required();
  AddJsonFlag(cmd);
}

// Exit status 0 only when the office can receive now.
int RunLookup(const Context& ctx) {
  auto agent = OpenAgent(ctx);
  if (!agent.ok()) return Fail(agent.status());
  auto info = (*agent)->Lookup(Opts().lookup_office);
  if (!info.ok()) return Fail(info.status());
  const bool can = info->registered() && info->licensed() && info->enrolled();
  PrintLookup(*info, can);
  return can ? 0 : 1;
}

void AddCheckOptions(CLI::App* cmd) {
  cmd->add_option("files", Opts().check_files, "files meant to go as one send")->required();
  cmd->add_option("--to", Opts().check_to, "recipient office number, for files without standard names");
  AddJsonFlag(cmd);
}

// Works without a set-up terminal (for care software vendors); with one, the
// sender in the names must be this office. Exit status 0 only when the files
// can go as one send.
int RunCheck(const Context& ctx) {
  const Options& o = Opts();
  std::string own;
  auto agent = OpenAgent(ctx);
  if (agent.ok()) own = (*agent)->config().office;
  if (!o.check_to.empty() && !IsOfficeNumber(o.check_to)) return Fail(CheckOfficeNumber(o.check_to));
  const careplan::CheckReport report = Agent::CheckFiles(o.check_files, own, o.check_to);
  if (JsonOut()) {
    PrintCheckJson(o.check_files, report);
  } else {
    PrintCheckText(o.check_files, report);
  }
  return report.ok() ? 0 : 2;
}

void AddStatusOptions(CLI::App* cmd) { AddJsonFlag(cmd); }

int RunStatus(const Context& ctx) {
  auto agent = OpenAgent(ctx);
  if (!agent.ok()) return Fail(agent.status());
  auto home = (*agent)->Home();
  if (!home.ok()) {
    // The broker cannot be reached: that is the system status.
    if (JsonOut()) {
      PrintJson({{"system_status", "unreachable"}, {"error", Rendered(home.status())}});
    } else {
      std::printf(J() ? "システム状況: 接続できません\n" : "System status: unreachable\n");
    }
    return Fail(home.status());
  }
  if (JsonOut()) {
    PrintHomeJson(*home);
  } else {
    PrintHomeText(*home);
  }
  return 0;
}

}  // namespace tayori::agent::cli
