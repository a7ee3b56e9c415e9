// Routes: ホーム, 受信一覧 and データ取得, 送信一覧 and receipts, look-ups
// (docs/api.md).
#include "agent/serve/routes.h"
#include "agent/serve/views.h"
#include "common/ids.h"

namespace tayori::agent::serve {
namespace {

StatusOr<json> Home(Service* s) {
  return s->WithAgent([s](Agent& agent) -> StatusOr<json> {
    auto home = agent.Home();
    if (!home.ok()) {
      // The broker cannot be reached: that is the system status.
      json j = ErrorJson(home.status());
      j["system_status"] = "unreachable";
      j["office"] = agent.config().office;
      return j;
    }
    ASSIGN_OR_RETURN(std::vector<InboxItem> inbox, agent.Inbox());
    int unread = 0;
    for (const auto& item : inbox) unread += item.entry.state() == pb::DELIVERED;
    json j = HomeJson(*home, s->env()->NowSeconds(), unread);
    j["download_dir"] = s->DownloadDir();
    if (s->handoff() != nullptr) j["handoff"] = HandoffJson(s->handoff()->State());
    return j;
  });
}

StatusOr<json> Inbox(Service* s) {
  return s->WithAgent([](Agent& agent) -> StatusOr<json> {
    ASSIGN_OR_RETURN(std::vector<InboxItem> items, agent.Inbox());
    json list = json::array();
    for (auto it = items.rbegin(); it != items.rend(); ++it) list.push_back(InboxItemJson(*it));  // newest first
    return json{{"items", list}};
  });
}

// データ取得 of each id into the download folder; each answers on its own.
StatusOr<json> Fetch(Service* s, const httplib::Request& req) {
  ASSIGN_OR_RETURN(json body, JsonBody(req));
  if (!body.contains("ids") || !body["ids"].is_array() || body["ids"].empty() || body["ids"].size() > 500) {
    return InvalidArgument("bad_request", "ids must be a list of 1 to 500 message ids");
  }
  std::vector<std::string> ids;
  for (const auto& id : body["ids"]) {
    if (!id.is_string() || !IsId(id.get<std::string>())) return InvalidArgument("bad_request", "ids holds a non-id");
    ids.push_back(id.get<std::string>());
  }
  const std::string dest = s->DownloadDir();
  return s->WithAgent([&](Agent& agent) -> StatusOr<json> {
    json results = json::array();
    for (const std::string& id : ids) {
      auto fetched = agent.Fetch(id, dest, nullptr);
      if (fetched.ok()) {
        results.push_back(
            {{"id", id}, {"ok", true}, {"files", fetched->saved_paths}, {"problems", FindingsJson(fetched->problems)}});
      } else {
        json r = ErrorJson(fetched.status());
        r["id"] = id;
        r["ok"] = false;
        results.push_back(r);
      }
    }
    return json{{"results", results}, {"download_dir", dest}};
  });
}

StatusOr<json> Sent(Service* s) {
  return s->WithAgent([](Agent& agent) -> StatusOr<json> {
    ASSIGN_OR_RETURN(std::vector<SentItem> items, agent.Sent());
    json list = json::array();
    for (auto it = items.rbegin(); it != items.rend(); ++it) list.push_back(SentItemJson(*it));
    return json{{"items", list}};
  });
}

StatusOr<json> Receipt(Service* s, const httplib::Request& req) {
  const std::string id = req.get_param_value("id");
  return s->WithAgent([&](Agent& agent) -> StatusOr<json> {
    ASSIGN_OR_RETURN(ReceiptInfo r, agent.Receipt(id));
    return ReceiptJson(r);
  });
}

StatusOr<json> Lookup(Service* s, const httplib::Request& req) {
  const std::string office = req.get_param_value("office");
  RETURN_IF_ERROR(CheckOfficeNumber(office));
  return s->WithAgent([&](Agent& agent) -> StatusOr<json> {
    ASSIGN_OR_RETURN(pb::OfficeInfo info, agent.Lookup(office));
    return OfficeJson(info);
  });
}

}  // namespace

void AddMailRoutes(httplib::Server* server, Service* s) {
  server->Get("/api/home", [s](const httplib::Request&, httplib::Response& res) { Reply(res, Home(s)); });
  server->Get("/api/inbox", [s](const httplib::Request&, httplib::Response& res) { Reply(res, Inbox(s)); });
  server->Post("/api/fetch", [s](const httplib::Request& req, httplib::Response& res) { Reply(res, Fetch(s, req)); });
  server->Get("/api/sent", [s](const httplib::Request&, httplib::Response& res) { Reply(res, Sent(s)); });
  server->Get("/api/receipt",
              [s](const httplib::Request& req, httplib::Response& res) { Reply(res, Receipt(s, req)); });
  server->Get("/api/lookup", [s](const httplib::Request& req, httplib::Response& res) { Reply(res, Lookup(s, req)); });
}

}  // namespace tayori::agent::serve
