#include "agent/findings.h"

namespace tayori::agent {

pb::Problem ProblemToProto(const careplan::Finding& f) {
  pb::Problem p;
  p.set_file(f.file);
  p.set_line(f.line);
  p.set_column(f.column);
  p.set_reason(careplan::CategoryReason(f.category));
  p.set_ja(f.ja);
  p.set_en(f.en);
  return p;
}

careplan::Finding ProblemFromProto(const pb::Problem& p) {
  careplan::Finding f;
  f.file = p.file();
  f.line = p.line();
  f.column = p.column();
  f.ja = p.ja();
  f.en = p.en();
  for (auto c : {careplan::Category::kName, careplan::Category::kCombination, careplan::Category::kFormat,
                 careplan::Category::kFileType, careplan::Category::kArchive, careplan::Category::kLimit,
                 careplan::Category::kParty}) {
    if (p.reason() == careplan::CategoryReason(c)) f.category = c;
  }
  return f;
}

std::vector<careplan::Finding> ReceivedProblems(const pb::Manifest& m, const std::vector<std::string>& paths) {
  std::vector<careplan::FileToCheck> files;
  for (int i = 0; i < m.files_size(); ++i) {
    files.push_back({m.files(i).name(), paths.empty() ? "" : paths[static_cast<size_t>(i)], m.files(i).size()});
  }
  careplan::CheckOptions o;
  o.own_office = m.sender_office();
  o.to = m.recipient_office();
  o.content = !paths.empty();
  return careplan::CheckSend(careplan::Rules::Standard(), files, o).findings;
}

Status FindingsStatus(const careplan::CheckReport& report) {
  std::string detail;
  for (const auto& f : report.findings) detail += (detail.empty() ? "" : "\n  ") + careplan::FormatFinding(f, false);
  return InvalidArgument(careplan::CategoryReason(report.findings[0].category), detail);
}

}  // namespace tayori::agent
