#include "agent/handoff/exporter.h"

#include <algorithm>

#include "agent/bulk.h"
#include "common/careplan/rules.h"
#include "common/ids.h"
#include "common/messages.h"
#include "common/reasons.h"

namespace tayori::agent::handoff {
namespace {

constexpr int kRecordMode = 0600;

// Whether a failed send may succeed later as it is (the broker away, this
// terminal's certificate being fixed) rather than needing its files changed.
bool MayPass(const Status& st) {
  switch (st.code()) {
    case Code::kUnavailable:
    case Code::kDeadlineExceeded:
    case Code::kPermissionDenied:
    case Code::kUnauthenticated:
    case Code::kIoError:
    case Code::kInternal:
      return true;
    default:
      return false;
  }
}

// What staff read in the .txt for ST: the catalogue's Japanese, no codes.
std::string StaffText(const Status& st) {
  const Message* m = FindMessage(st.reason());
  return m != nullptr ? m->ja : "送信できませんでした。ファイルを確認し、もう一度このフォルダに置いてください。";
}

}  // namespace

Exporter::Exporter(std::string home, AgentConfig::Handoff config, Env* env)
    : journal_dir_(std::move(home) + "/handoff"), config_(std::move(config)), env_(env) {}

std::string Exporter::RecordPath(const std::string& send_id) const { return journal_dir_ + "/" + send_id + ".pb"; }

Status Exporter::Pass(Agent* agent) {
  Status st = PassOnce(agent);
  counts_.waiting = static_cast<int>(seen_.size());            // what is left after this pass
  if (st.reason() != "handoff_folder_missing") CountErrors();  // else as last seen
  return st;
}

Status Exporter::PassOnce(Agent* agent) {
  // A folder that is missing (not made yet, a network drive unplugged) is
  // said on ホーム and in the log, and looked for again at the next pass.
  if (!env_->FileExists(config_.export_dir) || env_->IsRegularFile(config_.export_dir)) {
    counts_.last_problem =
        "介護ソフトの出力先フォルダ（" + config_.export_dir +
        "）が見つかりません。フォルダを作るか、設定（agent.yaml の handoff.export_dir）を直してください。";
    return FailedPrecondition("handoff_folder_missing", config_.export_dir + " is not a folder");
  }
  if (counts_.last_problem.find(config_.export_dir) != std::string::npos) counts_.last_problem.clear();
  RETURN_IF_ERROR(env_->CreateDirs(journal_dir_, 0700));
  // Sends begun before (a crash, the broker away) come first.
  std::set<std::string> claimed;
  Status first;
  for (const std::string& name : env_->GetChildren(journal_dir_)) {
    if (name.size() != 29 || name.compare(26, 3, ".pb") != 0) continue;  // temporaries of a crash
    ASSIGN_OR_RETURN(std::string bytes, env_->ReadFile(journal_dir_ + "/" + name));
    pb::HandoffSend rec;
    if (!rec.ParseFromString(bytes)) {
      return Status(Code::kDataLoss, "local_record_corrupt", "corrupt hand-off record " + name);
    }
    for (const auto& p : rec.paths()) claimed.insert(p);
    Status st = Finish(agent, rec);
    if (!st.ok() && first.ok()) first = st;
  }
  if (!first.ok()) return first;  // in order: nothing new before these went
  const std::vector<std::string> ready = Ready(claimed);
  // Only standard CSVs can be addressed by their names.
  const careplan::Rules& rules = careplan::Rules::Standard();
  std::vector<std::string> csvs;
  for (const std::string& path : ready) {
    const std::string name = BaseName(path);
    if (!careplan::IsCsvName(name)) {
      Refuse({path}, {"このフォルダから送れるのは、介護ソフトが出力した標準仕様のCSVファイルだけです。",
                      "PDFなどは、画面の「新規作成」で送信先の事業所番号を指定して送信してください。"});
      continue;
    }
    careplan::NameCheck n = rules.ParseName(name);
    if (!n.ok) {
      Refuse({path}, {careplan::FormatFinding(n.problem, true),
                      "介護ソフトから出力し直したファイルを、もう一度このフォルダに置いてください。"});
      continue;
    }
    csvs.push_back(path);
  }
  if (csvs.empty()) return Status::Ok();
  // A unit goes only when none of its files (same recipient and export
  // time stamp) is still being written.
  std::set<std::pair<std::string, std::string>> writing;
  for (const auto& [path, seen] : seen_) {
    if (std::find(ready.begin(), ready.end(), path) != ready.end()) continue;
    careplan::NameCheck n = rules.ParseName(BaseName(path));
    if (n.ok) writing.insert({n.name.recipient, n.name.stamp});
  }
  ASSIGN_OR_RETURN(std::vector<BulkGroup> groups, GroupBulkFiles(csvs, BulkOptions()));
  for (const BulkGroup& g : groups) {
    careplan::NameCheck n = rules.ParseName(BaseName(g.files.front()));
    if (writing.count({n.name.recipient, n.name.stamp})) continue;
    RETURN_IF_ERROR(SendGroup(agent, g.files, agent->config().office));
  }
  return Status::Ok();
}

std::vector<std::string> Exporter::Ready(const std::set<std::string>& claimed) {
  const int64_t now = env_->MonotonicMillis();
  std::map<std::string, Seen> still;
  std::vector<std::string> ready;
  for (const std::string& name : env_->GetChildren(config_.export_dir)) {
    const std::string path = config_.export_dir + "/" + name;
    if (name[0] == '.' || !env_->IsRegularFile(path) || claimed.count(path)) continue;
    auto size = env_->GetFileSize(path);
    auto mtime = env_->GetFileModificationNanos(path);
    if (!size.ok() || !mtime.ok()) continue;  // gone meanwhile
    Seen s;
    auto it = seen_.find(path);
    if (it != seen_.end()) s = it->second;
    if (it == seen_.end()) s.first_seen = now;
    if (it == seen_.end() || s.size != *size || s.mtime != *mtime) {
      s.size = *size;
      s.mtime = *mtime;
      s.stable_since = now;  // still being written
    }
    still[path] = s;
    if (now - s.stable_since >= config_.quiet_s * 1000LL) ready.push_back(path);
  }
  seen_ = std::move(still);
  return ready;
}

Status Exporter::SendGroup(Agent* agent, const std::vector<std::string>& files, const std::string& office) {
  CheckedFiles checked{Agent::StampFiles(files, env_), ""};
  const careplan::CheckReport report = Agent::CheckFiles(files, office, "", env_);
  if (!report.ok()) {
    // A unit still missing a file waits for it, up to unit_wait_s.
    const bool only_missing = std::all_of(report.findings.begin(), report.findings.end(),
                                          [](const auto& f) { return f.category == careplan::Category::kCombination; });
    int64_t newest = 0;
    for (const std::string& f : files) newest = std::max(newest, seen_[f].first_seen);
    if (only_missing && env_->MonotonicMillis() - newest < config_.unit_wait_s * 1000LL) return Status::Ok();
    std::vector<std::string> lines;
    for (const careplan::Finding& f : report.findings) lines.push_back(careplan::FormatFinding(f, true));
    lines.push_back("直したファイル一式を、もう一度このフォルダに置いてください。");
    Refuse(files, lines);
    return Status::Ok();
  }
  pb::HandoffSend rec;
  rec.set_send_id(NewId(env_->NowMillis()));
  for (const std::string& f : files) rec.add_paths(f);
  rec.set_recipient(report.recipient);
  rec.set_created_unix(env_->NowSeconds());
  // Recorded before it begins: a crash from here on resumes this very send.
  RETURN_IF_ERROR(env_->WriteFileAtomic(RecordPath(rec.send_id()), rec.SerializeAsString(), kRecordMode));
  checked.recipient = report.recipient;
  return Finish(agent, rec, std::move(checked));
}

Status Exporter::Finish(Agent* agent, pb::HandoffSend rec, std::optional<CheckedFiles> checked) {
  std::vector<std::string> paths(rec.paths().begin(), rec.paths().end());
  if (!rec.accepted()) {
    SendOptions o;
    o.files = paths;
    o.send_id = rec.send_id();
    o.checked = std::move(checked);
    auto sent = agent->Send(o, nullptr);
    if (!sent.ok() && sent.status().reason() == reason::kResumeChanged) {
      // The interrupted send cannot go on under its key (docs/protocol.md):
      // the files go as a new send, under a new id, on the next pass.
      const std::string old_id = rec.send_id();
      rec.set_send_id(NewId(env_->NowMillis()));
      RETURN_IF_ERROR(env_->WriteFileAtomic(RecordPath(rec.send_id()), rec.SerializeAsString(), kRecordMode));
      RETURN_IF_ERROR(env_->RemoveFile(RecordPath(old_id)));
      counts_.last_problem = StaffText(sent.status());
      return sent.status();
    }
    if (!sent.ok()) {
      if (MayPass(sent.status())) {
        counts_.last_problem = StaffText(sent.status());
        return sent.status();
      }
      std::vector<std::string> lines = {StaffText(sent.status())};
      for (const careplan::Finding& f : Agent::CheckFiles(paths, agent->config().office, "", env_).findings) {
        lines.push_back(careplan::FormatFinding(f, true));
      }
      Refuse(paths, lines);
      return env_->RemoveFile(RecordPath(rec.send_id()));
    }
    rec.set_accepted(true);
    rec.set_message_id(sent->message_id);
    RETURN_IF_ERROR(env_->WriteFileAtomic(RecordPath(rec.send_id()), rec.SerializeAsString(), kRecordMode));
    ++counts_.sent;
  }
  counts_.last_problem.clear();
  counts_.last_activity = env_->NowSeconds();
  RETURN_IF_ERROR(MoveInto(kSentFolder, paths));
  return env_->RemoveFile(RecordPath(rec.send_id()));
}

void Exporter::CountErrors() {
  counts_.errors = 0;
  for (const std::string& name : env_->GetChildren(config_.export_dir + "/" + kErrorFolder)) {
    if (name.size() < 4 || name.compare(name.size() - 4, 4, ".txt") != 0) ++counts_.errors;
  }
}

Status Exporter::MoveInto(const std::string& folder, const std::vector<std::string>& files) {
  const std::string dir = config_.export_dir + "/" + folder;
  RETURN_IF_ERROR(env_->CreateDirs(dir, 0755));
  for (const std::string& f : files) {
    if (!env_->FileExists(f)) continue;  // moved before a crash
    RETURN_IF_ERROR(env_->RenameFile(f, UniquePath(env_, dir, BaseName(f))));
    seen_.erase(f);
  }
  RETURN_IF_ERROR(env_->SyncDir(dir));
  return env_->SyncDir(config_.export_dir);
}

void Exporter::Refuse(const std::vector<std::string>& files, const std::vector<std::string>& lines) {
  std::string text = "次のファイルは送信しませんでした（" + JstDateTime(env_->NowSeconds()) + "）。\n\n";
  for (const std::string& f : files) text += "  " + BaseName(f) + "\n";
  text += "\n理由と対処:\n";
  for (const std::string& line : lines) text += "- " + line + "\n";
  const std::string dir = config_.export_dir + "/" + kErrorFolder;
  if (!env_->CreateDirs(dir, 0755).ok()) return;
  for (const std::string& f : files) {
    const std::string name = BaseName(f);
    const std::string target = UniquePath(env_, dir, name);
    const std::string moved = BaseName(target);
    const size_t dot = moved.find_last_of('.');
    const std::string note = UniquePath(env_, dir, (dot == std::string::npos ? moved : moved.substr(0, dot)) + ".txt");
    // The reason first, then the file: a crash between leaves the file to
    // be looked at again, never a file without its reason.
    if (!env_->WriteFileAtomic(note, text).ok() || !env_->RenameFile(f, target).ok()) continue;
    seen_.erase(f);
  }
  (void)env_->SyncDir(dir);
  (void)env_->SyncDir(config_.export_dir);
  counts_.last_activity = env_->NowSeconds();
}

}  // namespace tayori::agent::handoff
