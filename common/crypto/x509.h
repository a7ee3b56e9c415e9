// X.509 certificates of care offices (OpenSSL): parsing, the office identity
// they bind, chain/expiry/revocation checks, and signatures.
//
// A certificate names its office user id (KJ + 12 digits) as the subject CN,
// its office number (10 digits) as the subject serialNumber, and its kind as
// a certificate policy OID (kPolicy* below). Objects own their OpenSSL
// handles; they are movable, not copyable, and safe to use from one thread at
// a time (const methods from many).
#ifndef TAYORI_COMMON_CRYPTO_X509_H_
#define TAYORI_COMMON_CRYPTO_X509_H_

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"

namespace tayori::crypto {

enum class CertType {
  kCareInsurance,      // 介護保険証明書: accepted
  kCareplanDelegated,  // 請求委任事業所用ケアプラン証明書: accepted
  kProxy,              // 代理人証明書: refused
  kDisability,         // 障害総合支援証明書: refused
  kUnknown,
};

// "care-insurance", "careplan-delegated", "proxy", "disability".
const char* CertTypeName(CertType t);
StatusOr<CertType> ParseCertType(const std::string& name);
// The policy OID that marks each type (dotted text).
const char* CertTypeOid(CertType t);

struct CertInfo {
  std::string office;   // subject serialNumber
  std::string user_id;  // subject CN
  CertType type = CertType::kUnknown;
  int64_t not_before = 0;  // Unix seconds
  int64_t not_after = 0;
  std::string serial_hex;
  std::string fingerprint_hex;  // SHA-256 of the DER
};

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CrlDeleter {
  void operator()(X509_CRL* c) const { X509_CRL_free(c); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using CrlPtr = std::unique_ptr<X509_CRL, CrlDeleter>;

class Certificate {
 public:
  static StatusOr<Certificate> FromPem(const std::string& pem);
  static StatusOr<Certificate> FromDer(const std::string& der);

  std::string Der() const;
  std::string Pem() const;
  // Identity fields; fails with cert_bad_identity if they are malformed.
  StatusOr<CertInfo> Info() const;
  // Checks SIGNATURE (from PrivateKey::Sign) over DATA with this
  // certificate's public key. signature_invalid on mismatch.
  Status VerifySignature(const std::string& data, const std::string& signature) const;

  X509* get() const { return x509_.get(); }
  explicit Certificate(X509Ptr x) : x509_(std::move(x)) {}

 private:
  X509Ptr x509_;
};

class PrivateKey {
 public:
  static StatusOr<PrivateKey> FromPem(const std::string& pem);
  // A new ECDSA P-256 key.
  static StatusOr<PrivateKey> Generate();

  std::string Pem() const;
  StatusOr<std::string> Sign(const std::string& data) const;
  // key_mismatch unless this key belongs to CERT.
  Status CheckMatches(const Certificate& cert) const;

  EVP_PKEY* get() const { return pkey_.get(); }
  explicit PrivateKey(PkeyPtr k) : pkey_(std::move(k)) {}

 private:
  PkeyPtr pkey_;
};

// The trust anchor (one CA certificate) and, optionally, its CRL.
class TrustStore {
 public:
  static StatusOr<TrustStore> FromPem(const std::string& ca_pem, const std::string& crl_pem);

  // Full check of an office certificate at time NOW (Unix seconds): chain to
  // the CA, validity period, revocation (when a CRL is loaded), an accepted
  // type, and well-formed identity. Reasons: cert_untrusted, cert_expired,
  // cert_revoked, cert_proxy, cert_disability, cert_bad_identity.
  StatusOr<CertInfo> Verify(const Certificate& cert, int64_t now) const;

  const Certificate& ca() const { return ca_; }
  bool has_crl() const { return crl_ != nullptr; }
  // The CRL as DER ("" without one).
  std::string CrlDer() const;
  // When the CA issued the CRL (Unix seconds; 0 without one).
  int64_t CrlIssued() const;

 private:
  TrustStore(Certificate ca, CrlPtr crl) : ca_(std::move(ca)), crl_(std::move(crl)) {}
  Certificate ca_;
  CrlPtr crl_;
};

// A CRL in DER (as GetTrust carries it) as PEM; config_invalid if it does
// not parse.
StatusOr<std::string> CrlDerToPem(const std::string& der);

// The last OpenSSL error as text (and clears the queue).
std::string OpenSslError();

}  // namespace tayori::crypto

#endif  // TAYORI_COMMON_CRYPTO_X509_H_
