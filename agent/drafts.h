// DraftStore: drafts (下書き) of sends, one file each under HOME/drafts.
// A draft references its source files; it never copies them. Written
// atomically; safe alongside other agent commands of the same home.
#ifndef TAYORI_AGENT_DRAFTS_H_
#define TAYORI_AGENT_DRAFTS_H_

#include <string>
#include <vector>

#include "common/env.h"
#include "common/status.h"
#include "tayori.pb.h"

namespace tayori::agent {

class DraftStore {
 public:
  DraftStore(std::string home, Env* env) : dir_(std::move(home) + "/drafts"), env_(env) {}

  // Saves a new draft (files made absolute); returns it with its id.
  StatusOr<pb::Draft> Create(const std::string& to, const std::string& message,
                             const std::vector<std::string>& files, const std::string& bulk_id = "");
  StatusOr<pb::Draft> Get(const std::string& id) const;
  Status Put(pb::Draft draft);  // updates updated_unix
  Status Delete(const std::string& id);
  // Oldest first.
  StatusOr<std::vector<pb::Draft>> List() const;

 private:
  std::string Path(const std::string& id) const { return dir_ + "/" + id + ".pb"; }
  const std::string dir_;
  Env* const env_;
};

std::string AbsolutePath(const std::string& path);

}  // namespace tayori::agent

#endif  // TAYORI_AGENT_DRAFTS_H_
