// CurveZMQ key pairs and their Z85 text form (the form printed by the broker
// and written in config files). Stateless; any thread.
#ifndef TAYORI_COMMON_CRYPTO_CURVE_H_
#define TAYORI_COMMON_CRYPTO_CURVE_H_

#include <string>

#include "common/status.h"

namespace tayori::crypto {

struct CurveKeyPair {
  std::string public_z85;  // 40 characters
  std::string secret_z85;
};

StatusOr<CurveKeyPair> NewCurveKeyPair();
// 40 Z85 characters -> 32 bytes; invalid_argument otherwise.
StatusOr<std::string> Z85Decode32(const std::string& z85);
std::string Z85Encode32(const std::string& raw);
// The public key belonging to a Z85 secret key.
StatusOr<std::string> CurvePublicFromSecret(const std::string& secret_z85);

}  // namespace tayori::crypto

#endif  // TAYORI_COMMON_CRYPTO_CURVE_H_
