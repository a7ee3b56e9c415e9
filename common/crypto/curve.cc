#include "common/crypto/curve.h"

#include <zmq.h>

namespace tayori::crypto {

StatusOr<CurveKeyPair> NewCurveKeyPair() {
  char pub[41], sec[41];
  if (zmq_curve_keypair(pub, sec) != 0) return Internal("libzmq has no CURVE support");
  return CurveKeyPair{pub, sec};
}

StatusOr<std::string> Z85Decode32(const std::string& z85) {
  std::string raw(32, '\0');
  if (z85.size() != 40 || zmq_z85_decode(reinterpret_cast<uint8_t*>(raw.data()), z85.c_str()) == nullptr) {
    return InvalidArgument("config_invalid", "a CURVE key is 40 Z85 characters, got '" + z85 + "'");
  }
  return raw;
}

std::string Z85Encode32(const std::string& raw) {
  char out[41] = {};
  if (raw.size() != 32 || zmq_z85_encode(out, reinterpret_cast<const uint8_t*>(raw.data()), raw.size()) == nullptr) {
    return "";
  }
  return out;
}

StatusOr<std::string> CurvePublicFromSecret(const std::string& secret_z85) {
  char pub[41];
  if (secret_z85.size() != 40 || zmq_curve_public(pub, secret_z85.c_str()) != 0) {
    return InvalidArgument("config_invalid", "not a Z85 CURVE secret key");
  }
  return std::string(pub);
}

}  // namespace tayori::crypto
