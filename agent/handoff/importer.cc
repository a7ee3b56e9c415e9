#include "agent/handoff/importer.h"

#include "agent/local_store.h"
#include "agent/mail_kind.h"
#include "common/messages.h"
#include "common/reasons.h"

namespace tayori::agent::handoff {
namespace {

const char* KindKey(MailKind kind) {
  switch (kind) {
    case MailKind::kRegistration:
      return "registration";
    case MailKind::kDeletion:
      return "deletion";
    case MailKind::kOther:
      return "other";
  }
  return "other";
}

}  // namespace

Status Importer::Pass(Agent* agent) {
  RETURN_IF_ERROR(env_->CreateDirs(config_.import_dir, 0755));
  auto inbox = agent->Inbox();
  if (!inbox.ok()) {
    const Message* m = FindMessage(inbox.status().reason());
    counts_.last_problem = m != nullptr ? m->ja : "受信一覧を取得できませんでした。";
    return inbox.status();
  }
  for (const InboxItem& item : *inbox) {
    if (!item.is_new) continue;
    auto manifest = StoredManifest(item.entry.signed_(), "message " + item.entry.message_id());
    if (!manifest.ok() || !config_.import_kinds.count(KindKey(MailKindOf(*manifest)))) continue;
    auto fetched = agent->Fetch(item.entry.message_id(), config_.import_dir, nullptr);
    if (!fetched.ok()) {
      // Another terminal of the office took it: nothing to do here.
      if (fetched.status().reason() == reason::kAlreadyDownloaded) continue;
      const Message* m = FindMessage(fetched.status().reason());
      counts_.last_problem = m != nullptr ? m->ja : "受信データを取得できませんでした。";
      // The broker away stops the pass; a message refused (a revoked
      // signer, say) stays in 受信一覧 for staff and the rest go on.
      const Code code = fetched.status().code();
      if (code == Code::kUnavailable || code == Code::kDeadlineExceeded || code == Code::kIoError) {
        return fetched.status();
      }
      continue;
    }
    ++counts_.received;
    counts_.last_activity = env_->NowSeconds();
    counts_.last_problem.clear();
  }
  return Status::Ok();
}

}  // namespace tayori::agent::handoff
