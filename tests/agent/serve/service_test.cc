// tayori-agent serve (agent/serve/): a real broker and two agents on
// loopback, the local web server driven over HTTP as the screens and an
// attacker's page would.
#include "agent/serve/service.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/support/in_process_exchange.h"

namespace tayori::agent::serve {
namespace {

using nlohmann::json;

// The status line's code of the answer to REQUEST (headers only) sent on a
// plain socket to 127.0.0.1:PORT.
int RawStatus(int port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return -1;
  (void)!write(fd, request.data(), request.size());
  char buf[64] = {};
  const ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  return n > 12 ? std::atoi(buf + 9) : -1;
}

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    x_.AddOffice("0123456789", "居宅介護支援A");
    x_.AddOffice("1299999999", "訪問介護B");
    a_ = StartService("a", "0123456789", "KJ000000000001");
    b_ = StartService("b", "1299999999", "KJ000000000002");
  }

  void TearDown() override {
    for (auto& [service, thread] : services_) {
      stop_ = true;
      if (thread.joinable()) thread.join();
    }
    services_.clear();
  }

  Service* StartService(const std::string& label, const std::string& office, const std::string& user) {
    EXPECT_NE(x_.NewAgent(label, office, user), nullptr);  // set up and enrolled
    ServeOptions so;
    so.home = x_.home(label);
    so.listen = "127.0.0.1:0";
    so.env = x_.env();
    auto service = Service::Start(so);
    EXPECT_TRUE(service.ok()) << service.status().ToString();
    Service* s = service->get();
    services_.emplace_back(std::move(service).value(), std::thread());
    services_.back().second = std::thread([this, s] { s->Run(&stop_); });
    return s;
  }

  // A browser signed in to S: its session cookie.
  std::string SignIn(Service* s) {
    httplib::Client c("127.0.0.1", s->port());
    const std::string url = s->SignInUrl();
    auto res = c.Get(url.substr(url.find("/signin")));
    EXPECT_TRUE(res);
    EXPECT_EQ(res->status, 303);
    const std::string cookie = res->get_header_value("Set-Cookie");
    EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
    EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
    return cookie.substr(0, cookie.find(';'));
  }

  httplib::Headers Browser(Service* s, const std::string& cookie) {
    return {{"Cookie", cookie}, {"Origin", "http://127.0.0.1:" + std::to_string(s->port())}};
  }

  json Call(Service* s, const std::string& cookie, const std::string& method, const std::string& path,
            const json& body = json(), int want = 200) {
    httplib::Client c("127.0.0.1", s->port());
    c.set_read_timeout(30, 0);
    auto res = method == "GET" ? c.Get(path, Browser(s, cookie))
                               : c.Post(path, Browser(s, cookie), body.dump(), "application/json");
    EXPECT_TRUE(res);
    if (!res) return json();
    EXPECT_EQ(res->status, want) << path << " " << res->body;
    return json::parse(res->body, nullptr, false);
  }

  std::string Upload(Service* s, const std::string& cookie,
                     const std::vector<std::pair<std::string, std::string>>& files, int want = 200) {
    httplib::Client c("127.0.0.1", s->port());
    httplib::MultipartFormDataItems items;
    for (const auto& [name, content] : files) items.push_back({"files", content, name, "application/octet-stream"});
    auto res = c.Post("/api/uploads", Browser(s, cookie), items);
    EXPECT_TRUE(res);
    if (!res) return "";
    EXPECT_EQ(res->status, want) << res->body;
    auto body = json::parse(res->body, nullptr, false);
    return res->status == 200 ? body["upload"].get<std::string>() : body["error"]["reason"].get<std::string>();
  }

  testing::InProcessExchange x_;
  std::atomic<bool> stop_{false};
  std::vector<std::pair<std::unique_ptr<Service>, std::thread>> services_;
  Service* a_ = nullptr;
  Service* b_ = nullptr;
};

