#include "common/crypto/test_ca.h"

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <sstream>

#include "common/env.h"
#include "common/ids.h"

namespace tayori::crypto {
namespace {

constexpr int64_t kCaLifetimeSeconds = 20LL * 365 * 86400;
constexpr int64_t kCrlLifetimeSeconds = 10LL * 365 * 86400;

Status AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return Internal(std::string("bad extension ") + value + ": " + OpenSslError());
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return Status::Ok();
}

Status AddPolicy(X509* cert, const char* oid) {
  CERTIFICATEPOLICIES* policies = sk_POLICYINFO_new_null();
  POLICYINFO* info = POLICYINFO_new();
  ASN1_OBJECT_free(info->policyid);
  info->policyid = OBJ_txt2obj(oid, 1);
  sk_POLICYINFO_push(policies, info);
  const int ok = info->policyid != nullptr &&
                 X509_add1_ext_i2d(cert, NID_certificate_policies, policies, 0, X509V3_ADD_DEFAULT) == 1;
  CERTIFICATEPOLICIES_free(policies);
  if (!ok) return Internal(std::string("cannot add policy ") + oid + ": " + OpenSslError());
  return Status::Ok();
}

void SetRandomSerial(X509* cert) {
  unsigned char raw[16];
  RAND_bytes(raw, sizeof raw);
  raw[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(raw, sizeof raw, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
  BN_free(bn);
}

std::string SerialHex(X509* cert) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  char* hex = BN_bn2hex(bn);
  std::string out = hex;
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

}  // namespace

Status TestCa::Init(const std::string& dir, int64_t now) {
  if (FileExists(dir + "/ca.pem")) {
    return Status(Code::kAlreadyExists, "already_exists", "a CA already exists in " + dir);
  }
  RETURN_IF_ERROR(MakeDirs(dir + "/issued", 0700));
  ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::Generate());
  X509Ptr x(X509_new());
  X509_set_version(x.get(), 2);
  SetRandomSerial(x.get());
  ASN1_TIME_set(X509_getm_notBefore(x.get()), static_cast<time_t>(now - 3600));
  ASN1_TIME_set(X509_getm_notAfter(x.get()), static_cast<time_t>(now + kCaLifetimeSeconds));
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("tayori test CA"), -1, -1,
                             0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("tayori test root"), -1,
                             -1, 0);
  X509_set_issuer_name(x.get(), name);
  X509_set_pubkey(x.get(), key.get());
  RETURN_IF_ERROR(AddExt(x.get(), x.get(), NID_basic_constraints, "critical,CA:TRUE"));
  RETURN_IF_ERROR(AddExt(x.get(), x.get(), NID_key_usage, "critical,keyCertSign,cRLSign"));
  RETURN_IF_ERROR(AddExt(x.get(), x.get(), NID_subject_key_identifier, "hash"));
  if (X509_sign(x.get(), key.get(), EVP_sha256()) == 0) {
    return Internal("CA self-signing failed: " + OpenSslError());
  }
  Certificate cert(std::move(x));
  RETURN_IF_ERROR(WriteFileAtomic(dir + "/ca.key", key.Pem(), 0600));
  RETURN_IF_ERROR(WriteFileAtomic(dir + "/ca.pem", cert.Pem()));
  RETURN_IF_ERROR(WriteFileAtomic(dir + "/revoked.txt", ""));
  TestCa ca(dir, std::move(cert), std::move(key));
  return ca.WriteCrl(now);
}

StatusOr<TestCa> TestCa::Open(const std::string& dir) {
  auto cert_pem = ReadFile(dir + "/ca.pem");
  if (!cert_pem.ok()) {
    return NotFound("file_unreadable", "no CA in " + dir + " (run `tayori-admin ca init --dir " + dir + "` first)");
  }
  ASSIGN_OR_RETURN(std::string key_pem, ReadFile(dir + "/ca.key"));
  ASSIGN_OR_RETURN(Certificate cert, Certificate::FromPem(*cert_pem));
  ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::FromPem(key_pem));
  return TestCa(dir, std::move(cert), std::move(key));
}

