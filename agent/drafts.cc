#include "agent/drafts.h"

#include "common/ids.h"
#include "common/utf8.h"

namespace tayori::agent {

StatusOr<pb::Draft> DraftStore::Create(const std::string& to, const std::string& message,
                                       const std::vector<std::string>& files, const std::string& bulk_id) {
  if (!to.empty()) RETURN_IF_ERROR(CheckOfficeNumber(to));
  pb::Draft d;
  d.set_id(NewId(env_->NowMillis()));
  d.set_to(to);
  d.set_message(message);
  for (const auto& f : files) d.add_paths(AbsolutePath(f));
  d.set_created_unix(env_->NowSeconds());
  d.set_bulk_id(bulk_id);
  RETURN_IF_ERROR(Put(d));
  return d;
}

Status DraftStore::Put(pb::Draft draft) {
  // Records hold text only: a draft that could not be read back would be lost.
  if (!IsValidUtf8(draft.message())) return InvalidArgument("message_not_text", "the message is not valid UTF-8");
  for (const auto& path : draft.paths()) {
    if (!IsValidUtf8(path))
      return InvalidArgument("file_name_not_text", "the file name is not valid UTF-8: " + ValidUtf8(path));
  }
  draft.set_updated_unix(env_->NowSeconds());
  return store_.PutDraft(draft);
}

}  // namespace tayori::agent
