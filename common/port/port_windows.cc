// The port layer on Windows (port.h), with the Win32 API's wide (UTF-16)
// functions throughout.
#include <windows.h>
// windows.h first: the headers below need its types.
#include <io.h>
#include <shellapi.h>

#include <cctype>
#include <cstdlib>
#include <iterator>

#include "common/port/port.h"
#include "common/port/utf16.h"

namespace tayori::port {
namespace {

std::atomic<bool>* g_stop_flag = nullptr;

BOOL WINAPI OnConsoleEvent(DWORD event) {
  if (g_stop_flag == nullptr) return FALSE;
  g_stop_flag->store(true);
  switch (event) {
    case CTRL_C_EVENT:
    case CTRL_BREAK_EVENT:
      return TRUE;  // handled: the program stops on its own
    default:
      // Console closed, sign-out, shutdown: Windows ends the process when
      // this returns, so give the program a moment to finish what it does
      // (it has about five seconds in all).
      Sleep(4000);
      return TRUE;
  }
}

std::string EnvironmentVariable(const wchar_t* name) {
  wchar_t buf[32768];
  const DWORD n = GetEnvironmentVariableW(name, buf, static_cast<DWORD>(std::size(buf)));
  if (n == 0 || n >= std::size(buf)) return "";
  return Narrow(std::wstring_view(buf, n));
}

}  // namespace

std::wstring Widen(std::string_view utf8) {
  if (utf8.empty()) return {};
  const int n =
      MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(), static_cast<int>(utf8.size()), nullptr, 0);
  if (n <= 0) return {};
  std::wstring out(static_cast<size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(), static_cast<int>(utf8.size()), out.data(), n);
  return out;
}

std::string Narrow(std::wstring_view utf16) {
  if (utf16.empty()) return {};
  const int n = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, utf16.data(), static_cast<int>(utf16.size()),
                                    nullptr, 0, nullptr, nullptr);
  if (n <= 0) return {};
  std::string out(static_cast<size_t>(n), '\0');
  WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, utf16.data(), static_cast<int>(utf16.size()), out.data(), n,
                      nullptr, nullptr);
  return out;
}

std::wstring WidePath(const std::string& path) {
  std::wstring wide = Widen(path);
  for (wchar_t& c : wide) {
    if (c == L'/') c = L'\\';
  }
  return wide;
}

std::vector<std::string> Utf8Arguments(int argc, char** argv) {
  SetConsoleOutputCP(CP_UTF8);
  SetConsoleCP(CP_UTF8);
  int n = 0;
  wchar_t** wide = CommandLineToArgvW(GetCommandLineW(), &n);
  if (wide == nullptr) return {argv, argv + argc};
  std::vector<std::string> args;
  for (int i = 0; i < n; ++i) args.push_back(Narrow(wide[i]));
  LocalFree(wide);
  return args;
}

void StopOnInterrupt(std::atomic<bool>* flag) {
  g_stop_flag = flag;
  SetConsoleCtrlHandler(OnConsoleEvent, TRUE);
}

bool IsTerminal(int fd) { return _isatty(fd) != 0; }

int ProcessId() { return static_cast<int>(GetCurrentProcessId()); }

std::string HomeDir() {
  std::string home = EnvironmentVariable(L"USERPROFILE");
  return home.empty() ? "." : home;
}

std::string UserStateBase() {
  std::string local = EnvironmentVariable(L"LOCALAPPDATA");
  return local.empty() ? HomeDir() + "\\AppData\\Local" : local;
}

bool IsPathSeparator(char c) { return c == '/' || c == '\\'; }

std::string DisplayPath(const std::string& path) {
  std::string out = path;
  for (char& c : out) {
    if (c == '/') c = '\\';
  }
  return out;
}

bool IsAbsolutePath(const std::string& path) {
  if (path.size() >= 2 && IsPathSeparator(path[0]) && IsPathSeparator(path[1])) return true;  // \\server\share
  return path.size() >= 3 && std::isalpha(static_cast<unsigned char>(path[0])) && path[1] == ':' &&
         IsPathSeparator(path[2]);
}

std::string AbsolutePath(const std::string& path) {
  if (IsAbsolutePath(path)) return path;
  const std::wstring wide = WidePath(path);
  wchar_t buf[32768];
  const DWORD n = GetFullPathNameW(wide.c_str(), static_cast<DWORD>(std::size(buf)), buf, nullptr);
  if (n == 0 || n >= std::size(buf)) return path;
  return Narrow(std::wstring_view(buf, n));
}

void OpenBrowser(const std::string& url) {
  ShellExecuteW(nullptr, L"open", Widen(url).c_str(), nullptr, nullptr, SW_SHOWNORMAL);
}

void* AllocatePages(size_t bytes) { return VirtualAlloc(nullptr, bytes, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE); }

void FreePages(void* p, size_t) {
  if (p != nullptr) VirtualFree(p, 0, MEM_RELEASE);
}

void TuneAllocator() {}

Cp932ToUtf8::Cp932ToUtf8() = default;
Cp932ToUtf8::~Cp932ToUtf8() = default;

bool Cp932ToUtf8::Convert(std::string_view bytes, std::string* utf8, size_t* bad_offset) {
  *bad_offset = 0;
  utf8->clear();
  if (bytes.empty()) return true;
  if (bytes.size() > (1u << 30)) return false;
  auto to_wide = [](std::string_view b, std::wstring* w) {
    const int n = MultiByteToWideChar(932, MB_ERR_INVALID_CHARS, b.data(), static_cast<int>(b.size()), nullptr, 0);
    if (n <= 0) return false;
    w->resize(static_cast<size_t>(n));
    return MultiByteToWideChar(932, MB_ERR_INVALID_CHARS, b.data(), static_cast<int>(b.size()), w->data(), n) == n;
  };
  std::wstring wide;
  if (!to_wide(bytes, &wide)) {
    // Where: one character at a time (a lead byte takes the next byte).
    for (size_t i = 0; i < bytes.size();) {
      const unsigned char c = static_cast<unsigned char>(bytes[i]);
      const size_t len = ((c >= 0x81 && c <= 0x9f) || (c >= 0xe0 && c <= 0xfc)) ? 2 : 1;
      std::wstring one;
      if (i + len > bytes.size() || !to_wide(bytes.substr(i, len), &one)) {
        *bad_offset = i;
        return false;
      }
      i += len;
    }
    return false;
  }
  *utf8 = Narrow(wide);
  return true;
}

// The broker, the only user of these, runs on Linux.
bool TcpByteCountsAvailable() { return false; }
std::optional<uint64_t> TcpBytesReceived(int) { return std::nullopt; }
uint64_t SocketUnread(int) { return 0; }
std::string SocketPeer(int) { return ""; }
std::string AddressNetwork(const std::string&) { return ""; }
std::string PeerNetwork(const std::string&) { return ""; }
int SocketLocalPort(int) { return 0; }
int OpenSpareDescriptor() { return -1; }
void CloseDescriptor(int) {}
bool HeapBytes(uint64_t*, uint64_t*) { return false; }
bool ReleaseFreeHeap() { return false; }
uint64_t ResidentBytes() { return 0; }
uint64_t RaiseOpenFileLimit() { return 0; }
bool ShutdownSocket(int, const std::string&, int, int) { return false; }

}  // namespace tayori::port
