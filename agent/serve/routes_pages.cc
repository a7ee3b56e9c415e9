// Routes: the gate every request passes, sign-in, the screens' files and
// the event stream (docs/api.md, "Who may call it").
#include "agent/serve/routes.h"
#include "agent/serve/views.h"
#include "agent/web/assets.h"

namespace tayori::agent::serve {
namespace {

constexpr char kCookie[] = "tayori_session";
// Every answer: nothing framed, sniffed, cached or leaked to another site.
constexpr char kPolicy[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
// How often an idle event stream gets a comment, so dead connections are found.
constexpr int kKeepAliveMillis = 15000;

void ReplyPage(httplib::Response& res, int status, const char* page) {
  const web::Asset* asset = web::FindAsset(page);
  res.status = status;
  if (asset != nullptr) {
    res.set_content(std::string(asset->body), std::string(asset->content_type));
  } else {
    res.set_content("tayori", "text/plain; charset=utf-8");
  }
}

bool IsApi(const httplib::Request& req) { return req.path.rfind("/api/", 0) == 0; }

// The gate: this server by name (DNS rebinding), a signed-in browser or the
// API token, and for a browser's changes the page's own origin.
// The largest body of a request other than an upload.
constexpr unsigned long kMaxJsonBody = 1 << 20;

httplib::Server::HandlerResponse Gate(Service* service, const httplib::Request& req, httplib::Response& res) {
  const int port = service->port();
  if (!HostAllowed(req.get_header_value("Host"), port)) {
    res.status = 421;
    res.set_content("wrong host", "text/plain");
    return httplib::Server::HandlerResponse::Handled;
  }
  // The sign-in page and what it needs to look right are open to all.
  if (req.path == "/signin" || req.path == "/favicon.svg" || req.path == "/style.css") {
    return httplib::Server::HandlerResponse::Unhandled;
  }
  const std::string authorization = req.get_header_value("Authorization");
  const bool bearer = authorization.rfind("Bearer ", 0) == 0 && service->auth().IsApiToken(authorization.substr(7));
  const bool session = service->auth().IsSession(CookieValue(req.get_header_value("Cookie"), kCookie));
  if (!bearer && !session) {
    if (IsApi(req)) {
      ReplyError(res, Status(Code::kUnauthenticated, "signin_required", "sign in through tayori-agent open"));
      res.status = 401;
    } else {
      ReplyPage(res, 401, "/signin.html");
    }
    return httplib::Server::HandlerResponse::Handled;
  }
  const bool changes = req.method != "GET" && req.method != "HEAD";
  if (changes && !bearer && !OriginAllowed(req.get_header_value("Origin"), port)) {
    ReplyError(res, PermissionDenied("cross_origin", "request from another origin"));
    return httplib::Server::HandlerResponse::Handled;
  }
  // Only uploads may be large; any other body is refused from its header,
  // before it is read.
  if (changes && req.path != "/api/uploads") {
    const std::string length = req.get_header_value("Content-Length");
    if (length.empty() ? req.has_header("Transfer-Encoding")
                       : length.size() > 9 || length.find_first_not_of("0123456789") != std::string::npos ||
                             std::stoul(length) > kMaxJsonBody) {
      ReplyError(res, InvalidArgument("bad_request", "a request body is at most 1 MB of JSON"));
      res.status = 413;
      return httplib::Server::HandlerResponse::Handled;
    }
  }
  return httplib::Server::HandlerResponse::Unhandled;
}

void SignIn(Service* service, const httplib::Request& req, httplib::Response& res) {
  const std::string secret = service->auth().SignIn(req.get_param_value("token"));
  if (secret.empty()) {
    ReplyPage(res, 401, "/signin.html");
    return;
  }
  res.set_header("Set-Cookie", std::string(kCookie) + "=" + secret + "; HttpOnly; SameSite=Strict; Path=/");
  res.set_redirect("/", 303);
}

void Asset(const httplib::Request& req, httplib::Response& res) {
  const web::Asset* asset = web::FindAsset(req.path == "/" ? "/index.html" : req.path);
  if (asset == nullptr && req.path == "/") asset = web::FindAsset("/");
  if (asset == nullptr) {
    res.status = 404;
    res.set_content("not found", "text/plain");
    return;
  }
  res.set_content(std::string(asset->body), std::string(asset->content_type));
}

void Events(Service* service, httplib::Response& res) {
  auto sub = service->events().Subscribe();
  EventHub* hub = &service->events();
  res.set_header("Cache-Control", "no-store");
  res.set_chunked_content_provider(
      "text/event-stream",
      [sub](size_t, httplib::DataSink& sink) {
        std::string event = sub->Next(kKeepAliveMillis);
        if (event.empty()) event = ": keep-alive\n\n";
        return sink.write(event.data(), event.size());
      },
      [hub, sub](bool) { hub->Unsubscribe(sub); });
  // The page reloads what it shows when this arrives (also after a restart).
  service->events().Publish("status", Dump(json{{"connected", service->broker_reachable()}}));
}

}  // namespace

void AddPageRoutes(httplib::Server* server, Service* service) {
  server->set_pre_routing_handler(
      [service](const httplib::Request& req, httplib::Response& res) { return Gate(service, req, res); });
  server->set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Security-Policy", kPolicy);
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("X-Frame-Options", "DENY");
    res.set_header("Referrer-Policy", "no-referrer");
    if (!res.has_header("Cache-Control")) res.set_header("Cache-Control", "no-store");
  });
  server->Get("/signin", [service](const httplib::Request& req, httplib::Response& res) { SignIn(service, req, res); });
  server->Get("/api/events", [service](const httplib::Request&, httplib::Response& res) { Events(service, res); });
  // A fresh sign-in address, for `tayori-agent open` (it holds the API token).
  server->Post("/api/signin-url", [service](const httplib::Request&, httplib::Response& res) {
    ReplyJson(res, {{"url", service->SignInUrl()}});
  });
  server->Get(R"(/([a-z0-9_\-]+\.(html|css|js|svg))?)", Asset);
}

void ReplyJson(httplib::Response& res, const nlohmann::json& body) {
  res.set_content(Dump(body), "application/json; charset=utf-8");
}

void ReplyError(httplib::Response& res, const Status& status) {
  res.status = HttpStatus(status);
  ReplyJson(res, ErrorJson(status));
}

StatusOr<nlohmann::json> JsonBody(const httplib::Request& req) {
  nlohmann::json body = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return InvalidArgument("bad_request", "the request body is not a JSON object");
  }
  return body;
}

StatusOr<std::string> StringField(const nlohmann::json& body, const char* name) {
  if (!body.contains(name) || body[name].is_null()) return std::string();
  if (!body[name].is_string()) return InvalidArgument("bad_request", std::string(name) + " must be a string");
  return body[name].get<std::string>();
}

}  // namespace tayori::agent::serve
