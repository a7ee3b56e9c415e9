// tayori-admin: operator tooling. A test CA standing in for the national one
// (ca init|issue|revoke) and the office registry of a running broker
// (office add|list, licence renew|expire, terminal list|remove, notices,
// statistics, maintenance) over the admin channel. See README.md.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "broker/admin_client.h"
#include "broker/config.h"
#include "common/crypto/test_ca.h"
#include "common/env.h"
#include "common/ids.h"
#include "common/messages.h"

using tayori::Status;

namespace {

tayori::Lang g_lang = tayori::Lang::kJa;

int Fail(const Status& st) {
  std::fprintf(stderr, "%s\n", tayori::Render(st, g_lang).c_str());
  return st.code() == tayori::Code::kInvalidArgument ? 2 : 1;
}

void PrintOffice(const tayori::pb::OfficeInfo& o) {
  std::printf("%s  %-24s  licence until %s (%s)  %s\n", o.office().c_str(), o.name().c_str(),
              o.licence_until().c_str(), o.licensed() ? "valid" : "EXPIRED",
              o.enrolled() ? "enrolled" : "not enrolled");
}

nlohmann::json OfficeJson(const tayori::pb::OfficeInfo& o) {
  return {{"office", o.office()}, {"name", o.name()}, {"licence_until", o.licence_until()},
          {"licensed", o.licensed()}, {"enrolled", o.enrolled()}};
}

void PrintTerminals(const tayori::pb::TerminalListResponse& list, bool json) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& t : list.terminals()) {
    arr.push_back({{"terminal_id", t.terminal_id()}, {"office", t.office()}, {"user_id", t.user_id()},
                   {"cert_serial", t.cert_serial()}, {"cert_not_after", tayori::JstDate(t.cert_not_after_unix())},
                   {"enrolled", tayori::JstDateTime(t.enrolled_unix())}, {"revoked", t.revoked()}});
    if (!json) {
      std::printf("%s  %s  %s  certificate %s until %s  enrolled %s%s\n", t.terminal_id().c_str(), t.office().c_str(),
                  t.user_id().c_str(), t.cert_serial().c_str(), tayori::JstDate(t.cert_not_after_unix()).c_str(),
                  tayori::JstDateTime(t.enrolled_unix()).c_str(), t.revoked() ? "  REVOKED" : "");
    }
  }
  if (json) std::printf("%s\n", nlohmann::json{{"terminals", arr}}.dump(2).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tayori-admin: operator tooling for a tayori broker"};
  app.require_subcommand(1);
  app.fallthrough();  // --broker-dir and --lang may also follow the command
  const std::string state = tayori::DefaultStateDir();
  std::string broker_dir = state + "/broker";
  std::string lang = "ja";
  int timeout_s = 10;
  app.add_option("--broker-dir", broker_dir, "the broker's data_dir (holds broker.info, admin.key)");
  app.add_option("--lang", lang, "ja or en");
  app.add_option("--timeout", timeout_s, "seconds to wait for the broker");

  // ---- ca
  auto* ca = app.add_subcommand("ca", "test certificate authority");
  ca->require_subcommand(1);
  std::string ca_dir = state + "/ca";
  auto* ca_init = ca->add_subcommand("init", "create a CA in --dir");
  ca_init->add_option("--dir", ca_dir, "CA folder");
  auto* ca_issue = ca->add_subcommand("issue", "issue an office certificate and key");
  std::string office, user, type = "care-insurance", out_dir;
  int days = 1095;
  ca_issue->add_option("--dir", ca_dir, "CA folder");
  ca_issue->add_option("--office", office, "office number (10 digits)")->required();
  ca_issue->add_option("--user", user, "office user id (KJ + 12 digits)")->required();
  ca_issue->add_option("--type", type, "care-insurance|careplan-delegated|proxy|disability");
  ca_issue->add_option("--days", days, "validity in days (default 1095)");
  ca_issue->add_option("--out", out_dir, "folder for cert.pem and key.pem")->required();
  auto* ca_revoke = ca->add_subcommand("revoke", "revoke certificates and rewrite crl.pem");
  std::string serial, cert_file;
  ca_revoke->add_option("--dir", ca_dir, "CA folder");
  ca_revoke->add_option("--office", office, "revoke every certificate of this office");
  ca_revoke->add_option("--serial", serial, "revoke the certificate with this serial (hex)");
  ca_revoke->add_option("--cert", cert_file, "revoke this certificate (PEM file)");

  // ---- office / licence
  auto* office_cmd = app.add_subcommand("office", "office registry of the broker");
  office_cmd->require_subcommand(1);
  auto* office_add = office_cmd->add_subcommand("add", "register an office with a licence");
  std::string name, until;
  office_add->add_option("number", office, "office number (10 digits)")->required();
  office_add->add_option("--name", name, "office name")->required();
  office_add->add_option("--licence-until", until, "last day of the licence (YYYY-MM-DD); "
                                                   "default one year from today");
  auto* office_list = office_cmd->add_subcommand("list", "list registered offices");
  bool json = false;
  office_list->add_flag("--json", json, "one JSON document on stdout");
  auto* licence = app.add_subcommand("licence", "licences");
  licence->require_subcommand(1);
  auto* licence_renew = licence->add_subcommand("renew", "renew an office's licence for a year");
  licence_renew->add_option("number", office, "office number")->required();
  licence_renew->add_option("--until", until, "set the last day explicitly (YYYY-MM-DD)");
  auto* licence_expire = licence->add_subcommand("expire", "end an office's licence now (yesterday was its last day)");
  licence_expire->add_option("number", office, "office number")->required();

  auto* terminal = app.add_subcommand("terminal", "terminals (PCs) enrolled for an office");
  terminal->require_subcommand(1);
  std::string terminal_id;
  auto* terminal_list = terminal->add_subcommand("list", "list an office's terminals");
  terminal_list->add_option("number", office, "office number")->required();
  terminal_list->add_flag("--json", json, "one JSON document on stdout");
  auto* terminal_remove =
      terminal->add_subcommand("remove", "remove a terminal: its connections are refused at once");
  terminal_remove->add_option("number", office, "office number")->required();
  terminal_remove->add_option("terminal", terminal_id, "terminal id (from terminal list)")->required();
  auto* notice = app.add_subcommand("notice", "notices shown on every terminal's Home");
  notice->require_subcommand(1);
  auto* notice_post = notice->add_subcommand("post", "post a notice");
  std::string title, body, kind = "info", notice_id;
  bool all = false;
  notice_post->add_option("--title", title, "title")->required();
  notice_post->add_option("--body", body, "text");
  notice_post->add_option("--kind", kind, "info or maintenance");
  notice_post->add_option("--until", until, "last day it is shown (YYYY-MM-DD); default until withdrawn");
  auto* notice_list = notice->add_subcommand("list", "list notices");
  notice_list->add_flag("--all", all, "include withdrawn and past notices");
  notice_list->add_flag("--json", json, "one JSON document on stdout");
  auto* notice_withdraw = notice->add_subcommand("withdraw", "withdraw a notice");
  notice_withdraw->add_option("id", notice_id, "notice id (from `notice list`)")->required();

  auto* stats = app.add_subcommand("stats", "pending messages and bytes per mailbox, totals, disk use");
  stats->add_flag("--json", json, "one JSON document on stdout");
  auto* sweep = app.add_subcommand("sweep", "run retention now (expire and purge what is due)");
  auto* compact = app.add_subcommand("compact", "compact the store so deleted payloads give space back");

  CLI11_PARSE(app, argc, argv);
  auto parsed_lang = tayori::ParseLang(lang);
  if (!parsed_lang.ok()) return Fail(parsed_lang.status());
  g_lang = *parsed_lang;
  const int64_t now = tayori::Env::Default()->NowSeconds();

  if (ca_init->parsed()) {
    Status st = tayori::crypto::TestCa::Init(ca_dir, now);
    if (!st.ok()) return Fail(st);
    std::printf("CA created in %s (ca.pem, crl.pem)\n", ca_dir.c_str());
    return 0;
  }
  if (ca_issue->parsed() || ca_revoke->parsed()) {
    auto opened = tayori::crypto::TestCa::Open(ca_dir);
    if (!opened.ok()) return Fail(opened.status());
    if (ca_issue->parsed()) {
      auto t = tayori::crypto::ParseCertType(type);
      if (!t.ok()) return Fail(t.status());
      if (days < 1 || days > 3650) return Fail(tayori::InvalidArgument("usage", "--days must be 1 to 3650"));
      tayori::crypto::IssueOptions o{office, user, *t, now - 60, now + int64_t{days} * 86400};
      auto issued = opened->Issue(o);
      if (!issued.ok()) return Fail(issued.status());
      Status st = tayori::MakeDirs(out_dir, 0700);
      if (st.ok()) st = tayori::WriteFileAtomic(out_dir + "/cert.pem", issued->cert_pem);
      if (st.ok()) st = tayori::WriteFileAtomic(out_dir + "/key.pem", issued->key_pem, 0600);
      if (!st.ok()) return Fail(st);
      std::printf("issued %s certificate for %s (%s), serial %s, into %s\n", type.c_str(),
                  office.c_str(), user.c_str(), issued->serial_hex.c_str(), out_dir.c_str());
      return 0;
    }
    int count = 0;
    if (!office.empty()) {
      auto n = opened->RevokeOffice(office, now);
      if (!n.ok()) return Fail(n.status());
      count = *n;
    } else if (!serial.empty()) {
      Status st = opened->Revoke(serial, now);
      if (!st.ok()) return Fail(st);
      count = 1;
    } else if (!cert_file.empty()) {
      auto pem = tayori::ReadFile(cert_file);
      if (!pem.ok()) return Fail(pem.status());
      auto cert = tayori::crypto::Certificate::FromPem(*pem);
      if (!cert.ok()) return Fail(cert.status());
      auto info = cert->Info();
      if (!info.ok()) return Fail(info.status());
      Status st = opened->Revoke(info->serial_hex, now);
      if (!st.ok()) return Fail(st);
      count = 1;
    } else {
      return Fail(tayori::InvalidArgument("usage", "ca revoke needs --office, --serial or --cert"));
    }
    std::printf("revoked %d certificate(s); %s/crl.pem rewritten\n", count, ca_dir.c_str());
    return 0;
  }

  auto client = tayori::broker::ConnectAdmin(broker_dir, timeout_s * 1000);
  if (!client.ok()) return Fail(client.status());
  tayori::pb::Request req;
  if (office_add->parsed()) {
    req.mutable_office_add()->set_office(office);
    req.mutable_office_add()->set_name(name);
    req.mutable_office_add()->set_licence_until(until);
  } else if (licence_renew->parsed()) {
    req.mutable_licence_renew()->set_office(office);
    req.mutable_licence_renew()->set_until(until);
  } else if (licence_expire->parsed()) {
    req.mutable_licence_expire()->set_office(office);
  } else if (notice_post->parsed()) {
    req.mutable_notice_post()->set_title(title);
    req.mutable_notice_post()->set_body(body);
    req.mutable_notice_post()->set_kind(kind);
    req.mutable_notice_post()->set_until(until);
  } else if (notice_list->parsed()) {
    req.mutable_notices()->set_include_withdrawn(all);
  } else if (notice_withdraw->parsed()) {
    req.mutable_notice_withdraw()->set_id(notice_id);
  } else if (terminal_list->parsed()) {
    req.mutable_terminal_list()->set_office(office);
  } else if (terminal_remove->parsed()) {
    req.mutable_terminal_remove()->set_office(office);
    req.mutable_terminal_remove()->set_terminal_id(terminal_id);
  } else if (stats->parsed()) {
    req.mutable_stats();
  } else if (sweep->parsed() || compact->parsed()) {
    req.mutable_maintenance()->set_sweep(sweep->parsed());
    req.mutable_maintenance()->set_compact(compact->parsed());
  } else {
    req.mutable_office_list();
  }
  auto reply = (*client)->Call(req);
  if (!reply.ok()) return Fail(reply.status());
  const tayori::pb::Response& r = reply->response;
  if (office_list->parsed()) {
    if (json) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& o : r.office_list().offices()) arr.push_back(OfficeJson(o));
      std::printf("%s\n", nlohmann::json{{"offices", arr}}.dump(2).c_str());
    } else {
      for (const auto& o : r.office_list().offices()) PrintOffice(o);
    }
    return 0;
  }
  if (terminal_list->parsed() || terminal_remove->parsed()) {
    if (terminal_remove->parsed()) std::printf("removed terminal %s of %s\n", terminal_id.c_str(), office.c_str());
    PrintTerminals(r.terminal_list(), json && terminal_list->parsed());
    return 0;
  }
  if (notice_post->parsed() || notice_withdraw->parsed()) {
    const auto& n = r.notice();
    std::printf("%s notice %s (%s): %s\n", notice_post->parsed() ? "posted" : "withdrew", n.id().c_str(),
                n.kind().c_str(), n.title().c_str());
    return 0;
  }
  if (notice_list->parsed()) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& n : r.notices().notices()) {
      arr.push_back({{"id", n.id()}, {"kind", n.kind()}, {"title", n.title()}, {"body", n.body()},
                     {"posted", tayori::JstDateTime(n.posted_unix())}, {"until_unix", n.until_unix()},
                     {"withdrawn", n.withdrawn()}});
      if (!json) {
        std::printf("%s  %-11s %s  %s%s\n", n.id().c_str(), n.kind().c_str(), tayori::JstDate(n.posted_unix()).c_str(),
                    n.title().c_str(), n.withdrawn() ? "  (withdrawn)" : "");
      }
    }
    if (json) std::printf("%s\n", nlohmann::json{{"system_status", r.notices().system_status()}, {"notices", arr}}.dump(2).c_str());
    return 0;
  }
  if (stats->parsed()) {
    const auto& s = r.stats();
    auto when = [](int64_t t) { return t == 0 ? std::string("-") : tayori::JstDateTime(t); };
    if (json) {
      nlohmann::json boxes = nlohmann::json::array();
      for (const auto& b : s.mailboxes()) {
        boxes.push_back({{"office", b.office()}, {"name", b.name()}, {"pending_messages", b.pending_messages()},
                         {"pending_bytes", b.pending_bytes()}, {"oldest_pending_unix", b.oldest_pending_unix()}});
      }
      std::printf("%s\n", nlohmann::json{{"pending_messages", s.pending_messages()}, {"pending_bytes", s.pending_bytes()},
                                         {"oldest_pending_unix", s.oldest_pending_unix()},
                                         {"downloaded_messages", s.downloaded_messages()},
                                         {"expired_messages", s.expired_messages()},
                                         {"uploading_messages", s.uploading_messages()},
                                         {"disk_bytes", s.disk_bytes()}, {"retention_seconds", s.retention_seconds()},
                                         {"mailboxes", boxes}}.dump(2).c_str());
      return 0;
    }
    std::printf("pending: %llu messages, %llu bytes, oldest %s\n", (unsigned long long)s.pending_messages(),
                (unsigned long long)s.pending_bytes(), when(s.oldest_pending_unix()).c_str());
    std::printf("downloaded (lists only): %llu, expired: %llu, uploads in progress: %llu\n",
                (unsigned long long)s.downloaded_messages(), (unsigned long long)s.expired_messages(),
                (unsigned long long)s.uploading_messages());
    std::printf("disk: %llu bytes; retention %s\n", (unsigned long long)s.disk_bytes(),
                tayori::FormatDuration(s.retention_seconds()).c_str());
    for (const auto& b : s.mailboxes()) {
      std::printf("  %s  %-24s %6llu messages %12llu bytes  oldest %s\n", b.office().c_str(), b.name().c_str(),
                  (unsigned long long)b.pending_messages(), (unsigned long long)b.pending_bytes(),
                  when(b.oldest_pending_unix()).c_str());
    }
    return 0;
  }
  if (sweep->parsed() || compact->parsed()) {
    const auto& m = r.maintenance();
    std::printf("expired %llu, purged %llu; disk now %llu bytes\n", (unsigned long long)m.expired(),
                (unsigned long long)m.purged(), (unsigned long long)m.disk_bytes());
    return 0;
  }
  PrintOffice(r.office());
  return 0;
}
