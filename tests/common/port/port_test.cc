#include "common/port/port.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "common/env.h"
#include "tests/support/test_util.h"

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

TEST(PortTest, ResidentBytesFollowPagesWritten) {
  const uint64_t before = ResidentBytes();
  ASSERT_GT(before, 0u);
  constexpr size_t kBytes = 64 << 20;
  char* p = static_cast<char*>(AllocatePages(kBytes));
  ASSERT_NE(p, nullptr);
  std::memset(p, 'r', kBytes);
  const uint64_t written = ResidentBytes();
  FreePages(p, kBytes);
  EXPECT_GE(written, before + kBytes * 9 / 10);
  EXPECT_LT(ResidentBytes(), written - kBytes * 9 / 10);
}

// Free space between blocks still held stays resident until handed back.
TEST(PortTest, FreeHeapPagesGoBackToTheSystem) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "the sanitizer's allocator stands in for the C heap";
#endif
  uint64_t in_use = 0, free_held = 0;
  if (!HeapBytes(&in_use, &free_held)) GTEST_SKIP() << "the allocator gives no figures here";
  // 96 MiB in blocks of 64 KiB (in the heap, below the mapping threshold),
  // written, then all but every 16th freed.
  constexpr size_t kBlock = 64 << 10;
  std::vector<char*> blocks;
  for (int i = 0; i < 1536; ++i) {
    blocks.push_back(static_cast<char*>(std::malloc(kBlock)));
    ASSERT_NE(blocks.back(), nullptr);
    std::memset(blocks.back(), 1, kBlock);
  }
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (i % 16 == 0) continue;
    std::free(blocks[i]);
    blocks[i] = nullptr;
  }
  const long before = tayori::testing::ProcStatusKb(getpid(), "VmRSS");
  ASSERT_TRUE(ReleaseFreeHeap());
  const long after = tayori::testing::ProcStatusKb(getpid(), "VmRSS");
  EXPECT_GT(before - after, 48 * 1024) << "RSS " << before << " KiB before, " << after << " KiB after";
  for (char* b : blocks) std::free(b);
}

TEST(PortTest, ArgumentsPassThroughAsGiven) {
  char a0[] = "tayori-agent", a1[] = "send", a2[] = "利用票.csv";
  char* argv[] = {a0, a1, a2};
  const std::vector<std::string> args = Utf8Arguments(3, argv);
  ASSERT_EQ(args.size(), 3u);
  EXPECT_EQ(args[2], "利用票.csv");
  EXPECT_GT(ProcessId(), 0);
}

// ADDRESS (text) of FAMILY with PORT, in *A; its length, 0 if not an address.
socklen_t Address(int family, const char* address, uint16_t port, sockaddr_storage* a) {
  *a = {};
  a->ss_family = static_cast<sa_family_t>(family);
  if (family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(a);
    in->sin_port = htons(port);
    return ::inet_pton(AF_INET, address, &in->sin_addr) == 1 ? sizeof(sockaddr_in) : 0;
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(a);
  in6->sin6_port = htons(port);
  return ::inet_pton(AF_INET6, address, &in6->sin6_addr) == 1 ? sizeof(sockaddr_in6) : 0;
}

// The listener's side of a TCP connection to TO (IPv6 when V6, also open
// to IPv4 when DUAL) from a client bound to FROM (IPv6 when FROM_V6): -1 if
// the system has no such addresses. *CLIENT is the client's descriptor.
int Accepted(const char* to, bool v6, bool dual, const char* from, bool from_v6, int* client) {
  sockaddr_storage a{};
  socklen_t len = Address(v6 ? AF_INET6 : AF_INET, to, 0, &a);
  const int listener = ::socket(a.ss_family, SOCK_STREAM, 0);
  const int only = dual ? 0 : 1;
  if (v6) ::setsockopt(listener, IPPROTO_IPV6, IPV6_V6ONLY, &only, sizeof only);
  if (listener < 0 || len == 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
      ::listen(listener, 1) != 0) {
    if (listener >= 0) ::close(listener);
    return -1;
  }
  const uint16_t port = static_cast<uint16_t>(SocketLocalPort(listener));
  const int family = from_v6 ? AF_INET6 : AF_INET;
  *client = ::socket(family, SOCK_STREAM, 0);
  sockaddr_storage source{}, dest{};
  const socklen_t source_len = Address(family, from, 0, &source);
  const socklen_t dest_len = Address(family, dual ? "127.0.0.1" : to, port, &dest);
  int fd = -1;
  if (*client >= 0 && source_len != 0 && dest_len != 0 &&
      ::bind(*client, reinterpret_cast<sockaddr*>(&source), source_len) == 0 &&
      ::connect(*client, reinterpret_cast<sockaddr*>(&dest), dest_len) == 0) {
    fd = ::accept(listener, nullptr, nullptr);
  }
  ::close(listener);
  return fd;
}

// Connections are counted by the address they come from; IPv6 ones by
// their /64.
TEST(PortTest, PeersAreCountedByAddressAndIpv6ByItsNetwork) {
  int client = -1;
  int fd = Accepted("127.0.0.1", false, false, "127.0.0.2", false, &client);
  ASSERT_GE(fd, 0) << "no loopback";
  EXPECT_EQ(PeerNetwork(SocketPeer(fd)), "127.0.0.2");
  EXPECT_EQ(SocketPeer(fd).rfind("127.0.0.2:", 0), 0u) << SocketPeer(fd);
  ::close(fd);
  ::close(client);
  EXPECT_EQ(PeerNetwork(SocketPeer(fd)), "");  // closed: no peer
  EXPECT_EQ(PeerNetwork(SocketPeer(-1)), "");

  // An IPv4 client of a dual-stack listener arrives mapped into IPv6.
  fd = Accepted("::", true, true, "127.0.0.1", false, &client);
  if (fd >= 0) {
    EXPECT_EQ(PeerNetwork(SocketPeer(fd)), "127.0.0.1");
    ::close(fd);
  }
  if (client >= 0) ::close(client);
  fd = Accepted("::1", true, false, "::1", true, &client);
  if (fd < 0) {
    if (client >= 0) ::close(client);
    GTEST_SKIP() << "no IPv6 loopback here";
  }
  EXPECT_EQ(PeerNetwork(SocketPeer(fd)), "::/64");
  ::close(fd);
  ::close(client);
}

TEST(PortTest, AnIpv6AddressBelongsToItsSlash64) {
  EXPECT_EQ(AddressNetwork("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(AddressNetwork("::ffff:192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(AddressNetwork("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(AddressNetwork("2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
  EXPECT_EQ(AddressNetwork("2001:db8:1:3::1"), "2001:db8:1:3::/64");  // the next /64 is another
  for (const char* garbage : {"", "2001:db8::1:", "192.0.2", "localhost", "1.2.3.4:80", "[::1]", "fe80::1%eth0"}) {
    EXPECT_EQ(AddressNetwork(garbage), "") << garbage;
  }
}

}  // namespace
}  // namespace tayori::port
