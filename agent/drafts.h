// DraftStore: drafts (下書き) of sends, one record each in the terminal's
// LocalStore (HOME/drafts). A draft references its source files by absolute
// path; it never copies them. Borrows ENV, which must outlive it; one
// thread per DraftStore, and safe alongside other agent commands of the home.
#ifndef TAYORI_AGENT_DRAFTS_H_
#define TAYORI_AGENT_DRAFTS_H_

#include <string>
#include <vector>

#include "agent/local_store.h"
#include "common/env.h"
#include "common/status.h"
#include "tayori.pb.h"

namespace tayori::agent {

class DraftStore {
 public:
  DraftStore(std::string home, Env* env) : store_(std::move(home), env), env_(env) {}

  // Saves a new draft (files made absolute); returns it with its id.
  StatusOr<pb::Draft> Create(const std::string& to, const std::string& message, const std::vector<std::string>& files,
                             const std::string& bulk_id = "");
  StatusOr<pb::Draft> Get(const std::string& id) const { return store_.GetDraft(id); }
  Status Put(pb::Draft draft);  // updates updated_unix
  Status Delete(const std::string& id) { return store_.DeleteDraft(id); }
  // Oldest first.
  StatusOr<std::vector<pb::Draft>> List() const { return store_.ListDrafts(); }

 private:
  LocalStore store_;
  Env* const env_;
};

}  // namespace tayori::agent

#endif  // TAYORI_AGENT_DRAFTS_H_
