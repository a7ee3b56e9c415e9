// The staff-facing message catalogue: for each Status reason, what happened
// and what to do next, in Japanese (first) and English.
//
// The wording follows the national client where tayori meets the same
// situation (shared FAQ wording), so staff and help desks recognise it.
// Stateless; any thread may call.
#ifndef TAYORI_COMMON_MESSAGES_H_
#define TAYORI_COMMON_MESSAGES_H_

#include <string>

#include "common/status.h"

namespace tayori {

enum class Lang { kJa, kEn };

struct Message {
  const char* reason;
  const char* ja;
  const char* en;
};

// The catalogue entry for REASON, or nullptr if it has none.
const Message* FindMessage(const std::string& reason);

// The message for STATUS in LANG: the catalogue text, then the detail on a
// line of its own. Falls back to the detail alone for unknown reasons.
std::string Render(const Status& status, Lang lang);

// "ja" / "en"; anything else is an error.
StatusOr<Lang> ParseLang(const std::string& text);

}  // namespace tayori

#endif  // TAYORI_COMMON_MESSAGES_H_
