// UTF-8 validity for text that crosses a trust boundary: file names and
// messages another office wrote, and text about to be stored in a protocol
// buffer string or JSON (both require valid UTF-8). Stateless.
#ifndef TAYORI_COMMON_UTF8_H_
#define TAYORI_COMMON_UTF8_H_

#include <string>
#include <string_view>

namespace tayori {

// Whether TEXT is well-formed UTF-8 (no overlong forms, surrogates or code
// points above U+10FFFF).
bool IsValidUtf8(std::string_view text);

// TEXT with every ill-formed sequence replaced by U+FFFD.
std::string ValidUtf8(std::string_view text);

}  // namespace tayori

#endif  // TAYORI_COMMON_UTF8_H_
