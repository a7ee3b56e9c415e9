// tayori-admin: operator tooling. A test CA standing in for the national one
// (ca init|issue|revoke) and the office registry of a running broker
// (office add|list, licence renew|expire, terminal list|remove, notices,
// statistics, maintenance) over the admin channel. See README.md.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "broker/admin_client.h"
#include "broker/config.h"
#include "common/crypto/test_ca.h"
#include "common/env.h"
#include "common/ids.h"
#include "common/messages.h"
#include "common/version.h"

using nlohmann::json;
using tayori::Status;
namespace pb = tayori::pb;

namespace {

tayori::Lang g_lang = tayori::Lang::kJa;
// Where the tayori-broker package keeps the broker's data (its unit's
// StateDirectory).
constexpr char kSystemBrokerDir[] = "/var/lib/tayori";

int Fail(const Status& st) {
  std::fprintf(stderr, "%s\n", tayori::Render(st, g_lang).c_str());
  return st.code() == tayori::Code::kInvalidArgument ? 2 : 1;
}

// The broker of this user (started by hand), else the packaged system
// broker's (/var/lib/tayori, readable by root and the tayori user).
std::string DefaultBrokerDir() {
  const std::string own = tayori::DefaultStateDir() + "/broker";
  if (tayori::FileExists(own + "/broker.info") || !tayori::FileExists(kSystemBrokerDir + std::string("/broker.info"))) {
    return own;
  }
  return kSystemBrokerDir;
}

// Every option of every command, and the commands, as CLI11 parsed them.
struct Args {
  std::string broker_dir;  // empty: DefaultBrokerDir()
  std::string lang = "ja";
  int timeout_s = 10;
  std::string ca_dir = tayori::DefaultStateDir() + "/ca";
  std::string office, user, type = "care-insurance", out_dir, serial, cert_file;
  int days = 1095;
  std::string name, until, terminal_id, title, body, kind = "info", notice_id, backup_dir;
  bool json = false, all = false;
  CLI::App *ca_init, *ca_issue, *ca_revoke, *office_add, *office_list, *licence_renew, *licence_expire, *terminal_list,
      *terminal_remove, *notice_post, *notice_list, *notice_withdraw, *stats, *sweep, *compact, *backup;
};

void DefineCaCommands(CLI::App& app, Args* a) {
  auto* ca = app.add_subcommand("ca", "test certificate authority");
  ca->require_subcommand(1);
  a->ca_init = ca->add_subcommand("init", "create a CA in --dir");
  a->ca_init->add_option("--dir", a->ca_dir, "CA folder");
  a->ca_issue = ca->add_subcommand("issue", "issue an office certificate and key");
  a->ca_issue->add_option("--dir", a->ca_dir, "CA folder");
  a->ca_issue->add_option("--office", a->office, "office number (10 digits)")->required();
  a->ca_issue->add_option("--user", a->user, "office user id (KJ + 12 digits)")->required();
  a->ca_issue->add_option("--type", a->type, "care-insurance|careplan-delegated|proxy|disability");
  a->ca_issue->add_option("--days", a->days, "validity in days (default 1095)");
  a->ca_issue->add_option("--out", a->out_dir, "folder for cert.pem and key.pem")->required();
  a->ca_revoke = ca->add_subcommand("revoke", "revoke certificates and rewrite crl.pem");
  a->ca_revoke->add_option("--dir", a->ca_dir, "CA folder");
  a->ca_revoke->add_option("--office", a->office, "revoke every certificate of this office");
  a->ca_revoke->add_option("--serial", a->serial, "revoke the certificate with this serial (hex)");
  a->ca_revoke->add_option("--cert", a->cert_file, "revoke this certificate (PEM file)");
}

void DefineRegistryCommands(CLI::App& app, Args* a) {
  auto* office = app.add_subcommand("office", "office registry of the broker");
  office->require_subcommand(1);
  a->office_add = office->add_subcommand("add", "register an office with a licence");
  a->office_add->add_option("number", a->office, "office number (10 digits)")->required();
  a->office_add->add_option("--name", a->name, "office name")->required();
  a->office_add->add_option("--licence-until", a->until,
                            "last day of the licence (YYYY-MM-DD); default one year from today");
  a->office_list = office->add_subcommand("list", "list registered offices");
  a->office_list->add_flag("--json", a->json, "one JSON document on stdout");
  auto* licence = app.add_subcommand("licence", "licences");
  licence->require_subcommand(1);
  a->licence_renew = licence->add_subcommand("renew", "renew an office's licence for a year");
  a->licence_renew->add_option("number", a->office, "office number")->required();
  a->licence_renew->add_option("--until", a->until, "set the last day explicitly (YYYY-MM-DD)");
  a->licence_expire = licence->add_subcommand("expire", "end an office's licence now (yesterday was its last day)");
  a->licence_expire->add_option("number", a->office, "office number")->required();
  auto* terminal = app.add_subcommand("terminal", "terminals (PCs) enrolled for an office");
  terminal->require_subcommand(1);
  a->terminal_list = terminal->add_subcommand("list", "list an office's terminals");
  a->terminal_list->add_option("number", a->office, "office number")->required();
  a->terminal_list->add_flag("--json", a->json, "one JSON document on stdout");
  a->terminal_remove = terminal->add_subcommand(
      "remove", "remove a terminal: its connections are refused at once and its certificate may not enrol again");
  a->terminal_remove->add_option("number", a->office, "office number")->required();
  a->terminal_remove->add_option("terminal", a->terminal_id, "terminal id (from terminal list)")->required();
}

void DefineOperationsCommands(CLI::App& app, Args* a) {
  auto* notice = app.add_subcommand("notice", "notices shown on every terminal's Home");
  notice->require_subcommand(1);
  a->notice_post = notice->add_subcommand("post", "post a notice");
  a->notice_post->add_option("--title", a->title, "title")->required();
  a->notice_post->add_option("--body", a->body, "text");
  a->notice_post->add_option("--kind", a->kind, "info or maintenance");
  a->notice_post->add_option("--until", a->until, "last day it is shown (YYYY-MM-DD); default until withdrawn");
  a->notice_list = notice->add_subcommand("list", "list notices");
  a->notice_list->add_flag("--all", a->all, "include withdrawn and past notices");
  a->notice_list->add_flag("--json", a->json, "one JSON document on stdout");
  a->notice_withdraw = notice->add_subcommand("withdraw", "withdraw a notice");
  a->notice_withdraw->add_option("id", a->notice_id, "notice id (from `notice list`)")->required();
  a->stats = app.add_subcommand("stats", "pending messages and bytes per mailbox, totals, disk use");
  a->stats->add_flag("--json", a->json, "one JSON document on stdout");
  a->sweep = app.add_subcommand("sweep", "run retention now (expire and purge what is due)");
  a->compact = app.add_subcommand("compact", "compact the store so deleted payloads give space back");
  a->backup = app.add_subcommand(
      "backup", "copy the broker's data, consistent, while it serves, into DIR (a new folder on the broker's machine)");
  a->backup->add_option("dir", a->backup_dir, "the new folder; on the same file system as the data it takes seconds")
      ->required();
}

// ---- ca

int IssueCertificate(tayori::crypto::TestCa& ca, const Args& a, int64_t now) {
  auto t = tayori::crypto::ParseCertType(a.type);
  if (!t.ok()) return Fail(t.status());
  if (a.days < 1 || a.days > 3650) return Fail(tayori::InvalidArgument("usage", "--days must be 1 to 3650"));
  tayori::crypto::IssueOptions o{a.office, a.user, *t, now - 60, now + int64_t{a.days} * 86400};
  auto issued = ca.Issue(o);
  if (!issued.ok()) return Fail(issued.status());
  Status st = tayori::MakeDirs(a.out_dir, 0700);
  if (st.ok()) st = tayori::WriteFileAtomic(a.out_dir + "/cert.pem", issued->cert_pem);
  if (st.ok()) st = tayori::WriteFileAtomic(a.out_dir + "/key.pem", issued->key_pem, 0600);
  if (!st.ok()) return Fail(st);
  std::printf("issued %s certificate for %s (%s), serial %s, into %s\n", a.type.c_str(), a.office.c_str(),
              a.user.c_str(), issued->serial_hex.c_str(), a.out_dir.c_str());
  return 0;
}

tayori::StatusOr<int> Revoke(tayori::crypto::TestCa& ca, const Args& a, int64_t now) {
  if (!a.office.empty()) return ca.RevokeOffice(a.office, now);
  std::string serial = a.serial;
  if (serial.empty() && !a.cert_file.empty()) {
    ASSIGN_OR_RETURN(std::string pem, tayori::ReadFile(a.cert_file));
    ASSIGN_OR_RETURN(auto cert, tayori::crypto::Certificate::FromPem(pem));
    ASSIGN_OR_RETURN(auto info, cert.Info());
    serial = info.serial_hex;
  }
  if (serial.empty()) return tayori::InvalidArgument("usage", "ca revoke needs --office, --serial or --cert");
  RETURN_IF_ERROR(ca.Revoke(serial, now));
  return 1;
}

int RunCa(const Args& a) {
  const int64_t now = tayori::Env::Default()->NowSeconds();
  if (a.ca_init->parsed()) {
    Status st = tayori::crypto::TestCa::Init(a.ca_dir, now);
    if (!st.ok()) return Fail(st);
    std::printf("CA created in %s (ca.pem, crl.pem)\n", a.ca_dir.c_str());
    return 0;
  }
  auto opened = tayori::crypto::TestCa::Open(a.ca_dir);
  if (!opened.ok()) return Fail(opened.status());
  if (a.ca_issue->parsed()) return IssueCertificate(*opened, a, now);
  auto count = Revoke(*opened, a, now);
  if (!count.ok()) return Fail(count.status());
  std::printf("revoked %d certificate(s); %s/crl.pem rewritten\n", *count, a.ca_dir.c_str());
  return 0;
}

// ---- the broker's registry and operations

pb::Request RegistryRequest(const Args& a) {
  pb::Request req;
  if (a.office_add->parsed()) {
    req.mutable_office_add()->set_office(a.office);
    req.mutable_office_add()->set_name(a.name);
    req.mutable_office_add()->set_licence_until(a.until);
  } else if (a.licence_renew->parsed()) {
    req.mutable_licence_renew()->set_office(a.office);
    req.mutable_licence_renew()->set_until(a.until);
  } else if (a.licence_expire->parsed()) {
    req.mutable_licence_expire()->set_office(a.office);
  } else if (a.terminal_list->parsed()) {
    req.mutable_terminal_list()->set_office(a.office);
  } else if (a.terminal_remove->parsed()) {
    req.mutable_terminal_remove()->set_office(a.office);
    req.mutable_terminal_remove()->set_terminal_id(a.terminal_id);
  } else if (a.notice_post->parsed()) {
    req.mutable_notice_post()->set_title(a.title);
    req.mutable_notice_post()->set_body(a.body);
    req.mutable_notice_post()->set_kind(a.kind);
    req.mutable_notice_post()->set_until(a.until);
  } else if (a.notice_list->parsed()) {
    req.mutable_notices()->set_include_withdrawn(a.all);
  } else if (a.notice_withdraw->parsed()) {
    req.mutable_notice_withdraw()->set_id(a.notice_id);
  } else if (a.stats->parsed()) {
    req.mutable_stats();
  } else if (a.backup->parsed()) {
    std::error_code ec;
    const std::filesystem::path dir = std::filesystem::absolute(a.backup_dir, ec);
    req.mutable_backup()->set_dir(ec ? a.backup_dir : dir.lexically_normal().string());
  } else if (a.sweep->parsed() || a.compact->parsed()) {
    req.mutable_maintenance()->set_sweep(a.sweep->parsed());
    req.mutable_maintenance()->set_compact(a.compact->parsed());
  } else {
    req.mutable_office_list();
  }
  return req;
}

void PrintOffice(const pb::OfficeInfo& o) {
  std::printf("%s  %-24s  licence until %s (%s)  %s\n", o.office().c_str(), o.name().c_str(), o.licence_until().c_str(),
              o.licensed() ? "valid" : "EXPIRED", o.enrolled() ? "enrolled" : "not enrolled");
}

void PrintOffices(const pb::OfficeListResponse& list, bool as_json) {
  json arr = json::array();
  for (const auto& o : list.offices()) {
    arr.push_back({{"office", o.office()},
                   {"name", o.name()},
                   {"licence_until", o.licence_until()},
                   {"licensed", o.licensed()},
                   {"enrolled", o.enrolled()}});
    if (!as_json) PrintOffice(o);
  }
  if (as_json) std::printf("%s\n", json{{"offices", arr}}.dump(2).c_str());
}

void PrintTerminals(const pb::TerminalListResponse& list, bool as_json) {
  json arr = json::array();
  for (const auto& t : list.terminals()) {
    arr.push_back({{"terminal_id", t.terminal_id()},
                   {"office", t.office()},
                   {"user_id", t.user_id()},
                   {"cert_serial", t.cert_serial()},
                   {"cert_not_after", tayori::JstDate(t.cert_not_after_unix())},
                   {"enrolled", tayori::JstDateTime(t.enrolled_unix())},
                   {"revoked", t.revoked()}});
    if (!as_json) {
      std::printf("%s  %s  %s  certificate %s until %s  enrolled %s%s\n", t.terminal_id().c_str(), t.office().c_str(),
                  t.user_id().c_str(), t.cert_serial().c_str(), tayori::JstDate(t.cert_not_after_unix()).c_str(),
                  tayori::JstDateTime(t.enrolled_unix()).c_str(), t.revoked() ? "  REVOKED" : "");
    }
  }
  if (as_json) std::printf("%s\n", json{{"terminals", arr}}.dump(2).c_str());
}

void PrintNotices(const pb::NoticesResponse& notices, bool as_json) {
  json arr = json::array();
  for (const auto& n : notices.notices()) {
    arr.push_back({{"id", n.id()},
                   {"kind", n.kind()},
                   {"title", n.title()},
                   {"body", n.body()},
                   {"posted", tayori::JstDateTime(n.posted_unix())},
                   {"until_unix", n.until_unix()},
                   {"withdrawn", n.withdrawn()}});
    if (!as_json) {
      std::printf("%s  %-11s %s  %s%s\n", n.id().c_str(), n.kind().c_str(), tayori::JstDate(n.posted_unix()).c_str(),
                  n.title().c_str(), n.withdrawn() ? "  (withdrawn)" : "");
    }
  }
  if (as_json) std::printf("%s\n", json{{"system_status", notices.system_status()}, {"notices", arr}}.dump(2).c_str());
}

void PrintStats(const pb::StatsResponse& s, bool as_json) {
  auto when = [](int64_t t) { return t == 0 ? std::string("-") : tayori::JstDateTime(t); };
  auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  if (as_json) {
    json boxes = json::array();
    for (const auto& b : s.mailboxes()) {
      boxes.push_back({{"office", b.office()},
                       {"name", b.name()},
                       {"pending_messages", b.pending_messages()},
                       {"pending_bytes", b.pending_bytes()},
                       {"oldest_pending_unix", b.oldest_pending_unix()}});
    }
    std::printf("%s\n", json{{"pending_messages", s.pending_messages()},
                             {"pending_bytes", s.pending_bytes()},
                             {"oldest_pending_unix", s.oldest_pending_unix()},
                             {"downloaded_messages", s.downloaded_messages()},
                             {"expired_messages", s.expired_messages()},
                             {"uploading_messages", s.uploading_messages()},
                             {"disk_bytes", s.disk_bytes()},
                             {"retention_seconds", s.retention_seconds()},
                             {"mailboxes", boxes}}
                            .dump(2)
                            .c_str());
    return;
  }
  std::printf("pending: %llu messages, %llu bytes, oldest %s\n", u(s.pending_messages()), u(s.pending_bytes()),
              when(s.oldest_pending_unix()).c_str());
  std::printf("downloaded (lists only): %llu, expired: %llu, uploads in progress: %llu\n", u(s.downloaded_messages()),
              u(s.expired_messages()), u(s.uploading_messages()));
  std::printf("disk: %llu bytes; retention %s\n", u(s.disk_bytes()),
              tayori::FormatDuration(s.retention_seconds()).c_str());
  for (const auto& b : s.mailboxes()) {
    std::printf("  %s  %-24s %6llu messages %12llu bytes  oldest %s\n", b.office().c_str(), b.name().c_str(),
                u(b.pending_messages()), u(b.pending_bytes()), when(b.oldest_pending_unix()).c_str());
  }
}

int PrintReply(const Args& a, const pb::Response& r) {
  if (a.office_list->parsed()) {
    PrintOffices(r.office_list(), a.json);
  } else if (a.terminal_list->parsed() || a.terminal_remove->parsed()) {
    if (a.terminal_remove->parsed())
      std::printf("removed terminal %s of %s\n", a.terminal_id.c_str(), a.office.c_str());
    PrintTerminals(r.terminal_list(), a.json && a.terminal_list->parsed());
  } else if (a.notice_post->parsed() || a.notice_withdraw->parsed()) {
    const auto& n = r.notice();
    std::printf("%s notice %s (%s): %s\n", a.notice_post->parsed() ? "posted" : "withdrew", n.id().c_str(),
                n.kind().c_str(), n.title().c_str());
  } else if (a.notice_list->parsed()) {
    PrintNotices(r.notices(), a.json);
  } else if (a.stats->parsed()) {
    PrintStats(r.stats(), a.json);
  } else if (a.backup->parsed()) {
    std::printf("backup in %s (%llu bytes): a whole data_dir; to restore, stop the broker and use it as data_dir\n",
                r.backup().dir().c_str(), (unsigned long long)r.backup().bytes());
  } else if (a.sweep->parsed() || a.compact->parsed()) {
    const auto& m = r.maintenance();
    std::printf("expired %llu, purged %llu; disk now %llu bytes\n", (unsigned long long)m.expired(),
                (unsigned long long)m.purged(), (unsigned long long)m.disk_bytes());
  } else {
    PrintOffice(r.office());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tayori-admin: operator tooling for a tayori broker"};
  app.require_subcommand(1);
  app.fallthrough();  // --broker-dir and --lang may also follow the command
  Args a;
  app.add_option("--broker-dir", a.broker_dir,
                 "the broker's data_dir (holds broker.info, admin.key); default: ~/.local/state/tayori/broker if a "
                 "broker runs there, else /var/lib/tayori (the packaged broker)");
  app.add_option("--lang", a.lang, "ja or en");
  app.add_option("--timeout", a.timeout_s, "seconds to wait for the broker");
  app.set_version_flag("--version", std::string("tayori-admin ") + tayori::kVersion);
  DefineCaCommands(app, &a);
  DefineRegistryCommands(app, &a);
  DefineOperationsCommands(app, &a);
  CLI11_PARSE(app, argc, argv);
  auto lang = tayori::ParseLang(a.lang);
  if (!lang.ok()) return Fail(lang.status());
  g_lang = *lang;
  if (a.ca_init->parsed() || a.ca_issue->parsed() || a.ca_revoke->parsed()) return RunCa(a);
  if (a.broker_dir.empty()) a.broker_dir = DefaultBrokerDir();
  auto client = tayori::broker::ConnectAdmin(a.broker_dir, a.timeout_s * 1000);
  if (!client.ok()) return Fail(client.status());
  auto reply = (*client)->Call(RegistryRequest(a));
  if (!reply.ok()) return Fail(reply.status());
  return PrintReply(a, reply->response);
}
