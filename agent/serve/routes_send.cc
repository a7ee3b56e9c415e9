// Routes: 新規作成 (uploads, checks, sends) and 下書き一覧 (docs/api.md).
// Files come from the browser as multipart uploads streamed to disk, never
// held whole in memory; a send's copies are removed once the broker
// accepted it.
#include <map>
#include <set>

#include "agent/draft_edit.h"
#include "agent/drafts.h"
#include "agent/serve/routes.h"
#include "agent/serve/views.h"
#include "common/ids.h"

namespace tayori::agent::serve {
namespace {

// One multipart upload being written: each part to .NAME.part (no file
// name starts with '.'), renamed to NAME when complete and synced.
class UploadWriter {
 public:
  UploadWriter(Service* s, std::string id) : s_(s), id_(std::move(id)) {}

  bool BeginFile(const httplib::MultipartFormData& part) {
    if (!Finish()) return false;
    if (part.name != "files") return Fail(InvalidArgument("bad_request", "files come in the field 'files'"));
    if (++count_ > Uploads::kMaxFiles) {
      return Fail(InvalidArgument("send_too_large", "more than " + std::to_string(Uploads::kMaxFiles) + " files"));
    }
    // Browsers send the plain name; older ones a whole Windows path.
    std::string name = part.filename;
    const size_t slash = name.find_last_of("/\\");
    if (slash != std::string::npos) name = name.substr(slash + 1);
    auto path = s_->uploads().PathFor(id_, name);
    if (!path.ok()) return Fail(path.status());
    if (s_->env()->FileExists(*path)) return Fail(InvalidArgument("usage", "two files are named " + name));
    path_ = *path;
    part_path_ = DirName(path_) + "/." + name + ".part";
    auto file = s_->env()->NewWritableFile(part_path_, 0600);
    if (!file.ok()) return Fail(file.status());
    file_ = std::move(file).value();
    files_.push_back({{"name", name}, {"size", 0}});
    return true;
  }

  bool Write(const char* data, size_t n) {
    total_ += n;
    if (total_ > Uploads::kMaxBytes) {
      return Fail(InvalidArgument("send_too_large", "more than " + std::to_string(Uploads::kMaxBytes) + " bytes"));
    }
    if (!file_) return Fail(InvalidArgument("bad_request", "data outside a file part"));
    Status st = file_->Append(std::string_view(data, n));
    if (!st.ok()) return Fail(st);
    files_.back()["size"] = file_->Size();
    return true;
  }

  bool Finish() {
    if (!file_) return status_.ok();
    Status st = file_->Sync();
    if (st.ok()) st = file_->Close();
    file_.reset();
    if (st.ok()) st = s_->env()->RenameFile(part_path_, path_);
    return st.ok() || Fail(st);
  }

  const Status& status() const { return status_; }
  const json& files() const { return files_; }

