#include "agent/serve/uploads.h"

#include "common/ids.h"

namespace tayori::agent::serve {

StatusOr<std::string> Uploads::Create() {
  const std::string id = NewId(env_->NowMillis());
  RETURN_IF_ERROR(env_->CreateDirs(dir_ + "/" + id, 0700));
  return id;
}

StatusOr<std::string> Uploads::PathFor(const std::string& id, const std::string& name) const {
  if (!IsId(id) || !env_->FileExists(dir_ + "/" + id)) return NotFound("upload_not_found", "no upload " + id);
  if (!IsSafeFileName(name)) return InvalidArgument("usage", "not a plain file name: '" + name + "'");
  return dir_ + "/" + id + "/" + name;
}

StatusOr<std::vector<std::string>> Uploads::Files(const std::string& id) const {
  if (!IsId(id) || !env_->FileExists(dir_ + "/" + id)) return NotFound("upload_not_found", "no upload " + id);
  std::vector<std::string> paths;
  for (const std::string& name : env_->GetChildren(dir_ + "/" + id)) {
    if (name[0] == '.') continue;  // still arriving (no file name starts with '.')
    paths.push_back(dir_ + "/" + id + "/" + name);
  }
  return paths;
}

Status Uploads::Remove(const std::string& id) {
  if (!IsId(id)) return NotFound("upload_not_found", "no upload " + id);
  const std::string dir = dir_ + "/" + id;
  for (const std::string& name : env_->GetChildren(dir)) RETURN_IF_ERROR(env_->RemoveFile(dir + "/" + name));
  return env_->RemoveDir(dir);
}

void Uploads::RemoveStale(int64_t max_age_seconds, const std::set<std::string>& in_use) {
  const int64_t now = env_->NowMillis();
  for (const std::string& id : env_->GetChildren(dir_)) {
    if (!IsId(id) || in_use.count(id)) continue;
    if (now - IdMillis(id) > max_age_seconds * 1000) (void)Remove(id);
  }
}

std::string Uploads::UploadOf(const std::string& path) const {
  const std::string prefix = dir_ + "/";
  if (path.rfind(prefix, 0) != 0) return "";
  const size_t slash = path.find('/', prefix.size());
  if (slash == std::string::npos) return "";
  const std::string id = path.substr(prefix.size(), slash - prefix.size());
  return IsId(id) ? id : "";
}

}  // namespace tayori::agent::serve
