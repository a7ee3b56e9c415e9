// TestCa: a certificate authority in a folder, standing in for the national
// one (電子請求受付システム) in tests and demos. Used by `tayori-admin ca`.
//
// Folder layout: ca.pem, ca.key (0600), crl.pem, revoked.txt (one
// "SERIAL UNIX" per line), issued/SERIAL.pem. One process at a time.
#ifndef TAYORI_COMMON_CRYPTO_TEST_CA_H_
#define TAYORI_COMMON_CRYPTO_TEST_CA_H_

#include <cstdint>
#include <string>

#include "common/crypto/x509.h"
#include "common/status.h"

namespace tayori::crypto {

struct IssueOptions {
  std::string office;   // 10 digits
  std::string user_id;  // KJ + 12 digits
  CertType type = CertType::kCareInsurance;
  int64_t not_before = 0;  // Unix seconds
  int64_t not_after = 0;
};

struct IssuedCert {
  std::string cert_pem;
  std::string key_pem;
  std::string serial_hex;
};

class TestCa {
 public:
  // Creates a new CA in DIR (created if missing). Refuses to overwrite one.
  static Status Init(const std::string& dir, int64_t now);
  static StatusOr<TestCa> Open(const std::string& dir);

  // Issues a certificate and a fresh P-256 key for an office.
  StatusOr<IssuedCert> Issue(const IssueOptions& options);
  // Revokes by serial (hex) and rewrites crl.pem.
  Status Revoke(const std::string& serial_hex, int64_t now);
  // Revokes every certificate issued to OFFICE; returns how many.
  StatusOr<int> RevokeOffice(const std::string& office, int64_t now);

  const std::string& dir() const { return dir_; }

 private:
  TestCa(std::string dir, Certificate cert, PrivateKey key)
      : dir_(std::move(dir)), cert_(std::move(cert)), key_(std::move(key)) {}
  Status WriteCrl(int64_t now);

  std::string dir_;
  Certificate cert_;
  PrivateKey key_;
};

}  // namespace tayori::crypto

#endif  // TAYORI_COMMON_CRYPTO_TEST_CA_H_
