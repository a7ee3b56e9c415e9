#include "agent/serve/auth.h"

#include <charconv>

#include <sodium.h>

#include "common/ids.h"

namespace tayori::agent::serve {

std::string RandomToken() {
  std::string raw(32, '\0');
  randombytes_buf(raw.data(), raw.size());
  return ToHex(raw);
}

bool SameSecret(const std::string& a, const std::string& b) {
  return a.size() == b.size() && !a.empty() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

StatusOr<std::string> Auth::LoadOrCreateApiToken(const std::string& home, Env* env) {
  const std::string path = home + "/api.token";
  if (env->FileExists(path)) {
    ASSIGN_OR_RETURN(std::string token, env->ReadFile(path));
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    if (token.size() == 64) return token;
  }
  const std::string token = RandomToken();
  RETURN_IF_ERROR(env->WriteFileAtomic(path, token + "\n", 0600));
  return token;
}

Auth::Auth(Env* env, std::string api_token, std::string sessions_path)
    : env_(env), api_token_(std::move(api_token)), sessions_path_(std::move(sessions_path)) {
  if (sessions_path_.empty()) return;
  auto text = env_->ReadFile(sessions_path_);
  if (!text.ok()) return;
  // One session a line: secret, space, valid-until (Unix seconds). Lines
  // that do not parse are dropped.
  size_t pos = 0;
  while (pos < text->size()) {
    const size_t end = std::min(text->find('\n', pos), text->size());
    const std::string line = text->substr(pos, end - pos);
    pos = end + 1;
    const size_t space = line.find(' ');
    if (space != 64 || line.find_first_not_of("0123456789", space + 1) != std::string::npos || line.size() > 90)
      continue;
    int64_t until = 0;
    const char* digits = line.data() + 65;
    if (std::from_chars(digits, line.data() + line.size(), until).ec != std::errc()) continue;  // out of range
    sessions_[line.substr(0, 64)] = until;
  }
}

void Auth::SaveSessions() {
  if (sessions_path_.empty()) return;
  std::string text;
  const int64_t now = env_->NowSeconds();
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (it->second < now) {
      it = sessions_.erase(it);
      continue;
    }
    text += it->first + " " + std::to_string(it->second) + "\n";
    ++it;
  }
  (void)env_->WriteFileAtomic(sessions_path_, text, 0600);  // in memory it holds anyway
}

std::string Auth::NewSignInToken() {
  const std::string token = RandomToken();
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = env_->MonotonicMillis();
  for (auto it = sign_in_tokens_.begin(); it != sign_in_tokens_.end();) {
    it = it->second < now ? sign_in_tokens_.erase(it) : std::next(it);
  }
  sign_in_tokens_[token] = now + kSignInMillis;
  return token;
}

std::string Auth::SignIn(const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sign_in_tokens_.find(token);
  if (it == sign_in_tokens_.end()) return "";
  const bool fresh = it->second >= env_->MonotonicMillis();
  sign_in_tokens_.erase(it);  // once only
  if (!fresh) return "";
  const std::string secret = RandomToken();
  sessions_[secret] = env_->NowSeconds() + kSessionSeconds;
  SaveSessions();
  return secret;
}

bool Auth::IsSession(const std::string& secret) const {
  if (secret.size() != 64) return false;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(secret);
  return it != sessions_.end() && it->second >= env_->NowSeconds();
}

bool Auth::IsApiToken(const std::string& token) const { return SameSecret(token, api_token_); }

bool HostAllowed(const std::string& host, int port) {
  const std::string p = ":" + std::to_string(port);
  return host == "127.0.0.1" + p || host == "localhost" + p;
}

bool OriginAllowed(const std::string& origin, int port) {
  const std::string p = ":" + std::to_string(port);
  return origin == "http://127.0.0.1" + p || origin == "http://localhost" + p;
}

std::string CookieValue(const std::string& header, const std::string& name) {
  size_t pos = 0;
  while (pos < header.size()) {
    const size_t end = std::min(header.find(';', pos), header.size());
    std::string part = header.substr(pos, end - pos);
    const size_t start = part.find_first_not_of(' ');
    part = start == std::string::npos ? "" : part.substr(start);
    if (part.rfind(name + "=", 0) == 0) return part.substr(name.size() + 1);
    pos = end + 1;
  }
  return "";
}

}  // namespace tayori::agent::serve
