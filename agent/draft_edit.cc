#include "agent/draft_edit.h"

#include <algorithm>

#include "agent/drafts.h"
#include "common/env.h"
#include "common/ids.h"

namespace tayori::agent {
namespace {}  // namespace

StatusOr<pb::Draft> ApplyDraftEdit(pb::Draft draft, const DraftEdit& edit) {
  if (!edit.to.empty()) {
    if (!IsOfficeNumber(edit.to)) return CheckOfficeNumber(edit.to);
    draft.set_to(edit.to);
  }
  if (edit.message) draft.set_message(*edit.message);
  for (const auto& f : edit.add) draft.add_paths(AbsolutePath(f));
  auto* paths = draft.mutable_paths();
  for (const auto& name : edit.remove) {
    const auto before = paths->size();
    paths->erase(
        std::remove_if(paths->begin(), paths->end(), [&](const std::string& p) { return BaseName(p) == name; }),
        paths->end());
    if (paths->size() == before) return InvalidArgument("usage", "the draft has no file " + name);
  }
  return draft;
}

}  // namespace tayori::agent
