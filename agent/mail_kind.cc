#include "agent/mail_kind.h"

#include <string>

namespace tayori::agent {
namespace {

bool IsCsv(const std::string& name) {
  if (name.size() <= 4) return false;
  const std::string ext = name.substr(name.size() - 4);
  return ext == ".csv" || ext == ".CSV";
}

}  // namespace

MailKind MailKindOf(const pb::Manifest& manifest) {
  bool csv = false;
  for (const auto& f : manifest.files()) {
    if (!IsCsv(f.name())) continue;
    if (f.name().rfind("DLT", 0) == 0) return MailKind::kDeletion;
    csv = true;
  }
  return csv ? MailKind::kRegistration : MailKind::kOther;
}

const char* MailKindLabel(MailKind kind, Lang lang) {
  const bool ja = lang == Lang::kJa;
  switch (kind) {
    case MailKind::kRegistration:
      return ja ? "登録" : "registration";
    case MailKind::kDeletion:
      return ja ? "削除" : "deletion";
    case MailKind::kOther:
      break;
  }
  return ja ? "PDF等" : "other";
}

}  // namespace tayori::agent