 private:
  bool Fail(const Status& st) {
    if (status_.ok()) status_ = st;
    return false;
  }
  Service* const s_;
  const std::string id_;
  std::unique_ptr<WritableFile> file_;
  std::string path_;
  std::string part_path_;
  size_t count_ = 0;
  uint64_t total_ = 0;
  json files_ = json::array();
  Status status_;
};

void Upload(Service* s, const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
  if (!req.is_multipart_form_data()) {
    ReplyError(res, InvalidArgument("bad_request", "files are uploaded as multipart/form-data"));
    return;
  }
  auto id = s->uploads().Create();
  if (!id.ok()) return ReplyError(res, id.status());
  UploadWriter writer(s, *id);
  const bool read = reader([&](const httplib::MultipartFormData& part) { return writer.BeginFile(part); },
                           [&](const char* data, size_t n) { return writer.Write(data, n); });
  const bool finished = writer.Finish();
  if (!writer.status().ok() || !read || !finished) {
    (void)s->uploads().Remove(*id);  // nothing half-received stays
    ReplyError(res, writer.status().ok() ? InvalidArgument("bad_request", "the upload was cut off") : writer.status());
    return;
  }
  ReplyJson(res, {{"upload", *id}, {"files", writer.files()}});
}

// The files of the upload named in BODY, or (care software driving the
// local API) the absolute paths BODY lists; the files are not copied.
StatusOr<std::vector<std::string>> UploadFiles(Service* s, const json& body) {
  if (body.is_object() && body.contains("paths")) {
    const json& paths = body["paths"];
    if (!paths.is_array() || paths.empty() || paths.size() > Uploads::kMaxFiles) {
      return InvalidArgument("bad_request", "paths must be a list of 1 to 500 absolute file paths");
    }
    std::vector<std::string> files;
    for (const json& p : paths) {
      if (!p.is_string() || p.get<std::string>().empty() || p.get<std::string>()[0] != '/') {
        return InvalidArgument("bad_request", "paths must be a list of 1 to 500 absolute file paths");
      }
      if (!s->env()->IsRegularFile(p.get<std::string>())) {
        return InvalidArgument("file_unreadable", p.get<std::string>() + " is not a readable file");
      }
      files.push_back(p.get<std::string>());
    }
    return files;
  }
  ASSIGN_OR_RETURN(std::string upload, StringField(body, "upload"));
  return s->uploads().Files(upload);
}

StatusOr<std::string> Recipient(const json& body) {
  ASSIGN_OR_RETURN(std::string to, StringField(body, "to"));
  if (!to.empty()) RETURN_IF_ERROR(CheckOfficeNumber(to));
  return to;
}

// Every check that needs no network, and the recipient as the broker
// knows it: what 新規作成 shows before the confirmation step.
StatusOr<json> Check(Service* s, const httplib::Request& req) {
  ASSIGN_OR_RETURN(json body, JsonBody(req));
  ASSIGN_OR_RETURN(std::vector<std::string> files, UploadFiles(s, body));
  ASSIGN_OR_RETURN(std::string to, Recipient(body));
  return s->WithAgent([&](Agent& agent) -> StatusOr<json> {
    const careplan::CheckReport report = Agent::CheckFiles(files, agent.config().office, to, s->env());
    json j = CheckJson(files, report);
    j["can_receive"] = false;
    if (IsOfficeNumber(report.recipient)) {
      auto info = agent.Lookup(report.recipient);
      if (info.ok()) {
        j["recipient_name"] = info->name();
        j["can_receive"] = info->registered() && info->licensed() && info->enrolled();
      }
    }
    return j;
  });
}

json SendResultJson(const SendResult& r) {
  return {{"id", r.message_id},
          {"recipient", r.recipient},
          {"recipient_name", r.recipient_name},
          {"accepted", JstDateTime(r.accepted_unix)}};
}

StatusOr<json> Send(Service* s, const httplib::Request& req) {
  ASSIGN_OR_RETURN(json body, JsonBody(req));
  ASSIGN_OR_RETURN(std::vector<std::string> files, UploadFiles(s, body));
  ASSIGN_OR_RETURN(std::string to, Recipient(body));
  ASSIGN_OR_RETURN(std::string message, StringField(body, "message"));
  ASSIGN_OR_RETURN(SendResult sent, s->WithAgent([&](Agent& agent) {
    return agent.Send({to, message, files}, nullptr);
  }));
  if (body.contains("upload")) s->ReleaseUpload(body["upload"].get<std::string>());  // accepted: the copies go (R13)
  return SendResultJson(sent);
}

// The name the broker knows RECIPIENT by ("" when unknown or unreachable),
// looked up once per office in NAMES.
std::string RecipientName(Service* s, const std::string& recipient, std::map<std::string, std::string>* names) {
  if (!IsOfficeNumber(recipient)) return "";
  auto it = names->find(recipient);
  if (it != names->end()) return it->second;
  auto info = s->WithAgent([&](Agent& agent) { return agent.Lookup(recipient); });
  const std::string name = info.ok() && info->registered() ? info->name() : "";
  (*names)[recipient] = name;
  return name;
}

json DraftWithCheck(Service* s, const pb::Draft& d, const std::string& office,
                    std::map<std::string, std::string>* names = nullptr) {
  const std::vector<std::string> paths(d.paths().begin(), d.paths().end());
  json j = DraftJson(d, Agent::CheckFiles(paths, office, d.to(), s->env()));
  std::map<std::string, std::string> own;
  j["recipient_name"] = RecipientName(s, j["to"].get<std::string>(), names != nullptr ? names : &own);
  return j;
}

std::string Office(Service* s) {
  return s->WithAgent([](Agent& agent) { return agent.config().office; });
}

StatusOr<json> Drafts(Service* s) {
  DraftStore drafts(s->home(), s->env());
  ASSIGN_OR_RETURN(std::vector<pb::Draft> list, drafts.List());
  const std::string office = Office(s);
  json items = json::array();
  std::map<std::string, std::string> names;
  for (auto it = list.rbegin(); it != list.rend(); ++it) items.push_back(DraftWithCheck(s, *it, office, &names));
  return json{{"items", items}};
}

StatusOr<json> DraftCreate(Service* s, const httplib::Request& req) {
  ASSIGN_OR_RETURN(json body, JsonBody(req));
  ASSIGN_OR_RETURN(std::vector<std::string> files, UploadFiles(s, body));
  ASSIGN_OR_RETURN(std::string to, Recipient(body));
  ASSIGN_OR_RETURN(std::string message, StringField(body, "message"));
  DraftStore drafts(s->home(), s->env());
  auto lock = s->LockUploadRefs();
  ASSIGN_OR_RETURN(pb::Draft d, drafts.Create(to, message, files));
  lock.unlock();
  return DraftWithCheck(s, d, Office(s));
}

// Releases the uploads a draft's files were in (after its send, deletion or
// change: the agent keeps no copies). The staff's own files, referenced by
// path, are not uploads and stay.
void RemoveDraftUploads(Service* s, const pb::Draft& d) {
  std::set<std::string> ids;
  for (const auto& path : d.paths()) ids.insert(s->uploads().UploadOf(path));
  ids.erase("");
  for (const std::string& id : ids) s->ReleaseUpload(id);
}

// An upload the page no longer needs (its files were changed before a
// send): released unless a draft or bulk send refers to it.
StatusOr<json> DiscardUpload(Service* s, const httplib::Request& req) {
  ASSIGN_OR_RETURN(json body, JsonBody(req));
  ASSIGN_OR_RETURN(std::string upload, StringField(body, "upload"));
  if (!IsId(upload)) return NotFound("upload_not_found", "no upload " + upload);
  s->ReleaseUpload(upload);
  return json{{"ok", true}};
}

StatusOr<json> DraftUpdate(Service* s, const httplib::Request& req) {
  ASSIGN_OR_RETURN(json body, JsonBody(req));
  ASSIGN_OR_RETURN(std::string id, StringField(body, "id"));
  DraftStore drafts(s->home(), s->env());
  ASSIGN_OR_RETURN(pb::Draft d, drafts.Get(id));
  DraftEdit edit;
  ASSIGN_OR_RETURN(edit.to, Recipient(body));
  if (body.contains("message")) {
    ASSIGN_OR_RETURN(std::string message, StringField(body, "message"));
    edit.message = message;
  }
  if (body.contains("upload")) {
    ASSIGN_OR_RETURN(edit.add, UploadFiles(s, body));
  }
  if (body.contains("remove")) {
    if (!body["remove"].is_array()) return InvalidArgument("bad_request", "remove must be a list of file names");
    for (const auto& name : body["remove"]) {
      if (!name.is_string()) return InvalidArgument("bad_request", "remove must be a list of file names");
      edit.remove.push_back(name.get<std::string>());
    }
  }
  ASSIGN_OR_RETURN(pb::Draft changed, ApplyDraftEdit(d, edit));
  {
    auto lock = s->LockUploadRefs();
    RETURN_IF_ERROR(drafts.Put(changed));
  }
  RemoveDraftUploads(s, d);  // files the edit removed
  return DraftWithCheck(s, changed, Office(s));
}

StatusOr<json> DraftSend(Service* s, const httplib::Request& req) {
  ASSIGN_OR_RETURN(json body, JsonBody(req));
  ASSIGN_OR_RETURN(std::string id, StringField(body, "id"));
  DraftStore drafts(s->home(), s->env());
  ASSIGN_OR_RETURN(pb::Draft d, drafts.Get(id));
  const SendOptions o{d.to(), d.message(), {d.paths().begin(), d.paths().end()}};
  ASSIGN_OR_RETURN(SendResult sent, s->WithAgent([&](Agent& agent) { return agent.Send(o, nullptr); }));
  (void)drafts.Delete(id);
  RemoveDraftUploads(s, d);
  return SendResultJson(sent);
}

StatusOr<json> DraftDelete(Service* s, const httplib::Request& req) {
  ASSIGN_OR_RETURN(json body, JsonBody(req));
  ASSIGN_OR_RETURN(std::string id, StringField(body, "id"));
  DraftStore drafts(s->home(), s->env());
  ASSIGN_OR_RETURN(pb::Draft d, drafts.Get(id));
  RETURN_IF_ERROR(drafts.Delete(id));
  RemoveDraftUploads(s, d);
  return json{{"ok", true}};
}

using Handler = StatusOr<json> (*)(Service*, const httplib::Request&);
void Post(httplib::Server* server, Service* s, const char* path, Handler handler) {
  server->Post(path,
               [s, handler](const httplib::Request& req, httplib::Response& res) { Reply(res, handler(s, req)); });
}

}  // namespace

void AddSendRoutes(httplib::Server* server, Service* s) {
  server->Post("/api/uploads", [s](const httplib::Request& req, httplib::Response& res,
                                   const httplib::ContentReader& reader) { Upload(s, req, res, reader); });
  Post(server, s, "/api/check", Check);
  Post(server, s, "/api/send", Send);
  Post(server, s, "/api/uploads/discard", DiscardUpload);
  server->Get("/api/drafts", [s](const httplib::Request&, httplib::Response& res) { Reply(res, Drafts(s)); });
  Post(server, s, "/api/drafts", DraftCreate);
  Post(server, s, "/api/drafts/update", DraftUpdate);
  Post(server, s, "/api/drafts/send", DraftSend);
  Post(server, s, "/api/drafts/delete", DraftDelete);
}

}  // namespace tayori::agent::serve
