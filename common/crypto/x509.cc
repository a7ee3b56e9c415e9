#include "common/crypto/x509.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include <array>

#include "common/ids.h"

namespace tayori::crypto {
namespace {

// Policy OIDs under a UUID arc (ITU-T X.667), one per certificate type.
constexpr const char* kPolicyArc = "2.25.88603236051051485924769698807310318940";
const std::array<std::string, 4> kPolicyOids = {std::string(kPolicyArc) + ".1", std::string(kPolicyArc) + ".2",
                                                std::string(kPolicyArc) + ".3", std::string(kPolicyArc) + ".4"};

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

std::string BioToString(BIO* bio) {
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(bio, &mem);
  return std::string(mem->data, mem->length);
}

// Seconds since the epoch by OpenSSL's own calendar (timegm is not on
// every system); 0 for a time that does not parse.
int64_t AsnTimeToUnix(const ASN1_TIME* t) {
  ASN1_TIME* epoch = ASN1_TIME_set(nullptr, 0);
  int days = 0;
  int seconds = 0;
  const bool ok = epoch != nullptr && t != nullptr && ASN1_TIME_diff(&days, &seconds, epoch, t) == 1;
  ASN1_TIME_free(epoch);
  return ok ? int64_t{days} * 86400 + seconds : 0;
}

std::string SubjectField(X509* x, int nid) {
  X509_NAME* name = X509_get_subject_name(x);
  int idx = X509_NAME_get_index_by_NID(name, nid, -1);
  if (idx < 0) return "";
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

CertType TypeFromPolicies(X509* x) {
  auto* policies = static_cast<CERTIFICATEPOLICIES*>(X509_get_ext_d2i(x, NID_certificate_policies, nullptr, nullptr));
  if (policies == nullptr) return CertType::kUnknown;
  CertType found = CertType::kUnknown;
  for (int i = 0; i < sk_POLICYINFO_num(policies); ++i) {
    char buf[128];
    OBJ_obj2txt(buf, sizeof buf, sk_POLICYINFO_value(policies, i)->policyid, 1);
    for (size_t t = 0; t < kPolicyOids.size(); ++t) {
      if (kPolicyOids[t] == buf) found = static_cast<CertType>(t);
    }
  }
  CERTIFICATEPOLICIES_free(policies);
  return found;
}

}  // namespace

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  std::string out;
  while (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
    e = ERR_get_error();
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

const char* CertTypeName(CertType t) {
  switch (t) {
    case CertType::kCareInsurance:
      return "care-insurance";
    case CertType::kCareplanDelegated:
      return "careplan-delegated";
    case CertType::kProxy:
      return "proxy";
    case CertType::kDisability:
      return "disability";
    case CertType::kUnknown:
      break;
  }
  return "unknown";
}

StatusOr<CertType> ParseCertType(const std::string& name) {
  for (int t = 0; t < 4; ++t) {
    if (name == CertTypeName(static_cast<CertType>(t))) return static_cast<CertType>(t);
  }
  return InvalidArgument("usage",
                         "certificate type must be care-insurance, careplan-delegated, "
                         "proxy or disability, got '" +
                             name + "'");
}

const char* CertTypeOid(CertType t) {
  return t == CertType::kUnknown ? "" : kPolicyOids[static_cast<size_t>(t)].c_str();
}

// ------------------------------------------------------------- Certificate

StatusOr<Certificate> Certificate::FromPem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr x(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!x) return InvalidArgument("cert_untrusted", "not a PEM certificate: " + OpenSslError());
  return Certificate(std::move(x));
}

StatusOr<Certificate> Certificate::FromDer(const std::string& der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    ERR_clear_error();
    return InvalidArgument("cert_untrusted", "not a DER certificate");
  }
  return Certificate(std::move(x));
}

std::string Certificate::Der() const {
  unsigned char* buf = nullptr;
  int len = i2d_X509(x509_.get(), &buf);
  std::string out(reinterpret_cast<char*>(buf), static_cast<size_t>(len));
  OPENSSL_free(buf);
  return out;
}

std::string Certificate::Pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), x509_.get());
  return BioToString(bio.get());
}

StatusOr<CertInfo> Certificate::Info() const {
  CertInfo info;
  info.user_id = SubjectField(x509_.get(), NID_commonName);
  info.office = SubjectField(x509_.get(), NID_serialNumber);
  if (!IsUserId(info.user_id) || !IsOfficeNumber(info.office)) {
    return InvalidArgument("cert_bad_identity", "subject CN='" + info.user_id + "' serialNumber='" + info.office + "'");
  }
  info.type = TypeFromPolicies(x509_.get());
  info.not_before = AsnTimeToUnix(X509_get0_notBefore(x509_.get()));
  info.not_after = AsnTimeToUnix(X509_get0_notAfter(x509_.get()));
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x509_.get()), nullptr);
  char* hex = BN_bn2hex(bn);
  info.serial_hex = hex;
  OPENSSL_free(hex);
  BN_free(bn);
  std::string der = Der();
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(der.data()), der.size(), md);
  info.fingerprint_hex = ToHex(std::string(reinterpret_cast<char*>(md), sizeof md));
  return info;
}

