// Routes: 一括送信 (docs/api.md). A whole export dropped at once is planned
// into groups by recipient and send unit, then the chosen groups go in the
// background with their progress pushed as "bulk" events.
#include "agent/serve/routes.h"
#include "agent/serve/views.h"
#include "common/ids.h"

namespace tayori::agent::serve {
namespace {

// {office: text} of BODY[NAME].
Status OfficeMap(const json& body, const char* name,
                 const std::function<Status(const std::string&, const json&)>& add) {
  if (!body.contains(name)) return Status::Ok();
  if (!body[name].is_object()) return InvalidArgument("bad_request", std::string(name) + " must be an object");
  for (const auto& [office, value] : body[name].items()) {
    RETURN_IF_ERROR(CheckOfficeNumber(office));
    RETURN_IF_ERROR(add(office, value));
  }
  return Status::Ok();
}

StatusOr<BulkOptions> PlanOptions(Service* s, const json& body) {
  BulkOptions o;
  ASSIGN_OR_RETURN(std::string upload, StringField(body, "upload"));
  ASSIGN_OR_RETURN(std::vector<std::string> files, s->uploads().Files(upload));
  ASSIGN_OR_RETURN(o.message, StringField(body, "message"));
  RETURN_IF_ERROR(OfficeMap(body, "messages", [&](const std::string& office, const json& text) {
    if (!text.is_string()) return InvalidArgument("bad_request", "messages are text");
    o.messages[office] = text.get<std::string>();
    return Status::Ok();
  }));
  // Attachments are files of the same upload, named per office; the rest
  // of the upload is the export to group.
  std::set<std::string> attached;
  RETURN_IF_ERROR(OfficeMap(body, "attach", [&](const std::string& office, const json& names) {
    if (!names.is_array()) return InvalidArgument("bad_request", "attach lists file names per office");
    for (const auto& name : names) {
      if (!name.is_string()) return InvalidArgument("bad_request", "attach lists file names per office");
      ASSIGN_OR_RETURN(std::string path, s->uploads().PathFor(upload, name.get<std::string>()));
      if (!s->env()->IsRegularFile(path))
        return InvalidArgument("usage", "the upload has no file " + name.get<std::string>());
      o.attachments[office].push_back(path);
      attached.insert(path);
    }
    return Status::Ok();
  }));
  for (const std::string& f : files) {
    if (!attached.count(f)) o.inputs.push_back(f);
  }
  if (o.inputs.empty()) return InvalidArgument("usage", "the upload holds no files to group");
  return o;
}

json PlanJson(const std::string& id, const std::vector<BulkGroup>& groups) {
  json list = json::array();
  for (size_t i = 0; i < groups.size(); ++i) list.push_back(BulkGroupJson(i, groups[i]));
  return {{"bulk", id}, {"groups", list}};
}

StatusOr<json> PlanBulk(Service* s, const httplib::Request& req) {
  ASSIGN_OR_RETURN(json body, JsonBody(req));
  ASSIGN_OR_RETURN(BulkOptions o, PlanOptions(s, body));
  const std::string upload = body["upload"].get<std::string>();
  ASSIGN_OR_RETURN(std::string id, s->WithAgent([&](Agent& agent) { return s->bulks().Plan(&agent, o, upload); }));
  ASSIGN_OR_RETURN(std::vector<BulkGroup> groups, s->bulks().Groups(id));
  return PlanJson(id, groups);
}

StatusOr<json> StartBulk(Service* s, const httplib::Request& req) {
  ASSIGN_OR_RETURN(json body, JsonBody(req));
  ASSIGN_OR_RETURN(std::string id, StringField(body, "bulk"));
  std::vector<size_t> indexes;
  if (body.contains("groups")) {
    if (!body["groups"].is_array()) return InvalidArgument("bad_request", "groups lists group numbers");
    for (const auto& i : body["groups"]) {
      if (!i.is_number_unsigned()) return InvalidArgument("bad_request", "groups lists group numbers");
      indexes.push_back(i.get<size_t>());
    }
  }
  RETURN_IF_ERROR(s->bulks().Start(id, indexes));
  return json{{"ok", true}};
}

StatusOr<json> CancelBulk(Service* s, const httplib::Request& req) {
  ASSIGN_OR_RETURN(json body, JsonBody(req));
  ASSIGN_OR_RETURN(std::string id, StringField(body, "bulk"));
  RETURN_IF_ERROR(s->bulks().Cancel(id));
  return json{{"ok", true}};
}

StatusOr<json> DiscardBulk(Service* s, const httplib::Request& req) {
  ASSIGN_OR_RETURN(json body, JsonBody(req));
  ASSIGN_OR_RETURN(std::string id, StringField(body, "bulk"));
  RETURN_IF_ERROR(s->bulks().Discard(id));
  return json{{"ok", true}};
}

StatusOr<json> BulkStatus(Service* s, const httplib::Request& req) {
  const std::string id = req.get_param_value("bulk");
  ASSIGN_OR_RETURN(std::vector<BulkGroup> groups, s->bulks().Groups(id));
  return PlanJson(id, groups);
}

}  // namespace

void AddBulkRoutes(httplib::Server* server, Service* s) {
  server->Post("/api/bulk/plan",
               [s](const httplib::Request& req, httplib::Response& res) { Reply(res, PlanBulk(s, req)); });
  server->Post("/api/bulk/start",
               [s](const httplib::Request& req, httplib::Response& res) { Reply(res, StartBulk(s, req)); });
  server->Post("/api/bulk/cancel",
               [s](const httplib::Request& req, httplib::Response& res) { Reply(res, CancelBulk(s, req)); });
  server->Post("/api/bulk/discard",
               [s](const httplib::Request& req, httplib::Response& res) { Reply(res, DiscardBulk(s, req)); });
  server->Get("/api/bulk",
              [s](const httplib::Request& req, httplib::Response& res) { Reply(res, BulkStatus(s, req)); });
}

}  // namespace tayori::agent::serve
