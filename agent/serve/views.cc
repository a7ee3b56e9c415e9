#include "agent/serve/views.h"

#include "agent/mail_kind.h"
#include "common/careplan/rules.h"
#include "common/env.h"
#include "common/ids.h"
#include "common/messages.h"
#include "common/version.h"

namespace tayori::agent::serve {
namespace {

std::string When(int64_t t) { return t == 0 ? "" : JstDateTime(t); }

pb::Manifest ManifestOf(const pb::MailEntry& e) {
  pb::Manifest m;
  if (!m.ParseFromString(e.signed_().manifest())) m.Clear();  // shown with no files; fetch refuses it
  return m;
}

const char* StateName(pb::MessageState s) {
  switch (s) {
    case pb::DOWNLOADED:
      return "downloaded";
    case pb::EXPIRED:
      return "expired";
    default:
      return "pending";
  }
}

// 登録 / 削除 / PDF等 for one file, as the national client labels them.
const char* FileKind(const std::string& name) {
  if (!careplan::IsCsvName(name)) return "other";
  return name.rfind("DLT", 0) == 0 ? "deletion" : "registration";
}

int DaysLeft(int64_t until_unix, int64_t now) { return static_cast<int>(JstDay(until_unix) - JstDay(now)); }

}  // namespace

json ErrorJson(const Status& st) {
  const Message* m = FindMessage(st.reason());
  return {{"error",
           {{"reason", st.reason()},
            {"ja", m != nullptr ? m->ja : "処理できませんでした。しばらくしてから、もう一度お試しください。"},
            {"en", m != nullptr ? m->en : "This could not be done. Try again in a while."},
            {"detail", st.detail()}}}};
}

int HttpStatus(const Status& st) {
  switch (st.code()) {
    case Code::kInvalidArgument:
      return 400;
    case Code::kUnauthenticated:
      return 401;
    case Code::kPermissionDenied:
      return 403;
    case Code::kNotFound:
      return 404;
    case Code::kAlreadyExists:
    case Code::kFailedPrecondition:
      return 409;
    case Code::kUnavailable:
    case Code::kDeadlineExceeded:
      return 503;
    default:
      return 500;
  }
}

json FindingJson(const careplan::Finding& f) {
  return {{"file", f.file}, {"line", f.line}, {"column", f.column}, {"reason", careplan::CategoryReason(f.category)},
          {"ja", f.ja},     {"en", f.en}};
}

json FindingsJson(const std::vector<careplan::Finding>& findings) {
  json out = json::array();
  for (const auto& f : findings) out.push_back(FindingJson(f));
  return out;
}

json FilesJson(const pb::Manifest& m) {
  json files = json::array();
  for (const auto& f : m.files())
    files.push_back({{"name", f.name()}, {"size", f.size()}, {"kind", FileKind(f.name())}});
  return files;
}

json InboxItemJson(const InboxItem& item) {
  const pb::MailEntry& e = item.entry;
  const pb::Manifest m = ManifestOf(e);
  return {{"id", e.message_id()},
          {"accepted", When(e.accepted_unix())},
          {"accepted_unix", e.accepted_unix()},
          {"sender_office", e.sender_office()},
          {"sender_name", e.sender_name()},
          {"message", item.message},
          {"kind", MailKindLabel(MailKindOf(m), Lang::kEn)},
          {"state", StateName(e.state())},
          {"new", e.state() == pb::DELIVERED},
          {"downloaded", When(e.downloaded_unix())},
          {"kept_until", JstDate(e.expire_unix())},
          {"files", FilesJson(m)},
          {"problems", FindingsJson(item.problems)}};
}

json SentItemJson(const SentItem& item) {
  const pb::MailEntry& e = item.entry;
  const pb::Manifest m = ManifestOf(e);
  return {{"id", e.message_id()},
          {"accepted", When(e.accepted_unix())},
          {"accepted_unix", e.accepted_unix()},
          {"recipient_office", e.recipient_office()},
          {"recipient_name", e.recipient_name()},
          {"message", item.message},
          {"kind", MailKindLabel(MailKindOf(m), Lang::kEn)},
          {"state", StateName(e.state())},
          {"kept_until", JstDate(e.expire_unix())},
          {"downloaded", When(e.downloaded_unix())},
          {"receipt", !e.receipt().empty()},
          {"files", FilesJson(m)}};
}

json ReceiptJson(const ReceiptInfo& r) {
  const pb::Manifest m = ManifestOf(r.entry);
  json files = json::array();
  for (int i = 0; i < m.files_size() && i < r.receipt.file_sha256_size(); ++i) {
    files.push_back({{"name", m.files(i).name()}, {"sha256", ToHex(r.receipt.file_sha256(i))}});
  }
  return {{"verified", true},
          {"id", r.entry.message_id()},
          {"recipient_office", r.receipt.recipient_office()},
          {"recipient_name", r.entry.recipient_name()},
          {"user_id", r.signer.user_id},
          {"certificate_serial", r.signer.serial_hex},
          {"downloaded", When(r.receipt.downloaded_unix())},
          {"files", files}};
}

json OfficeJson(const pb::OfficeInfo& info) {
  return {{"office", info.office()},
          {"registered", info.registered()},
          {"name", info.name()},
          {"licensed", info.licensed()},
          {"enrolled", info.enrolled()},
          {"licence_until", info.licence_until()},
          {"can_receive", info.registered() && info.licensed() && info.enrolled()}};
}

json HomeJson(const HomeStatus& home, int64_t now, int unread) {
  json notices = json::array();
  for (const auto& n : home.notices.notices()) {
    notices.push_back({{"id", n.id()},
                       {"kind", n.kind()},
                       {"title", n.title()},
                       {"body", n.body()},
                       {"posted", JstDate(n.posted_unix())}});
  }
  int licence_days = 0;
  auto day = ParseDate(home.office.licence_until());
  if (day.ok()) licence_days = static_cast<int>(*day - JstDay(now));
  return {{"system_status", home.notices.system_status()},
          {"notices", notices},
          {"office", home.office.office()},
          {"name", home.office.name()},
          {"licensed", home.office.licensed()},
          {"licence_until", home.office.licence_until()},
          {"licence_days_left", licence_days},
          {"certificate_until", JstDate(home.certificate.not_after)},
          {"certificate_days_left", DaysLeft(home.certificate.not_after, now)},
          {"unread", unread},
          {"certificate_problem", home.terminal.ok() ? json() : ErrorJson(home.terminal)["error"]},
          {"version", kVersion},
          {"help",
           "使い方は README.md "
           "の「職員の方へ」をご覧ください。困ったときは事業所の管理者か、介護ソフトの販売元にお問い合わせください。"},
          {"help_en",
           "See \"For office staff\" in README.md. For help, ask your office's administrator or your care software "
           "vendor."}};
}

json CheckJson(const std::vector<std::string>& paths, const careplan::CheckReport& report) {
  const careplan::Rules& rules = careplan::Rules::Standard();
  json files = json::array();
  for (const std::string& path : paths) {
    const std::string name = BaseName(path);
    json entry = {{"name", name}, {"kind", FileKind(name)}, {"title", ""}, {"title_en", ""}};
    if (careplan::IsCsvName(name)) {
      careplan::NameCheck n = rules.ParseName(name);
      if (n.ok) entry["title"] = n.name.kind->title, entry["title_en"] = n.name.kind->title_en;
    }
    std::vector<careplan::Finding> own;
    for (const auto& f : report.findings) {
      if (f.file == name) own.push_back(f);
    }
    entry["ok"] = own.empty();
    entry["problems"] = FindingsJson(own);
    files.push_back(entry);
  }
  std::vector<careplan::Finding> send;
  for (const auto& f : report.findings) {
    if (f.file.empty()) send.push_back(f);
  }
  return {{"ok", report.ok()},
          {"recipient", report.recipient},
          {"unit", report.unit ? report.unit->title : ""},
          {"unit_en", report.unit ? report.unit->title_en : ""},
          {"files", files},
          {"problems", FindingsJson(send)},
          {"warnings", FindingsJson(report.warnings)}};
}

json BulkGroupJson(size_t index, const BulkGroup& g) {
  std::string stamp;
  json files = json::array();
  for (const std::string& path : g.files) {
    const std::string name = BaseName(path);
    files.push_back(name);
    careplan::NameCheck n = careplan::Rules::Standard().ParseName(name);
    if (n.ok && stamp.empty()) stamp = n.name.stamp;
  }
  json j = {{"index", index},
            {"to", g.recipient},
            {"name", g.recipient_name},
            {"unit", g.unit},
            {"exported", stamp.size() == 14 ? stamp.substr(0, 4) + "-" + stamp.substr(4, 2) + "-" + stamp.substr(6, 2) +
                                                  " " + stamp.substr(8, 2) + ":" + stamp.substr(10, 2)
                                            : ""},
            {"files", files},
            {"message", g.message},
            {"problems", FindingsJson(g.problems)},
            {"already_sent", g.already_sent},
            {"state", BulkStateName(g.state)},
            {"done", g.done},
            {"total", g.total}};
  if (!g.message_id.empty()) j["id"] = g.message_id;
  if (!g.error.ok()) j["error"] = ErrorJson(g.error)["error"];
  return j;
}

json DraftJson(const pb::Draft& d, const careplan::CheckReport& report) {
  json files = json::array();
  for (const auto& p : d.paths()) files.push_back(BaseName(p));
  return {{"id", d.id()},
          {"to", d.to().empty() ? report.recipient : d.to()},
          {"message", d.message()},
          {"files", files},
          {"updated", When(d.updated_unix())},
          {"ready", report.ok()},
          {"bulk", !d.bulk_id().empty()},
          {"last_error", d.last_error()},
          {"problems", FindingsJson(report.findings)}};
}

json EventJson(const pb::Event& e) {
  return {{"kind", e.kind()}, {"id", e.message_id()},    {"office", e.office()},
          {"name", e.name()}, {"at", When(e.at_unix())}, {"files", e.files()}};
}

json HandoffJson(const handoff::HandoffState& h) {
  const auto when = [](int64_t t) { return t > 0 ? JstDateTime(t) : std::string(); };
  return {{"export_dir", h.export_dir},
          {"import_dir", h.import_dir},
          {"waiting", h.exported.waiting},
          {"errors", h.exported.errors},
          {"sent", h.exported.sent},
          {"received", h.imported.received},
          {"last_export", when(h.exported.last_activity)},
          {"last_import", when(h.imported.last_activity)},
          {"problem", !h.exported.last_problem.empty() ? h.exported.last_problem : h.imported.last_problem}};
}

}  // namespace tayori::agent::serve
