// TrustSource: the broker's view of the CA certificate and CRL files,
// re-read whenever either changes on disk (a revocation takes effect
// without a restart). Thread-safe.
#ifndef TAYORI_BROKER_TRUST_SOURCE_H_
#define TAYORI_BROKER_TRUST_SOURCE_H_

#include <ctime>
#include <memory>
#include <mutex>
#include <string>

#include "common/crypto/x509.h"
#include "common/status.h"

namespace tayori::broker {

class TrustSource {
 public:
  TrustSource(std::string ca_path, std::string crl_path)
      : ca_path_(std::move(ca_path)), crl_path_(std::move(crl_path)) {}

  // The current store. no_trust_anchor while the CA file is missing;
  // config_invalid if a file exists but does not parse.
  StatusOr<std::shared_ptr<const crypto::TrustStore>> Get();

 private:
  const std::string ca_path_;
  const std::string crl_path_;
  std::mutex mu_;
  struct timespec ca_mtime_ {};                       // guarded by mu_
  struct timespec crl_mtime_ {};                      // guarded by mu_
  std::shared_ptr<const crypto::TrustStore> cached_;  // guarded by mu_
};

}  // namespace tayori::broker

#endif  // TAYORI_BROKER_TRUST_SOURCE_H_
