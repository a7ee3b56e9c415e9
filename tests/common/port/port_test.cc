#include "common/port/port.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>

#include "common/env.h"

namespace tayori::port {
namespace {

TEST(PortTest, PathsSplitAtTheSeparator) {
  EXPECT_EQ(DirName("a/b/c.csv"), "a/b");
  EXPECT_EQ(BaseName("a/b/c.csv"), "c.csv");
  EXPECT_EQ(DirName("/c.csv"), "/");
  EXPECT_EQ(DirName("c.csv"), ".");
  EXPECT_EQ(BaseName("c.csv"), "c.csv");
  EXPECT_EQ(BaseName("a/"), "");
  EXPECT_TRUE(IsPathSeparator('/'));
  // On Linux a backslash is part of a file name.
  EXPECT_FALSE(IsPathSeparator('\\'));
  EXPECT_EQ(BaseName("C:\\data\\x.csv"), "C:\\data\\x.csv");
  EXPECT_EQ(DisplayPath("/home/x/受信/a.csv"), "/home/x/受信/a.csv");
}

TEST(PortTest, RelativePathsAreMadeAbsoluteAgainstTheCurrentFolder) {
  EXPECT_TRUE(IsAbsolutePath("/tmp/x"));
  EXPECT_FALSE(IsAbsolutePath("x/y"));
  EXPECT_FALSE(IsAbsolutePath(""));
  EXPECT_EQ(AbsolutePath("/tmp/x"), "/tmp/x");
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  EXPECT_EQ(AbsolutePath("x/y"), std::string(cwd) + "/x/y");
}

TEST(PortTest, StateFolderFollowsXdgOnlyWhenAbsolute) {
  const char* old = std::getenv("XDG_STATE_HOME");
  const std::string saved = old != nullptr ? old : "";
  ::setenv("XDG_STATE_HOME", "/srv/state", 1);
  EXPECT_EQ(UserStateBase(), "/srv/state");
  EXPECT_EQ(DefaultStateDir(), "/srv/state/tayori");
  ::setenv("XDG_STATE_HOME", "relative/state", 1);
  EXPECT_EQ(UserStateBase(), HomeDir() + "/.local/state");
  if (old != nullptr) {
    ::setenv("XDG_STATE_HOME", saved.c_str(), 1);
  } else {
    ::unsetenv("XDG_STATE_HOME");
  }
}

TEST(PortTest, InterruptAndTerminateSetTheStopFlag) {
  static std::atomic<bool> stop{false};
  StopOnInterrupt(&stop);
  ASSERT_EQ(std::raise(SIGINT), 0);
  EXPECT_TRUE(stop.load());
  stop = false;
  ASSERT_EQ(std::raise(SIGTERM), 0);
  EXPECT_TRUE(stop.load());
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

TEST(PortTest, PagesAreZeroedAndWritable) {
  constexpr size_t kBytes = 3 << 20;
  char* p = static_cast<char*>(AllocatePages(kBytes));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p[0], 0);
  EXPECT_EQ(p[kBytes - 1], 0);
  std::memset(p, 'x', kBytes);
  EXPECT_EQ(p[kBytes / 2], 'x');
  FreePages(p, kBytes);
  FreePages(nullptr, kBytes);  // nothing to give back
}

TEST(PortTest, APageBufferOwnsItsPages) {
  PageBuffer empty;
  EXPECT_EQ(empty.size(), 0u);
  PageBuffer a(1 << 20);
  ASSERT_EQ(a.size(), size_t{1} << 20);
  EXPECT_EQ(a.data()[a.size() - 1], 0);
  std::memset(a.data(), 'y', a.size());
  PageBuffer b(std::move(a));  // moves, and frees once (ASan would see a double free)
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(b.data()[12345], 'y');
  PageBuffer c(4096);
  c = std::move(b);
  EXPECT_EQ(c.size(), size_t{1} << 20);
  EXPECT_EQ(c.data()[0], 'y');
}

TEST(PortTest, ArgumentsPassThroughAsGiven) {
  char a0[] = "tayori-agent", a1[] = "send", a2[] = "利用票.csv";
  char* argv[] = {a0, a1, a2};
  const std::vector<std::string> args = Utf8Arguments(3, argv);
  ASSERT_EQ(args.size(), 3u);
  EXPECT_EQ(args[2], "利用票.csv");
  EXPECT_GT(ProcessId(), 0);
}

}  // namespace
}  // namespace tayori::port
