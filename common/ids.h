// Identifiers: office numbers, office user ids and time-ordered message ids.
//
// A message id is 16 bytes: 48 bits of milliseconds since the epoch, then 80
// random bits (a ULID). As 26 Crockford base32 characters it sorts by time,
// which keeps mailbox scans and purges cheap. Stateless; any thread.
#ifndef TAYORI_COMMON_IDS_H_
#define TAYORI_COMMON_IDS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tayori {

// 事業所番号: exactly 10 ASCII digits.
bool IsOfficeNumber(const std::string& s);
Status CheckOfficeNumber(const std::string& s);
// 事業所ユーザID: "KJ" + 12 ASCII digits.
bool IsUserId(const std::string& s);

// A new id for the given time, 26 characters.
std::string NewId(int64_t now_millis);
// True if S has the shape of an id from NewId.
bool IsId(const std::string& s);
// The milliseconds an id was made at (its first 10 characters), or -1 if
// ID does not start with an id.
int64_t IdMillis(std::string_view id);

std::string ToHex(const std::string& bytes);

// True if S is non-empty and all ASCII digits.
bool IsDigits(std::string_view s);

// A file name that is safe to create in a folder as it stands: no path
// separators, no control characters, no bidirectional formatting marks
// (which make "evil\u202Efdp.exe" read as "evilexe.pdf"), not hidden (no
// leading "."), at most 255 bytes.
// Applied by the broker to every name it accepts and by the agent to every
// name it writes, since a name comes from the sender.
bool IsSafeFileName(const std::string& name);

}  // namespace tayori

#endif  // TAYORI_COMMON_IDS_H_
