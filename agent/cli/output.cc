#include "agent/cli/output.h"

#include <CLI/CLI.hpp>

#include "agent/mail_kind.h"
#include "common/env.h"
#include "common/port/port.h"

namespace tayori::agent::cli {
namespace {

// This run's output settings: set by main and by the parsed flags, then read.
struct OutputSettings {
  Lang lang = Lang::kJa;
  bool json = false;
  bool quiet = false;
  bool details = false;  // --details: technical detail lines under messages
};

OutputSettings& Settings() {
  static OutputSettings settings;
  return settings;
}

const char* StateKey(const pb::MailEntry& e) {
  switch (e.state()) {
    case pb::DOWNLOADED:
      return "downloaded";
    case pb::EXPIRED:
      return "expired";
    default:
      return "pending";
  }
}

pb::Manifest ManifestOf(const pb::MailEntry& e) {
  pb::Manifest m;
  m.ParseFromString(e.signed_().manifest());
  return m;
}

void PrintBar(const std::string& label, uint64_t done, uint64_t total) {
  const int width = 30;
  const int filled = total == 0 ? width : static_cast<int>(done * width / total);
  // Staff read percent and megabytes, not byte counts.
  const char* what = label == "upload" ? (J() ? "送信中" : "sending") : (J() ? "取得中" : "downloading");
  std::fprintf(stderr, "\r%s [%s%s] %3d%%  %.1f / %.1f MB", what, std::string(filled, '#').c_str(),
               std::string(width - filled, '.').c_str(), total == 0 ? 100 : static_cast<int>(done * 100 / total),
               static_cast<double>(done) / (1 << 20), static_cast<double>(total) / (1 << 20));
  if (done == total) std::fprintf(stderr, "\n");
}

}  // namespace

void SetLang(Lang lang) { Settings().lang = lang; }
Lang CurrentLang() { return Settings().lang; }
bool J() { return Settings().lang == Lang::kJa; }

void AddJsonFlag(CLI::App* cmd, const std::string& help) { cmd->add_flag("--json", Settings().json, help); }
void AddQuietFlag(CLI::App* cmd, const std::string& help) { cmd->add_flag("--quiet", Settings().quiet, help); }
bool JsonOut() { return Settings().json; }

// Staff see what happened and what to do; the technical detail (English,
// ids) only with --details, or for a command line that is wrong, where the
// detail names what to change.
std::string Rendered(const Status& status) {
  const Message* m = FindMessage(status.reason());
  if (Settings().details || status.reason() == "usage" || m == nullptr) return Render(status, Settings().lang);
  return J() ? m->ja : m->en;
}

void SetDetails(bool details) { Settings().details = details; }

int CommandLineError(const std::string& what, bool required) {
  const bool ja = LocaleLang() == Lang::kJa;
  if (required && what.find("subcommand") != std::string::npos) {
    std::fprintf(
        stderr, ja ? "コマンド（send, inbox, serve など）を指定してください。`tayori-agent --help` に一覧があります。\n"
                   : "Name a command (send, inbox, serve, ...). `tayori-agent --help` lists them.\n");
  } else if (required) {
    const std::string name = what.substr(0, what.find(' '));
    std::fprintf(stderr,
                 ja ? "必要な指定（%s）がありません。`tayori-agent --help` で使い方を確認してください。\n"
                    : "%s is missing. See `tayori-agent --help`.\n",
                 name.c_str());
  } else {
    std::fprintf(
        stderr,
        ja ? "コマンドの指定が正しくありません。`tayori-agent --help` で使い方を確認してください。\n  詳細: %s\n"
           : "The command line is not valid. See `tayori-agent --help`.\n  detail: %s\n",
        what.c_str());
  }
  return 2;
}

int Fail(const Status& status) {
  std::fprintf(stderr, "%s\n", Rendered(status).c_str());
  return status.code() == Code::kInvalidArgument ? 2 : 1;
}

void PrintJson(const json& j) { std::printf("%s\n", j.dump(2, ' ', false, json::error_handler_t::replace).c_str()); }
void PrintJsonLine(const json& j) {
  std::printf("%s\n", j.dump(-1, ' ', false, json::error_handler_t::replace).c_str());
}

Progress MakeProgress() {
  if (Settings().quiet || Settings().json) return nullptr;
  const bool tty = port::IsTerminal(2);
  return [tty](const std::string& label, uint64_t done, uint64_t total) {
    if (tty) {
      PrintBar(label, done, total);
    } else {
      std::fprintf(stderr, "progress %s %llu/%llu\n", label.c_str(), static_cast<unsigned long long>(done),
                   static_cast<unsigned long long>(total));
    }
    std::fflush(stderr);
  };
}

std::string When(int64_t unix_seconds) { return unix_seconds == 0 ? "" : JstDateTime(unix_seconds); }

json FindingJson(const careplan::Finding& f) {
  return {{"file", f.file},
          {"line", f.line},
          {"column", f.column},
          {"reason", careplan::CategoryReason(f.category)},
          {"message", J() ? f.ja : f.en},
          {"ja", f.ja},
          {"en", f.en}};
}

json FindingsJson(const std::vector<careplan::Finding>& findings) {
  json arr = json::array();
  for (const auto& f : findings) arr.push_back(FindingJson(f));
  return arr;
}

void PrintFindings(FILE* out, const std::vector<careplan::Finding>& findings, const char* indent) {
  for (const auto& f : findings) {
    std::fprintf(out, "%s%s\n", indent, careplan::FormatFinding(f, J()).c_str());
  }
}

json EntryJson(const pb::MailEntry& e, const std::string& message) {
  const pb::Manifest m = ManifestOf(e);
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
            {"kind", MailKindLabel(MailKindOf(m), Lang::kEn)},
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

std::string EntryState(const pb::MailEntry& e) {
  switch (e.state()) {
    case pb::DOWNLOADED:
      return (J() ? "済 " : "downloaded ") + When(e.downloaded_unix()) +
             (e.receipt().empty() ? "" : (J() ? "（受領証あり）" : " (signed receipt)"));
    case pb::EXPIRED:
      return J() ? "期限切れ（未取得のまま保存期間が過ぎました）" : "expired undownloaded";
    default:
      return (J() ? "未（" : "not downloaded (kept until ") + JstDate(e.expire_unix()) + (J() ? "まで保存）" : ")");
  }
}

std::string EntryFileList(const pb::MailEntry& e) {
  const pb::Manifest m = ManifestOf(e);
  std::string out;
  for (const auto& f : m.files()) {
    out += "      " + f.name() + " (" + std::to_string(f.size()) + " B)\n";
  }
  return out;
}

}  // namespace tayori::agent::cli