Status Certificate::VerifySignature(const std::string& data, const std::string& signature) const {
  EVP_PKEY* pub = X509_get0_pubkey(x509_.get());
  if (pub == nullptr) return InvalidArgument("signature_invalid", "certificate has no public key");
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  int ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, pub) == 1 &&
           EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                            reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) {
    ERR_clear_error();
    return Status(Code::kDataLoss, "signature_invalid", "signature does not verify");
  }
  return Status::Ok();
}

// ------------------------------------------------------------- PrivateKey

StatusOr<PrivateKey> PrivateKey::FromPem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr k(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!k) return InvalidArgument("key_mismatch", "not a PEM private key: " + OpenSslError());
  return PrivateKey(std::move(k));
}

StatusOr<PrivateKey> PrivateKey::Generate() {
  PkeyPtr k(EVP_EC_gen("P-256"));
  if (!k) return Internal("EC key generation failed: " + OpenSslError());
  return PrivateKey(std::move(k));
}

std::string PrivateKey::Pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), pkey_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return BioToString(bio.get());
}

StatusOr<std::string> PrivateKey::Sign(const std::string& data) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  std::string sig;
  bool ok = EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey_.get()) == 1 &&
            EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  if (ok) {
    sig.resize(len);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                        reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
    sig.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  if (!ok) return Internal("signing failed: " + OpenSslError());
  return sig;
}

Status PrivateKey::CheckMatches(const Certificate& cert) const {
  if (X509_check_private_key(cert.get(), pkey_.get()) != 1) {
    ERR_clear_error();
    return InvalidArgument("key_mismatch", "the private key is not the certificate's key");
  }
  return Status::Ok();
}

// ------------------------------------------------------------- TrustStore

StatusOr<TrustStore> TrustStore::FromPem(const std::string& ca_pem, const std::string& crl_pem) {
  ASSIGN_OR_RETURN(Certificate ca, Certificate::FromPem(ca_pem));
  CrlPtr crl;
  if (!crl_pem.empty()) {
    BioPtr bio(BIO_new_mem_buf(crl_pem.data(), static_cast<int>(crl_pem.size())));
    crl.reset(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
    if (!crl) return InvalidArgument("config_invalid", "not a PEM CRL: " + OpenSslError());
    EVP_PKEY* ca_key = X509_get0_pubkey(ca.get());
    if (X509_CRL_verify(crl.get(), ca_key) != 1) {
      ERR_clear_error();
      return InvalidArgument("config_invalid", "the CRL is not signed by the CA");
    }
  }
  return TrustStore(std::move(ca), std::move(crl));
}

std::string TrustStore::CrlDer() const {
  if (!crl_) return "";
  unsigned char* buf = nullptr;
  const int len = i2d_X509_CRL(crl_.get(), &buf);
  if (len <= 0) return "";
  std::string der(reinterpret_cast<char*>(buf), static_cast<size_t>(len));
  OPENSSL_free(buf);
  return der;
}

int64_t TrustStore::CrlIssued() const {
  if (!crl_) return 0;
  return AsnTimeToUnix(X509_CRL_get0_lastUpdate(crl_.get()));
}

StatusOr<std::string> CrlDerToPem(const std::string& der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
  if (!crl) return InvalidArgument("config_invalid", "not a DER CRL: " + OpenSslError());
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509_CRL(bio.get(), crl.get()) != 1) return Internal("cannot write a CRL: " + OpenSslError());
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

StatusOr<CertInfo> TrustStore::Verify(const Certificate& cert, int64_t now) const {
  // Revocation is looked up in the CRL directly rather than by OpenSSL's
  // CRL check, which judges the CRL's own validity at NOW: a certificate
  // checked as of a past time (a message accepted last month) is still
  // revoked by the CRL issued today.
  if (crl_) {
    X509_REVOKED* revoked = nullptr;
    if (X509_CRL_get0_by_cert(crl_.get(), &revoked, cert.get()) == 1) {
      return PermissionDenied("cert_revoked", "certificate revoked");
    }
  }
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca_.get());
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, cert.get(), nullptr);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(now));
  int ok = X509_verify_cert(ctx);
  int err = X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  ERR_clear_error();
  if (ok != 1) {
    std::string what = X509_verify_cert_error_string(err);
    switch (err) {
      case X509_V_ERR_CERT_HAS_EXPIRED:
      case X509_V_ERR_CERT_NOT_YET_VALID:
        return PermissionDenied("cert_expired", what);
      case X509_V_ERR_CERT_REVOKED:
        return PermissionDenied("cert_revoked", what);
      default:
        return PermissionDenied("cert_untrusted", what);
    }
  }
  ASSIGN_OR_RETURN(CertInfo info, cert.Info());
  switch (info.type) {
    case CertType::kCareInsurance:
    case CertType::kCareplanDelegated:
      return info;
    case CertType::kProxy:
      return PermissionDenied("cert_proxy", "proxy certificate for " + info.user_id);
    case CertType::kDisability:
      return PermissionDenied("cert_disability", "disability-services certificate for " + info.user_id);
    case CertType::kUnknown:
      break;
  }
  return PermissionDenied("cert_untrusted", "certificate carries no known tayori policy");
}

}  // namespace tayori::crypto
