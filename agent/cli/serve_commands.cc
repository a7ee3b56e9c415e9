// tayori-agent serve / open: the long-running service with the staff
// screens, and a fresh sign-in address for them (docs/api.md).
#include <atomic>
#include <cstdio>
#include <cstdlib>

#include <httplib.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "agent/cli/commands.h"
#include "agent/cli/output.h"
#include "agent/serve/auth.h"
#include "agent/serve/service.h"
#include "common/port/port.h"

namespace tayori::agent::cli {
namespace {

std::string g_listen;
std::atomic<bool> g_stop{false};

std::string UrlFile(const std::string& home) { return home + "/serve.url"; }

}  // namespace

void AddServeOptions(CLI::App* cmd) {
  cmd->add_option("--listen", g_listen, "127.0.0.1:PORT for the screens (default: listen in agent.yaml; 0 picks one)");
}

int RunServe(const Context& ctx) {
  serve::ServeOptions o;
  o.home = ctx.home;
  o.listen = g_listen;
  o.env = ctx.env;
  auto service = serve::Service::Start(o);
  if (!service.ok()) return Fail(service.status());
  const std::string base = "http://127.0.0.1:" + std::to_string((*service)->port());
  Status st = ctx.env->WriteFileAtomic(UrlFile(ctx.home), base + "\n", 0600);
  if (!st.ok()) return Fail(st);
  std::printf(J() ? "画面を開くには、次のアドレスをブラウザで開いてください（1回限り有効）。\n"
                  : "Open this address in the browser to use the screens (it works once).\n");
  std::printf("url: %s\n", (*service)->SignInUrl().c_str());
  std::fflush(stdout);
  port::StopOnInterrupt(&g_stop);
  (*service)->Run(&g_stop);
  (void)ctx.env->RemoveFile(UrlFile(ctx.home));
  return 0;
}

void AddOpenOptions(CLI::App*) {}

// Asks the running service for a fresh sign-in address (with the API
// token only this user can read), prints it and opens the browser.
int RunOpen(const Context& ctx) {
  auto base = ctx.env->ReadFile(UrlFile(ctx.home));
  auto token = serve::Auth::LoadOrCreateApiToken(ctx.home, ctx.env);
  if (!base.ok()) {
    return Fail(FailedPrecondition("serve_not_running", "no tayori-agent serve runs for " + ctx.home));
  }
  if (!token.ok()) return Fail(token.status());
  std::string url = *base;
  while (!url.empty() && (url.back() == '\n' || url.back() == '\r')) url.pop_back();
  httplib::Client client(url);
  client.set_connection_timeout(5, 0);
  const std::string host = url.substr(url.find("//") + 2);
  auto res =
      client.Post("/api/signin-url", {{"Authorization", "Bearer " + *token}, {"Host", host}}, "{}", "application/json");
  if (!res || res->status != 200) {
    return Fail(FailedPrecondition("serve_not_running", "tayori-agent serve does not answer at " + url));
  }
  auto body = nlohmann::json::parse(res->body, nullptr, false);
  if (body.is_discarded() || !body.contains("url")) return Fail(Internal("unexpected answer from serve"));
  const std::string signin = body["url"].get<std::string>();
  std::printf("url: %s\n", signin.c_str());
  port::OpenBrowser(signin);
  return 0;
}

}  // namespace tayori::agent::cli
