// UTF-8 to and from UTF-16, for the Windows side of the port layer and of
// Env (port_windows.cc, env_windows.cc) alone: Windows takes file names and
// console text as UTF-16, the rest of tayori speaks UTF-8.
#ifndef TAYORI_COMMON_PORT_UTF16_H_
#define TAYORI_COMMON_PORT_UTF16_H_

#include <string>
#include <string_view>

namespace tayori::port {

// Invalid UTF-8 (or UTF-16) gives an empty string.
std::wstring Widen(std::string_view utf8);
std::string Narrow(std::wstring_view utf16);
// A path for the Win32 API: widened, with '/' turned into '\'.
std::wstring WidePath(const std::string& path);

}  // namespace tayori::port

#endif  // TAYORI_COMMON_PORT_UTF16_H_
