#include "common/ids.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>

#include "common/utf8.h"

namespace tayori {
namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

}  // namespace

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= '0' && c <= '9'; });
}

bool IsSafeFileName(const std::string& name) {
  if (name.empty() || name.size() > 255 || name[0] == '.' || !IsValidUtf8(name)) return false;
  if (std::any_of(name.begin(), name.end(),
                  [](unsigned char c) { return c < 0x20 || c == 0x7f || c == '/' || c == '\\'; })) {
    return false;
  }
  // Bidirectional marks in UTF-8: U+061C, U+200E-U+200F, U+202A-U+202E,
  // U+2066-U+2069.
  for (size_t i = 0; i + 1 < name.size(); ++i) {
    const auto b0 = static_cast<unsigned char>(name[i]), b1 = static_cast<unsigned char>(name[i + 1]);
    if (b0 == 0xD8 && b1 == 0x9C) return false;
    if (i + 2 >= name.size() || b0 != 0xE2) continue;
    const auto b2 = static_cast<unsigned char>(name[i + 2]);
    if (b1 == 0x80 && (b2 == 0x8E || b2 == 0x8F || (b2 >= 0xAA && b2 <= 0xAE))) return false;
    if (b1 == 0x81 && b2 >= 0xA6 && b2 <= 0xA9) return false;
  }
  return true;
}

bool IsOfficeNumber(const std::string& s) { return s.size() == 10 && IsDigits(s); }

Status CheckOfficeNumber(const std::string& s) {
  if (IsOfficeNumber(s)) return Status::Ok();
  return InvalidArgument("bad_office_number", "not a 10-digit office number: '" + s + "'");
}

bool IsUserId(const std::string& s) {
  return s.size() == 14 && s[0] == 'K' && s[1] == 'J' && IsDigits(std::string_view(s).substr(2));
}

std::string NewId(int64_t now_millis) {
  unsigned char raw[16];
  uint64_t t = static_cast<uint64_t>(now_millis);
  for (int i = 5; i >= 0; --i) {
    raw[i] = static_cast<unsigned char>(t & 0xff);
    t >>= 8;
  }
  randombytes_buf(raw + 6, 10);
  // 128 bits as 26 base32 digits (the first carries only 3 bits).
  std::string out(26, '0');
  unsigned __int128 v = 0;
  for (unsigned char b : raw) v = (v << 8) | b;
  for (int i = 25; i >= 0; --i) {
    out[static_cast<size_t>(i)] = kCrockford[static_cast<int>(v & 31)];
    v >>= 5;
  }
  return out;
}

bool IsId(const std::string& s) {
  if (s.size() != 26 || s[0] > '7') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::find(std::begin(kCrockford), std::end(kCrockford) - 1, c) != std::end(kCrockford) - 1;
  });
}

int64_t IdMillis(std::string_view id) {
  if (id.size() < 10) return -1;
  int64_t v = 0;
  for (size_t i = 0; i < 10; ++i) {
    const char* p = std::find(std::begin(kCrockford), std::end(kCrockford) - 1, id[i]);
    if (p == std::end(kCrockford) - 1) return -1;
    v = (v << 5) | (p - kCrockford);
  }
  return v;
}

std::string ToHex(const std::string& bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

}  // namespace tayori
