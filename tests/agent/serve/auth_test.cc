// Auth (agent/serve/auth.h): one-time sign-in, sessions, and the Host,
// Origin and cookie checks, with garbage.
#include "agent/serve/auth.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/support/test_util.h"

namespace tayori::agent::serve {
namespace {

TEST(AuthTest, SignInTokensWorkOnceAndNotForLong) {
  FakeEnv env(0);
  Auth auth(&env, RandomToken());
  const std::string token = auth.NewSignInToken();
  EXPECT_EQ(token.size(), 64u);
  const std::string session = auth.SignIn(token);
  EXPECT_TRUE(auth.IsSession(session));
  EXPECT_EQ(auth.SignIn(token), "");  // once
  const std::string late = auth.NewSignInToken();
  env.AdvanceMonotonic(Auth::kSignInMillis + 1);
  EXPECT_EQ(auth.SignIn(late), "");
  for (const std::string& bad : {std::string(""), std::string("x"), std::string(64, 'a'), session + "0"}) {
    EXPECT_FALSE(auth.IsSession(bad)) << bad;
    EXPECT_EQ(auth.SignIn(bad), "");
  }
}

TEST(AuthTest, SessionsSurviveARestartUntilTheyEnd) {
  testing::TempDir dir;
  FakeEnv env(1000 * 1000);
  std::string session;
  {
    Auth auth(&env, RandomToken(), dir.Sub("sessions"));
    session = auth.SignIn(auth.NewSignInToken());
  }
  ASSERT_TRUE(env.WriteFileAtomic(dir.Sub("sessions"), *env.ReadFile(dir.Sub("sessions")) + "garbage line\n\n" +
                                                           std::string(64, 'f') + " " + std::string(24, '9') + "\n")
                  .ok());
  Auth restarted(&env, RandomToken(), dir.Sub("sessions"));
  EXPECT_TRUE(restarted.IsSession(session));
  env.Advance((Auth::kSessionSeconds + 1) * 1000);
  EXPECT_FALSE(restarted.IsSession(session));
}

TEST(AuthTest, ApiTokenIsKeptForTheUserOnly) {
  testing::TempDir dir;
  auto token = Auth::LoadOrCreateApiToken(dir.path(), Env::Default());
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(*Auth::LoadOrCreateApiToken(dir.path(), Env::Default()), *token);
  struct stat st {};
  ASSERT_EQ(::stat((dir.path() + "/api.token").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  Auth auth(Env::Default(), *token);
  EXPECT_TRUE(auth.IsApiToken(*token));
  EXPECT_FALSE(auth.IsApiToken(""));
  EXPECT_FALSE(auth.IsApiToken(token->substr(1)));
}

TEST(AuthTest, HostOriginAndCookie) {
  EXPECT_TRUE(HostAllowed("127.0.0.1:8080", 8080));
  EXPECT_TRUE(HostAllowed("localhost:8080", 8080));
  for (const char* bad :
       {"", "127.0.0.1", "127.0.0.1:8081", "evil.example:8080", "127.0.0.1:8080.evil", "LOCALHOST:8080"}) {
    EXPECT_FALSE(HostAllowed(bad, 8080)) << bad;
  }
  EXPECT_TRUE(OriginAllowed("http://127.0.0.1:8080", 8080));
  for (const char* bad : {"", "null", "http://evil.example", "https://127.0.0.1:8080", "http://127.0.0.1:8080/x"}) {
    EXPECT_FALSE(OriginAllowed(bad, 8080)) << bad;
  }
  EXPECT_EQ(CookieValue("a=1; tayori_session=abc; b=2", "tayori_session"), "abc");
  EXPECT_EQ(CookieValue("xtayori_session=abc", "tayori_session"), "");
  EXPECT_EQ(CookieValue(";;;=", "tayori_session"), "");
}

}  // namespace
}  // namespace tayori::agent::serve
