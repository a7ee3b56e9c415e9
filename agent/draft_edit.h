// DraftEdit: one change to a draft (下書き) as staff ask for it: a new
// recipient, a new message, files to add and files to drop by name. Applying
// it checks it and touches nothing on disk; the caller saves the result
// (DraftStore::Put). Stateless; any thread may call.
#ifndef TAYORI_AGENT_DRAFT_EDIT_H_
#define TAYORI_AGENT_DRAFT_EDIT_H_

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "tayori.pb.h"

namespace tayori::agent {

struct DraftEdit {
  // New recipient office number; empty keeps the draft's.
  std::string to;
  // New free-text message; unset keeps the draft's (set to "" clears it).
  std::optional<std::string> message;
  // Files to reference, made absolute; added before any removal.
  std::vector<std::string> add;
  // File names (the last path component) to stop referencing; each must
  // name at least one of the draft's files.
  std::vector<std::string> remove;
};

// DRAFT with EDIT applied. An invalid office number or a name the draft does
// not have is an invalid argument, and nothing is applied.
StatusOr<pb::Draft> ApplyDraftEdit(pb::Draft draft, const DraftEdit& edit);

}  // namespace tayori::agent

#endif  // TAYORI_AGENT_DRAFT_EDIT_H_
