// MailKind: what a message is, as the national client's inbox shows it:
// registration (登録), deletion (削除) or other files (PDF等), decided by the
// file names in its signed manifest. Stateless; any thread may call.
#ifndef TAYORI_AGENT_MAIL_KIND_H_
#define TAYORI_AGENT_MAIL_KIND_H_

#include "common/messages.h"
#include "tayori.pb.h"

namespace tayori::agent {

enum class MailKind {
  kRegistration,  // standard CSVs (.csv or .CSV)
  kDeletion,      // at least one deletion CSV (its name starts with DLT)
  kOther,         // no CSV: PDFs, images
};

MailKind MailKindOf(const pb::Manifest& manifest);

// 登録 / 削除 / PDF等 in Japanese; registration / deletion / other in English
// (the English words are also the JSON values).
const char* MailKindLabel(MailKind kind, Lang lang);

}  // namespace tayori::agent

#endif  // TAYORI_AGENT_MAIL_KIND_H_