TEST_F(ServiceTest, NobodyButTheSignedInUserGetsAnything) {
  httplib::Client c("127.0.0.1", a_->port());
  auto anonymous = c.Get("/api/inbox");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  EXPECT_EQ(json::parse(anonymous->body)["error"]["reason"], "signin_required");
  EXPECT_EQ(c.Get("/")->status, 401);
  EXPECT_EQ(c.Get("/signin?token=forged")->status, 401);
  // DNS rebinding: a page of evil.example resolved to 127.0.0.1.
  EXPECT_EQ(c.Get("/api/inbox", {{"Host", "evil.example:" + std::to_string(a_->port())}})->status, 421);
  const std::string url = a_->SignInUrl();
  const std::string path = url.substr(url.find("/signin"));
  EXPECT_EQ(c.Get(path)->status, 303);
  EXPECT_EQ(c.Get(path)->status, 401);  // the address works once
  const std::string cookie = SignIn(a_);
  EXPECT_EQ(Call(a_, cookie, "GET", "/api/home")["name"], "居宅介護支援A");
  // Another origin's page cannot change anything, even with the cookie.
  auto cross = c.Post("/api/drafts/delete", {{"Cookie", cookie}, {"Origin", "http://evil.example"}}, "{\"id\":\"x\"}",
                      "application/json");
  EXPECT_EQ(cross->status, 403);
  EXPECT_EQ(json::parse(cross->body)["error"]["reason"], "cross_origin");
  EXPECT_EQ(c.Post("/api/fetch", {{"Cookie", cookie}}, "{\"ids\":[]}", "application/json")->status, 403);
  // Pages say what may run in them.
  auto page = c.Get("/api/home", {{"Cookie", cookie}});
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  // Care software: the API token, readable only by this user.
  auto token = Auth::LoadOrCreateApiToken(x_.Sub("home-a"), Env::Default());
  ASSERT_TRUE(token.ok());
  auto api = c.Get("/api/sent", {{"Authorization", "Bearer " + *token}});
  EXPECT_EQ(api->status, 200);
  EXPECT_EQ(c.Get("/api/sent", {{"Authorization", "Bearer " + std::string(64, '0')}})->status, 401);
  EXPECT_EQ(Call(a_, cookie, "POST", "/api/drafts/delete", json(), 400)["error"]["reason"], "bad_request");
  httplib::Client raw("127.0.0.1", a_->port());
  auto garbage = raw.Post("/api/check", Browser(a_, cookie), "{not json", "application/json");
  EXPECT_EQ(garbage->status, 400);
}

// Care software's way in (docs/api.md): the API token, and nothing else.
TEST_F(ServiceTest, TheApiRefusesNoTokenAWrongTokenAForeignHostAndBadJson) {
  auto token = Auth::LoadOrCreateApiToken(x_.Sub("home-a"), Env::Default());
  ASSERT_TRUE(token.ok());
  const std::string port = std::to_string(a_->port());
  httplib::Client c("127.0.0.1", a_->port());
  auto none = c.Post("/api/send", "{\"paths\":[]}", "application/json");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(json::parse(none->body)["error"]["reason"], "signin_required");
  auto wrong = c.Get("/api/inbox", {{"Authorization", "Bearer " + token->substr(0, token->size() - 1) + "x"}});
  EXPECT_EQ(wrong->status, 401);
  EXPECT_EQ(c.Get("/api/inbox", {{"Authorization", "Token " + *token}})->status, 401);
  auto foreign = c.Get("/api/inbox", {{"Authorization", "Bearer " + *token}, {"Host", "evil.example:" + port}});
  EXPECT_EQ(foreign->status, 421);
  const httplib::Headers ok = {{"Authorization", "Bearer " + *token}};
  auto bad = c.Post("/api/send", ok, "{\"paths\": [", "application/json");
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(json::parse(bad->body)["error"]["reason"], "bad_request");
  EXPECT_EQ(c.Post("/api/send", ok, "[1,2]", "application/json")->status, 400);
  // The right token on the right Host: served, with no Origin needed.
  EXPECT_EQ(c.Get("/api/home", ok)->status, 200);
}

