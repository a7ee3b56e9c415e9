#include "agent/drafts.h"

#include <unistd.h>

#include "common/ids.h"

namespace tayori::agent {

std::string AbsolutePath(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char buf[4096];
  if (::getcwd(buf, sizeof buf) == nullptr) return path;
  return std::string(buf) + "/" + path;
}

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

StatusOr<pb::Draft> DraftStore::Get(const std::string& id) const {
  if (!IsId(id)) return NotFound("draft_not_found", "'" + id + "' is not a draft id");
  auto bytes = ReadFile(Path(id));
  if (!bytes.ok()) return NotFound("draft_not_found", "no draft " + id);
  pb::Draft d;
  if (!d.ParseFromString(*bytes)) return Internal("corrupt draft " + Path(id));
  return d;
}

Status DraftStore::Put(pb::Draft draft) {
  RETURN_IF_ERROR(MakeDirs(dir_, 0700));
  draft.set_updated_unix(env_->NowSeconds());
  return WriteFileAtomic(Path(draft.id()), draft.SerializeAsString(), 0600);
}

Status DraftStore::Delete(const std::string& id) {
  RETURN_IF_ERROR(Get(id).status());
  if (::unlink(Path(id).c_str()) != 0) return IoError("cannot delete " + Path(id));
  return Status::Ok();
}

StatusOr<std::vector<pb::Draft>> DraftStore::List() const {
  std::vector<pb::Draft> out;
  for (const std::string& name : ListDir(dir_)) {
    if (name.size() != 29 || name.substr(26) != ".pb") continue;
    ASSIGN_OR_RETURN(pb::Draft d, Get(name.substr(0, 26)));
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace tayori::agent
