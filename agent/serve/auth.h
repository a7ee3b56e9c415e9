// Auth: who may use the agent's local web server (docs/api.md, "Who may
// call it"). Owns the one-time sign-in tokens, the session secrets of
// signed-in browsers and the API token of care software; the request
// checks against DNS rebinding (Host) and cross-site requests (Origin) are
// plain functions beside it. Thread-safe.
#ifndef TAYORI_AGENT_SERVE_AUTH_H_
#define TAYORI_AGENT_SERVE_AUTH_H_

#include <map>
#include <mutex>
#include <string>

#include "common/env.h"
#include "common/status.h"

namespace tayori::agent::serve {

class Auth {
 public:
  // A sign-in token is good once, for this long.
  static constexpr int64_t kSignInMillis = 10 * 60 * 1000;

  // A signed-in browser stays signed in this long, across restarts of the
  // agent (its sessions are kept in SESSIONS_PATH, mode 0600).
  static constexpr int64_t kSessionSeconds = 24 * 3600;

  // SESSIONS_PATH empty: sessions live in memory only.
  Auth(Env* env, std::string api_token, std::string sessions_path = "");

  // The API token kept in HOME/api.token (mode 0600), made on first use.
  static StatusOr<std::string> LoadOrCreateApiToken(const std::string& home, Env* env);

  std::string NewSignInToken();
  // Exchanges TOKEN for a new session secret; "" if the token is unknown,
  // used or stale.
  std::string SignIn(const std::string& token);
  bool IsSession(const std::string& secret) const;
  bool IsApiToken(const std::string& token) const;

 private:
  Env* const env_;
  const std::string api_token_;
  mutable std::mutex mu_;
  std::map<std::string, int64_t> sign_in_tokens_;  // token -> valid until (monotonic ms); guarded by mu_
  std::map<std::string, int64_t> sessions_;        // secret -> valid until (unix s); guarded by mu_
  const std::string sessions_path_;
  void SaveSessions();  // mu_ held
};

// 32 random bytes as hex.
std::string RandomToken();

// Host is this server: 127.0.0.1:PORT or localhost:PORT.
bool HostAllowed(const std::string& host, int port);
// Origin is this server's (http://127.0.0.1:PORT or http://localhost:PORT).
bool OriginAllowed(const std::string& origin, int port);
// The value of cookie NAME in a Cookie header ("" if absent).
std::string CookieValue(const std::string& cookie_header, const std::string& name);
// Compares in time independent of where the strings differ.
bool SameSecret(const std::string& a, const std::string& b);

}  // namespace tayori::agent::serve

#endif  // TAYORI_AGENT_SERVE_AUTH_H_
