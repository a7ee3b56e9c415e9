#include "broker/identity.h"

#include "common/crypto/curve.h"
#include "common/ids.h"

namespace tayori::broker {
namespace {
constexpr char kOfficePrefix[] = "office:";
constexpr char kAnonPrefix[] = "anon:";
constexpr char kAdmin[] = "admin";

Status Malformed(const std::string& user_id) {
  return Status(Code::kUnauthenticated, "not_enrolled", "malformed identity '" + user_id + "'");
}
}  // namespace

std::string FormatIdentity(const Caller& caller) {
  switch (caller.kind) {
    case Caller::kAdmin:
      return kAdmin;
    case Caller::kOffice:
      return kOfficePrefix + caller.office + ":" + crypto::Z85Encode32(caller.curve_pk);
    case Caller::kAnon:
      break;
  }
  return kAnonPrefix + crypto::Z85Encode32(caller.curve_pk);
}

StatusOr<Caller> ParseIdentity(const std::string& user_id) {
  Caller c;
  if (user_id == kAdmin) {
    c.kind = Caller::kAdmin;
    return c;
  }
  std::string key;
  if (user_id.rfind(kOfficePrefix, 0) == 0) {
    const std::string rest = user_id.substr(sizeof kOfficePrefix - 1);
    const size_t colon = rest.find(':');
    if (colon == std::string::npos || !IsOfficeNumber(rest.substr(0, colon))) return Malformed(user_id);
    c.kind = Caller::kOffice;
    c.office = rest.substr(0, colon);
    key = rest.substr(colon + 1);
  } else if (user_id.rfind(kAnonPrefix, 0) == 0) {
    c.kind = Caller::kAnon;
    key = user_id.substr(sizeof kAnonPrefix - 1);
  } else {
    return Malformed(user_id);
  }
  auto raw = crypto::Z85Decode32(key);
  if (!raw.ok()) return Malformed(user_id);
  c.curve_pk = std::move(raw).value();
  return c;
}

}  // namespace tayori::broker
