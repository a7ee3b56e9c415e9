// The port layer: what the agent and its tools need from the operating
// system beyond files (those are Env's, env.h) where Linux and Windows
// differ. port_posix.cc and port_windows.cc implement it; the rest of the
// code has no #ifdef of its own. All text in and out is UTF-8; paths use
// '/' or, on Windows, '\' as well.
//
// Any thread may call these, but StopOnInterrupt and TuneAllocator are
// meant for main() alone.
#ifndef TAYORI_COMMON_PORT_PORT_H_
#define TAYORI_COMMON_PORT_PORT_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tayori::port {

// The command line as UTF-8. On Windows it is read from the wide command
// line (argv is in the ANSI code page, which cannot hold every Japanese
// file name), and the console is switched to UTF-8 output; elsewhere it is
// ARGV as given.
std::vector<std::string> Utf8Arguments(int argc, char** argv);

// Sets *FLAG when the user asks the program to stop: Ctrl-C or SIGTERM;
// on Windows Ctrl-C, Ctrl-Break, closing the console window, signing out
// and shutting down (for the last three the program has a few seconds to
// finish before Windows ends it). FLAG must live until the process exits.
void StopOnInterrupt(std::atomic<bool>* flag);

// True if the descriptor (1: stdout, 2: stderr) is a terminal or console.
bool IsTerminal(int fd);

int ProcessId();

// The user's home folder ($HOME; %USERPROFILE% on Windows).
std::string HomeDir();
// Where per-user program state lives: $XDG_STATE_HOME or ~/.local/state;
// %LOCALAPPDATA% on Windows.
std::string UserStateBase();

// True for "/x", and on Windows also "C:\x", "C:/x" and "\\server\x".
bool IsAbsolutePath(const std::string& path);
// PATH made absolute against the current folder.
std::string AbsolutePath(const std::string& path);
// True for the characters that separate folders in a path.
bool IsPathSeparator(char c);
// PATH as the user's own system writes it, for showing to staff: on
// Windows every '/' becomes '\\'; elsewhere PATH unchanged.
std::string DisplayPath(const std::string& path);

// Opens URL in the user's browser where there is a desktop to show it.
void OpenBrowser(const std::string& url);

// BYTES of zeroed memory in pages of their own (given back to the system
// by FreePages), or null. On Linux the pages are faulted in at once, not
// one by one as they are first written.
void* AllocatePages(size_t bytes);
void FreePages(void* p, size_t bytes);

// Pages of their own for one buffer, freed with it. Owned by its creator.
class PageBuffer {
 public:
  PageBuffer() = default;
  explicit PageBuffer(size_t bytes)
      : data_(bytes > 0 ? static_cast<char*>(AllocatePages(bytes)) : nullptr), size_(data_ ? bytes : 0) {}
  ~PageBuffer() { FreePages(data_, size_); }
  PageBuffer(PageBuffer&& o) noexcept : data_(o.data_), size_(o.size_) { o.data_ = nullptr, o.size_ = 0; }
  PageBuffer& operator=(PageBuffer&& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    return *this;
  }
  char* data() { return data_; }
  const char* data() const { return data_; }
  size_t size() const { return size_; }  // 0 when empty or the system had no memory

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
};

// Tunes the C library's allocator for the agent: buffers of a MiB stay on
// the heap, larger ones get pages of their own. Nothing to do on Windows.
void TuneAllocator();

// Code page 932 (MS932, Windows-31J) to UTF-8 with the system's own
// converter: glibc's iconv ("CP932") on Linux, code page 932 on Windows.
// One thread at a time.
class Cp932ToUtf8 {
 public:
  Cp932ToUtf8();
  ~Cp932ToUtf8();
  Cp932ToUtf8(const Cp932ToUtf8&) = delete;
  Cp932ToUtf8& operator=(const Cp932ToUtf8&) = delete;

  // False if BYTES hold a sequence the converter refuses, with *BAD_OFFSET
  // at its first byte.
  bool Convert(std::string_view bytes, std::string* utf8, size_t* bad_offset);

 private:
  void* handle_ = nullptr;  // the iconv descriptor on Linux
};

// A connected TCP socket, by its descriptor (the broker's connection guard).
// True if the system counts the bytes a TCP socket has received (Linux
// since 4.1; not Windows).
bool TcpByteCountsAvailable();
// Bytes the kernel has received on FD so far: nothing if FD is not a TCP
// socket (closed, reused for a file) or the system does not count them.
std::optional<uint64_t> TcpBytesReceived(int fd);
// Bytes received on FD that its owner has not read yet (0 if unknown).
uint64_t SocketUnread(int fd);
// "address:port" of FD's peer; empty if it has none.
std::string SocketPeer(int fd);
// The network an address (text, no port) belongs to, as the broker counts
// connections: an IPv4 address as it is (also when mapped into IPv6), an
// IPv6 address as its first 64 bits and "/64" (one network of a site);
// empty if ADDRESS is not an address.
std::string AddressNetwork(const std::string& address);
// AddressNetwork of the address in PEER, a SocketPeer ("address:port");
// empty if it has none.
std::string PeerNetwork(const std::string& peer);
// The local port FD is bound to; 0 if it is not an IP socket.
int SocketLocalPort(int fd);
// A descriptor kept open for ShutdownSocket, so that a cut needs none when
// the process has used up its descriptors; -1 if none could be opened.
int OpenSpareDescriptor();
void CloseDescriptor(int fd);
// Ends both directions of FD's connection, if its peer is still PEER,
// without closing FD, so that its owner sees the connection drop and
// closes it. SLOT and PARKED are two spare descriptors: SLOT names FD's
// socket while it is checked (FD may be closed and reused meanwhile), then
// PARKED's file again. False if FD is no longer that connection.
bool ShutdownSocket(int fd, const std::string& peer, int slot, int parked);

// Raises this process's limit on open descriptors to the most it may have
// (the broker, serving many connections). Returns the limit after: 0 if
// the system has none to tell (Windows).
uint64_t RaiseOpenFileLimit();

// The C heap of this process (the broker's memory metrics): bytes in
// allocated blocks, and free bytes the allocator keeps from the system.
// False where the allocator does not say (not glibc).
bool HeapBytes(uint64_t* in_use, uint64_t* free_held);
// Hands the free pages the C heap keeps back to the system (glibc's
// malloc_trim, every arena). False where there is no such call.
bool ReleaseFreeHeap();
// This process's resident memory in bytes (/proc/self/statm), 0 where it
// cannot be read.
uint64_t ResidentBytes();

}  // namespace tayori::port

#endif  // TAYORI_COMMON_PORT_PORT_H_