TEST_F(ServiceTest, SendFromTheBrowserAndSeeItArriveLive) {
  const std::string ca = SignIn(a_), cb = SignIn(b_);
  // B's open 受信一覧 listens for new mail.
  std::atomic<bool> got_mail{false};
  std::thread listener([&] {
    httplib::Client c("127.0.0.1", b_->port());
    c.set_read_timeout(30, 0);
    std::string seen;
    c.Get("/api/events", Browser(b_, cb), [&](const char* data, size_t n) {
      seen.append(data, n);
      if (seen.find("event: mail") != std::string::npos) got_mail = true;
      return !got_mail.load();
    });
  });
  const std::string upload = Upload(a_, ca, {{"計画書.pdf", "%PDF-1.7\nplan"}});
  json check = Call(a_, ca, "POST", "/api/check", {{"upload", upload}, {"to", "1299999999"}});
  EXPECT_TRUE(check["ok"]);
  EXPECT_EQ(check["recipient_name"], "訪問介護B");
  EXPECT_TRUE(check["can_receive"]);
  json sent = Call(a_, ca, "POST", "/api/send", {{"upload", upload}, {"to", "1299999999"}, {"message", "よろしく"}});
  ASSERT_TRUE(sent.contains("id"));
  EXPECT_TRUE(Env::Default()->GetChildren(x_.Sub("home-a/uploads")).empty());  // no copy kept
  listener.join();
  EXPECT_TRUE(got_mail);
  json inbox = Call(b_, cb, "GET", "/api/inbox");
  ASSERT_EQ(inbox["items"].size(), 1u);
  EXPECT_EQ(inbox["items"][0]["message"], "よろしく");
  EXPECT_TRUE(inbox["items"][0]["new"]);
  EXPECT_TRUE(Call(b_, cb, "GET", "/api/inbox")["items"][0]["new"]);  // stays new until downloaded
  json fetched = Call(b_, cb, "POST", "/api/fetch", {{"ids", {sent["id"]}}});
  ASSERT_TRUE(fetched["results"][0]["ok"]) << fetched.dump();
  EXPECT_EQ(*ReadFile(x_.Sub("dl-b/計画書.pdf")), "%PDF-1.7\nplan");
  json again = Call(b_, cb, "POST", "/api/fetch", {{"ids", {sent["id"]}}});
  EXPECT_FALSE(again["results"][0]["ok"]);
  EXPECT_EQ(again["results"][0]["error"]["reason"], "already_downloaded");
  json outbox = Call(a_, ca, "GET", "/api/sent");
  EXPECT_EQ(outbox["items"][0]["state"], "downloaded");
  EXPECT_TRUE(outbox["items"][0]["receipt"]);
  EXPECT_TRUE(Call(a_, ca, "GET", "/api/receipt?id=" + sent["id"].get<std::string>())["verified"]);
}

TEST_F(ServiceTest, BadUploadsAreRefusedAndLeaveNothing) {
  const std::string ca = SignIn(a_);
  // A path in the name keeps only its last part, inside the upload's folder.
  const std::string kept = Upload(a_, ca, {{"../../escape.pdf", "x"}});
  EXPECT_TRUE(Env::Default()->FileExists(x_.Sub("home-a/uploads/" + kept + "/escape.pdf")));
  EXPECT_EQ(Upload(a_, ca, {{".hidden.pdf", "x"}}, 400), "usage");
  EXPECT_EQ(Upload(a_, ca, {{"same.pdf", "x"}, {"same.pdf", "y"}}, 400), "usage");
  httplib::Client c("127.0.0.1", a_->port());
  auto plain = c.Post("/api/uploads", Browser(a_, ca), "not multipart", "text/plain");
  EXPECT_EQ(plain->status, 400);
  EXPECT_FALSE(Env::Default()->FileExists(x_.Sub("escape.pdf")));
  EXPECT_EQ(Call(a_, ca, "POST", "/api/check", {{"upload", "01AAAAAAAAAAAAAAAAAAAAAAAA"}}, 404)["error"]["reason"],
            "upload_not_found");
  EXPECT_EQ(Call(a_, ca, "POST", "/api/send", {{"upload", 7}}, 400)["error"]["reason"], "bad_request");
  // A file really named *.part is a file like any other.
  const std::string part = Upload(a_, ca, {{"report.part", "x"}, {"report", "y"}});
  EXPECT_EQ(Call(a_, ca, "POST", "/api/check", {{"upload", part}, {"to", "1299999999"}})["files"].size(), 2u);
  // Bodies other than uploads are refused from their header, before they are read.
  const std::string origin = "Origin: http://127.0.0.1:" + std::to_string(a_->port()) + "\r\n";
  const std::string head = "POST /api/check HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(a_->port()) +
                           "\r\nCookie: " + ca + "\r\n" + origin + "Content-Type: application/json\r\n";
  EXPECT_EQ(RawStatus(a_->port(), head + "Content-Length: 2097152\r\n\r\n"), 413);
  EXPECT_EQ(RawStatus(a_->port(), head + "Transfer-Encoding: chunked\r\n\r\n"), 413);
}

