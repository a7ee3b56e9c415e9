#include "agent/drafts.h"

#include "common/ids.h"

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
  draft.set_updated_unix(env_->NowSeconds());
  return store_.PutDraft(draft);
}

}  // namespace tayori::agent
