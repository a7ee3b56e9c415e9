// The port layer on Linux (port.h).
#include <arpa/inet.h>
#include <fcntl.h>
#include <iconv.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <malloc.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/port/port.h"

namespace tayori::port {
namespace {

std::atomic<bool>* g_stop_flag = nullptr;

void OnSignal(int) {
  if (g_stop_flag != nullptr) g_stop_flag->store(true);
}

}  // namespace

std::vector<std::string> Utf8Arguments(int argc, char** argv) { return {argv, argv + argc}; }

void StopOnInterrupt(std::atomic<bool>* flag) {
  g_stop_flag = flag;
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
}

bool IsTerminal(int fd) { return ::isatty(fd) != 0; }

int ProcessId() { return static_cast<int>(::getpid()); }

std::string HomeDir() {
  const char* home = std::getenv("HOME");
  return home != nullptr && *home != '\0' ? home : ".";
}

std::string UserStateBase() {
  const char* xdg = std::getenv("XDG_STATE_HOME");
  if (xdg != nullptr && *xdg == '/') return xdg;
  return HomeDir() + "/.local/state";
}

bool IsAbsolutePath(const std::string& path) { return !path.empty() && path[0] == '/'; }

std::string AbsolutePath(const std::string& path) {
  if (IsAbsolutePath(path)) return path;
  char buf[4096];
  if (::getcwd(buf, sizeof buf) == nullptr) return path;
  return std::string(buf) + "/" + path;
}

bool IsPathSeparator(char c) { return c == '/'; }

std::string DisplayPath(const std::string& path) { return path; }

void OpenBrowser(const std::string& url) {
  if (std::getenv("DISPLAY") == nullptr && std::getenv("WAYLAND_DISPLAY") == nullptr) return;
  // URL is the service's own sign-in address: digits, letters, ':/?=&.'.
  const std::string command = "xdg-open '" + url + "' >/dev/null 2>&1 &";
  (void)std::system(command.c_str());
}

void* AllocatePages(size_t bytes) {
  // MAP_POPULATE: one system call maps every page, where first writes
  // would fault each in on its own (a bulk send writes hundreds of MB).
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

void FreePages(void* p, size_t bytes) {
  if (p != nullptr) ::munmap(p, bytes);
}

Cp932ToUtf8::Cp932ToUtf8() {
  iconv_t cd = iconv_open("UTF-8", "CP932");
  if (cd != reinterpret_cast<iconv_t>(-1)) handle_ = cd;
}

Cp932ToUtf8::~Cp932ToUtf8() {
  if (handle_ != nullptr) iconv_close(static_cast<iconv_t>(handle_));
}

bool Cp932ToUtf8::Convert(std::string_view bytes, std::string* utf8, size_t* bad_offset) {
  *bad_offset = 0;
  if (handle_ == nullptr) return false;
  iconv_t cd = static_cast<iconv_t>(handle_);
  iconv(cd, nullptr, nullptr, nullptr, nullptr);
  utf8->resize(bytes.size() * 3 + 4);
  char* in = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  char* out = utf8->data();
  size_t out_left = utf8->size();
  if (iconv(cd, &in, &in_left, &out, &out_left) == static_cast<size_t>(-1)) {
    *bad_offset = bytes.size() - in_left;
    return false;
  }
  utf8->resize(utf8->size() - out_left);
  return true;
}

void TuneAllocator() {
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
}

std::optional<uint64_t> TcpBytesReceived(int fd) {
  struct tcp_info info {};
  socklen_t len = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return std::nullopt;
  if (len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof info.tcpi_bytes_received) return std::nullopt;
  return info.tcpi_bytes_received;
}

uint64_t SocketUnread(int fd) {
  int unread = 0;
  if (::ioctl(fd, SIOCINQ, &unread) != 0 || unread < 0) return 0;
  return static_cast<uint64_t>(unread);
}

std::string SocketPeer(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "";
  char host[INET6_ADDRSTRLEN] = {};
  int port = 0;
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    port = ntohs(a->sin6_port);
  } else {
    return "";
  }
  return std::string(host) + ":" + std::to_string(port);
}

std::string AddressNetwork(const std::string& address) {
  char text[INET6_ADDRSTRLEN] = {};
  in_addr v4{};
  if (::inet_pton(AF_INET, address.c_str(), &v4) == 1) return address;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, address.c_str(), &v6) != 1) return "";
  if (IN6_IS_ADDR_V4MAPPED(&v6)) {
    ::inet_ntop(AF_INET, &v6.s6_addr[12], text, sizeof text);
    return text;
  }
  std::memset(&v6.s6_addr[8], 0, 8);
  ::inet_ntop(AF_INET6, &v6, text, sizeof text);
  return std::string(text) + "/64";
}

std::string PeerNetwork(const std::string& peer) {
  const size_t colon = peer.rfind(':');
  return colon == std::string::npos ? "" : AddressNetwork(peer.substr(0, colon));
}

int SocketLocalPort(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
  return 0;
}

int OpenSpareDescriptor() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

void CloseDescriptor(int fd) {
  if (fd >= 0) ::close(fd);
}

bool ShutdownSocket(int fd, const std::string& peer, int slot, int parked) {
  if (slot < 0 || parked < 0 || ::dup3(fd, slot, O_CLOEXEC) < 0) return false;
  const bool same = !peer.empty() && SocketPeer(slot) == peer;
  if (same) ::shutdown(slot, SHUT_RDWR);
  ::dup3(parked, slot, O_CLOEXEC);
  return same;
}

uint64_t RaiseOpenFileLimit() {
  struct rlimit r {};
  if (::getrlimit(RLIMIT_NOFILE, &r) != 0) return 0;
  if (r.rlim_cur < r.rlim_max) {
    struct rlimit raised = r;
    raised.rlim_cur = r.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) r = raised;
  }
  return r.rlim_cur == RLIM_INFINITY ? UINT64_MAX : static_cast<uint64_t>(r.rlim_cur);
}

bool HeapBytes(uint64_t* in_use, uint64_t* free_held) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  const struct mallinfo2 m = mallinfo2();
  *in_use = m.uordblks + m.hblkhd;  // blocks in the arenas, and mapped blocks
  *free_held = m.fordblks;
  return true;
#else
  return false;
#endif
}

bool ReleaseFreeHeap() {
#if defined(__GLIBC__)
  ::malloc_trim(0);
  return true;
#else
  return false;
#endif
}

uint64_t ResidentBytes() {
  const int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[128];
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  unsigned long long size = 0, resident = 0;  // in pages: the whole mapping, then what is resident
  if (std::sscanf(buf, "%llu %llu", &size, &resident) != 2) return 0;
  const long page = ::sysconf(_SC_PAGESIZE);
  return page > 0 ? resident * static_cast<uint64_t>(page) : 0;
}

bool TcpByteCountsAvailable() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  const bool counted = TcpBytesReceived(fd).has_value();
  ::close(fd);
  return counted;
}

}  // namespace tayori::port