// Uploads go once nothing refers to them (R13), and never while a draft
// still does: not when the page discards them, not when a restarted agent
// clears what is a day old, not when another draft's send releases them.
TEST_F(ServiceTest, UploadsADraftRefersToStayUntilTheDraftGoes) {
  const std::string ca = SignIn(a_);
  const std::string kept = Upload(a_, ca, {{"計画書.pdf", "%PDF-1.7\nplan"}});
  const std::string loose = Upload(a_, ca, {{"古い.pdf", "%PDF-1.7\nold"}});
  const std::string discarded = Upload(a_, ca, {{"変更前.pdf", "%PDF-1.7\nbefore"}});
  json draft = Call(a_, ca, "POST", "/api/drafts", {{"upload", kept}, {"to", "1299999999"}, {"message", "下書き"}});
  json twin = Call(a_, ca, "POST", "/api/drafts", {{"upload", kept}, {"to", "1299999999"}, {"message", "写し"}});
  const auto exists = [&](const std::string& id) { return Env::Default()->FileExists(x_.Sub("home-a/uploads/" + id)); };

  Call(a_, ca, "POST", "/api/uploads/discard", {{"upload", kept}});
  Call(a_, ca, "POST", "/api/uploads/discard", {{"upload", discarded}});
  EXPECT_TRUE(exists(kept));
  EXPECT_FALSE(exists(discarded));

  // A day and more later a second agent process starts on the same home.
  x_.env()->Advance(2 * 86400 * 1000);
  ServeOptions so;
  so.home = x_.Sub("home-a");
  so.listen = "127.0.0.1:0";
  so.env = x_.env();
  ASSERT_TRUE(Service::Start(so).ok());
  EXPECT_TRUE(exists(kept));
  EXPECT_FALSE(exists(loose));

  // Sending one draft leaves the files the other still needs.
  const std::string again = SignIn(a_);  // the first session has ended
  Call(a_, again, "POST", "/api/drafts/send", {{"id", draft["id"]}});
  EXPECT_TRUE(exists(kept));
  json ready = Call(a_, again, "GET", "/api/drafts");
  ASSERT_EQ(ready["items"].size(), 1u);
  EXPECT_TRUE(ready["items"][0]["ready"].get<bool>()) << ready.dump();
  Call(a_, again, "POST", "/api/drafts/send", {{"id", twin["id"]}});
  EXPECT_FALSE(exists(kept));
  EXPECT_EQ(Call(a_, again, "POST", "/api/uploads/discard", {{"upload", "../x"}}, 404)["error"]["reason"],
            "upload_not_found");
}

// docs/openapi.yaml describes the API the service serves: every path and
// method it lists is answered (not 404), and every row of docs/api.md's
// table is in it.
TEST_F(ServiceTest, TheOpenApiDocumentMatchesTheRoutes) {
  const YAML::Node doc = YAML::LoadFile(std::string(TAYORI_SOURCE_DIR) + "/docs/openapi.yaml");
  const std::string table = *ReadFile(std::string(TAYORI_SOURCE_DIR) + "/docs/api.md");
  const std::string ca = SignIn(a_);
  httplib::Client c("127.0.0.1", a_->port());
  c.set_read_timeout(30, 0);
  int checked = 0;
  for (const auto& path : doc["paths"]) {
    const std::string p = path.first.as<std::string>();
    for (const auto& op : path.second) {
      const std::string method = op.first.as<std::string>();
      const std::string row = "| " + std::string(method == "get" ? "GET" : "POST") + " `" + p;
      EXPECT_NE(table.find(row), std::string::npos) << row << " is not in docs/api.md";
      if (p == "/api/events") continue;  // a stream: answered in SendFromTheBrowserAndSeeItArriveLive
      auto res = method == "get" ? c.Get(p, Browser(a_, ca)) : c.Post(p, Browser(a_, ca), "{}", "application/json");
      ASSERT_TRUE(res) << method << " " << p;
      // A route that exists answers, if at all with 404, with an API error.
      EXPECT_TRUE(res->status != 404 || res->body.find("\"reason\"") != std::string::npos)
          << method << " " << p << " " << res->status << " " << res->body;
      ++checked;
    }
  }
  EXPECT_GE(checked, 20);
}

}  // namespace
}  // namespace tayori::agent::serve