StatusOr<IssuedCert> TestCa::Issue(const IssueOptions& o) {
  RETURN_IF_ERROR(CheckOfficeNumber(o.office));
  if (!IsUserId(o.user_id)) {
    return InvalidArgument("bad_user_id", "not an office user id: '" + o.user_id + "'");
  }
  if (o.type == CertType::kUnknown || o.not_after <= o.not_before) {
    return InvalidArgument("usage", "a certificate needs a type and a validity period");
  }
  ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::Generate());
  X509Ptr x(X509_new());
  X509_set_version(x.get(), 2);
  SetRandomSerial(x.get());
  ASN1_TIME_set(X509_getm_notBefore(x.get()), static_cast<time_t>(o.not_before));
  ASN1_TIME_set(X509_getm_notAfter(x.get()), static_cast<time_t>(o.not_after));
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "serialNumber", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(o.office.c_str()), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(o.user_id.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(x.get(), X509_get_subject_name(cert_.get()));
  X509_set_pubkey(x.get(), key.get());
  RETURN_IF_ERROR(AddExt(x.get(), cert_.get(), NID_basic_constraints, "critical,CA:FALSE"));
  RETURN_IF_ERROR(AddExt(x.get(), cert_.get(), NID_key_usage, "critical,digitalSignature"));
  RETURN_IF_ERROR(AddPolicy(x.get(), CertTypeOid(o.type)));
  RETURN_IF_ERROR(AddExt(x.get(), cert_.get(), NID_authority_key_identifier, "keyid:always"));
  if (X509_sign(x.get(), key_.get(), EVP_sha256()) == 0) {
    return Internal("certificate signing failed: " + OpenSslError());
  }
  IssuedCert out;
  out.serial_hex = SerialHex(x.get());
  Certificate cert(std::move(x));
  out.cert_pem = cert.Pem();
  out.key_pem = key.Pem();
  RETURN_IF_ERROR(WriteFileAtomic(dir_ + "/issued/" + out.serial_hex + ".pem", out.cert_pem));
  return out;
}

Status TestCa::Revoke(const std::string& serial_hex, int64_t now) {
  if (!FileExists(dir_ + "/issued/" + serial_hex + ".pem")) {
    return NotFound("usage", "this CA issued no certificate with serial " + serial_hex);
  }
  ASSIGN_OR_RETURN(std::string revoked, ReadFile(dir_ + "/revoked.txt"));
  if (revoked.find(serial_hex + " ") == std::string::npos) {
    revoked += serial_hex + " " + std::to_string(now) + "\n";
    RETURN_IF_ERROR(WriteFileAtomic(dir_ + "/revoked.txt", revoked));
  }
  return WriteCrl(now);
}

StatusOr<int> TestCa::RevokeOffice(const std::string& office, int64_t now) {
  RETURN_IF_ERROR(CheckOfficeNumber(office));
  int count = 0;
  for (const std::string& name : ListDir(dir_ + "/issued")) {
    if (name.size() < 5 || name.substr(name.size() - 4) != ".pem") continue;
    ASSIGN_OR_RETURN(std::string pem, ReadFile(dir_ + "/issued/" + name));
    ASSIGN_OR_RETURN(Certificate cert, Certificate::FromPem(pem));
    auto info = cert.Info();
    if (!info.ok() || info->office != office) continue;
    RETURN_IF_ERROR(Revoke(info->serial_hex, now));
    ++count;
  }
  return count;
}

Status TestCa::WriteCrl(int64_t now) {
  ASSIGN_OR_RETURN(std::string revoked, ReadFile(dir_ + "/revoked.txt"));
  CrlPtr crl(X509_CRL_new());
  X509_CRL_set_version(crl.get(), 1);
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(cert_.get()));
  ASN1_TIME* t = ASN1_TIME_set(nullptr, static_cast<time_t>(now - 60));
  X509_CRL_set1_lastUpdate(crl.get(), t);
  ASN1_TIME_set(t, static_cast<time_t>(now + kCrlLifetimeSeconds));
  X509_CRL_set1_nextUpdate(crl.get(), t);
  std::istringstream lines(revoked);
  std::string serial;
  int64_t when = 0;
  while (lines >> serial >> when) {
    X509_REVOKED* r = X509_REVOKED_new();
    BIGNUM* bn = nullptr;
    BN_hex2bn(&bn, serial.c_str());
    ASN1_INTEGER* ai = BN_to_ASN1_INTEGER(bn, nullptr);
    X509_REVOKED_set_serialNumber(r, ai);
    ASN1_TIME_set(t, static_cast<time_t>(when));
    X509_REVOKED_set_revocationDate(r, t);
    X509_CRL_add0_revoked(crl.get(), r);
    ASN1_INTEGER_free(ai);
    BN_free(bn);
  }
  ASN1_TIME_free(t);
  X509_CRL_sort(crl.get());
  if (X509_CRL_sign(crl.get(), key_.get(), EVP_sha256()) == 0) {
    return Internal("CRL signing failed: " + OpenSslError());
  }
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_CRL(bio, crl.get());
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(bio, &mem);
  std::string pem(mem->data, mem->length);
  BIO_free(bio);
  return WriteFileAtomic(dir_ + "/crl.pem", pem);
}

}  // namespace tayori::crypto
