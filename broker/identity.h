// Caller identity: who sent a request, as the ZAP handler fixed it at the
// CURVE handshake. The one place where the ZAP User-Id string is formatted
// (by the ZAP handler) and parsed (by the serving loop); docs/protocol.md
// ("Identity") describes the same format:
//
//   office:NNNNNNNNNN:<Z85 CURVE key>   an enrolled terminal of office N
//   anon:<Z85 CURVE key>                an unknown key (may only enrol)
//   admin                               the admin key, admin channel only
//
// Plain values; any thread.
#ifndef TAYORI_BROKER_IDENTITY_H_
#define TAYORI_BROKER_IDENTITY_H_

#include <string>

#include "common/status.h"

namespace tayori::broker {

struct Caller {
  enum Kind { kAnon, kOffice, kAdmin } kind = kAnon;
  std::string office;      // kOffice
  std::string curve_pk;    // the connection's raw CURVE key, 32 bytes (kAnon, kOffice)
  std::string routing_id;  // the ROUTER identity, for pushed events
};

// The User-Id for CALLER (its kind, office and curve_pk).
std::string FormatIdentity(const Caller& caller);
// The caller a User-Id names; unauthenticated (not_enrolled) if it is
// malformed. routing_id is left empty.
StatusOr<Caller> ParseIdentity(const std::string& user_id);

}  // namespace tayori::broker

#endif  // TAYORI_BROKER_IDENTITY_H_
