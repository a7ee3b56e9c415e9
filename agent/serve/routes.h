// The local web server's routes (docs/api.md), one file per group; each
// registers its handlers on SERVER and borrows SERVICE for the server's
// life. Handlers run on the server's threads.
#ifndef TAYORI_AGENT_SERVE_ROUTES_H_
#define TAYORI_AGENT_SERVE_ROUTES_H_

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "agent/serve/service.h"
#include "common/status.h"

namespace tayori::agent::serve {

// routes_pages.cc: the gate (Host, session or token, Origin), sign-in, the
// screens' files and the event stream.
void AddPageRoutes(httplib::Server* server, Service* service);
// routes_mail.cc: Home, inbox, fetch, sent, receipts, look-ups.
void AddMailRoutes(httplib::Server* server, Service* service);
// routes_send.cc: uploads, checks, sends and drafts.
void AddSendRoutes(httplib::Server* server, Service* service);
// routes_bulk.cc: bulk sends.
void AddBulkRoutes(httplib::Server* server, Service* service);

// Shared by the route files.
void ReplyJson(httplib::Response& res, const nlohmann::json& body);
void ReplyError(httplib::Response& res, const Status& status);
template <typename T>
void Reply(httplib::Response& res, const StatusOr<T>& result) {
  if (result.ok()) {
    ReplyJson(res, *result);
  } else {
    ReplyError(res, result.status());
  }
}
// The request body as a JSON object; bad_request if it is not one.
StatusOr<nlohmann::json> JsonBody(const httplib::Request& req);
// Field NAME of BODY as a string ("" if absent); bad_request if it is
// another type.
StatusOr<std::string> StringField(const nlohmann::json& body, const char* name);

}  // namespace tayori::agent::serve

#endif  // TAYORI_AGENT_SERVE_ROUTES_H_
