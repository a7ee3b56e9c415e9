#include "common/crypto/x509.h"

#include <gtest/gtest.h>

#include "common/crypto/test_ca.h"
#include "common/env.h"
#include "tests/support/test_util.h"

namespace tayori::crypto {
namespace {

constexpr int64_t kNow = 1795000000;

class X509Test : public ::testing::Test {
 protected:
  X509Test() : ca_(dir_.Sub("ca"), kNow) {}

  StatusOr<CertInfo> VerifyIssued(CertType type, int64_t nb, int64_t na, int64_t at, std::string* serial = nullptr) {
    auto issued = ca_.ca().Issue({"0123456789", "KJ000000000001", type, nb, na});
    EXPECT_TRUE(issued.ok());
    if (serial) *serial = issued->serial_hex;
    auto cert = Certificate::FromPem(issued->cert_pem);
    EXPECT_TRUE(cert.ok());
    auto trust = TrustStore::FromPem(*ReadFile(ca_.ca_pem()), *ReadFile(ca_.crl_pem()));
    EXPECT_TRUE(trust.ok());
    return trust->Verify(*cert, at);
  }

  testing::TempDir dir_;
  testing::CaFixture ca_;
};

TEST_F(X509Test, AcceptsBothOfficeCertificateTypes) {
  for (CertType t : {CertType::kCareInsurance, CertType::kCareplanDelegated}) {
    auto info = VerifyIssued(t, kNow - 10, kNow + 1000, kNow);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_EQ(info->office, "0123456789");
    EXPECT_EQ(info->user_id, "KJ000000000001");
    EXPECT_EQ(info->type, t);
  }
}

TEST_F(X509Test, RefusesProxyAndDisabilityCertificates) {
  EXPECT_EQ(VerifyIssued(CertType::kProxy, kNow - 10, kNow + 1000, kNow).status().reason(), "cert_proxy");
  EXPECT_EQ(VerifyIssued(CertType::kDisability, kNow - 10, kNow + 1000, kNow).status().reason(), "cert_disability");
}

TEST_F(X509Test, RefusesExpiredAndNotYetValid) {
  EXPECT_EQ(VerifyIssued(CertType::kCareInsurance, kNow - 1000, kNow - 10, kNow).status().reason(), "cert_expired");
  EXPECT_EQ(VerifyIssued(CertType::kCareInsurance, kNow + 100, kNow + 1000, kNow).status().reason(), "cert_expired");
}

TEST_F(X509Test, RefusesRevoked) {
  std::string serial;
  ASSERT_TRUE(VerifyIssued(CertType::kCareInsurance, kNow - 10, kNow + 1000, kNow, &serial).ok());
  ASSERT_TRUE(ca_.ca().Revoke(serial, kNow).ok());
  auto issued_pem = ReadFile(dir_.Sub("ca/issued/" + serial + ".pem"));
  auto cert = Certificate::FromPem(*issued_pem);
  auto trust = TrustStore::FromPem(*ReadFile(ca_.ca_pem()), *ReadFile(ca_.crl_pem()));
  ASSERT_TRUE(trust.ok());
  EXPECT_EQ(trust->Verify(*cert, kNow + 1).status().reason(), "cert_revoked");
  EXPECT_FALSE(ca_.ca().Revoke("ABCDEF", kNow).ok());  // never issued
}

TEST_F(X509Test, RefusesCertificateOfAnotherCa) {
  testing::CaFixture other(dir_.Sub("other"), kNow);
  const std::string folder = other.IssueValid("x", "0123456789", "KJ000000000001", kNow);
  auto cert = Certificate::FromPem(*ReadFile(folder + "/cert.pem"));
  auto trust = TrustStore::FromPem(*ReadFile(ca_.ca_pem()), *ReadFile(ca_.crl_pem()));
  EXPECT_EQ(trust->Verify(*cert, kNow).status().reason(), "cert_untrusted");
}

TEST_F(X509Test, RefusesCrlOfAnotherCa) {
  testing::CaFixture other(dir_.Sub("other"), kNow);
  auto trust = TrustStore::FromPem(*ReadFile(ca_.ca_pem()), *ReadFile(other.crl_pem()));
  EXPECT_EQ(trust.status().reason(), "config_invalid");
}

TEST_F(X509Test, SignaturesVerifyAndDetectTampering) {
  const std::string folder = ca_.IssueValid("a", "0123456789", "KJ000000000001", kNow);
  auto cert = Certificate::FromPem(*ReadFile(folder + "/cert.pem"));
  auto key = PrivateKey::FromPem(*ReadFile(folder + "/key.pem"));
  ASSERT_TRUE(key->CheckMatches(*cert).ok());
  auto sig = key->Sign("manifest bytes");
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(cert->VerifySignature("manifest bytes", *sig).ok());
  EXPECT_EQ(cert->VerifySignature("manifest bytez", *sig).reason(), "signature_invalid");
  EXPECT_EQ(cert->VerifySignature("manifest bytes", "garbage").reason(), "signature_invalid");
  auto other_key = PrivateKey::Generate();
  EXPECT_EQ(other_key->CheckMatches(*cert).reason(), "key_mismatch");
}

TEST_F(X509Test, GarbageInputIsAnErrorNotACrash) {
  EXPECT_FALSE(Certificate::FromPem("").ok());
  EXPECT_FALSE(Certificate::FromPem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").ok());
  EXPECT_FALSE(Certificate::FromDer(std::string("\x30\x82\xff\xff", 4)).ok());
  EXPECT_FALSE(Certificate::FromDer("").ok());
  EXPECT_FALSE(PrivateKey::FromPem("not a key").ok());
  EXPECT_FALSE(TrustStore::FromPem("junk", "").ok());
  EXPECT_FALSE(TrustStore::FromPem(*ReadFile(ca_.ca_pem()), "junk").ok());
  // Trailing bytes after a valid DER certificate are refused too.
  const std::string folder = ca_.IssueValid("a", "0123456789", "KJ000000000001", kNow);
  auto cert = Certificate::FromPem(*ReadFile(folder + "/cert.pem"));
  EXPECT_FALSE(Certificate::FromDer(cert->Der() + "x").ok());
}

TEST_F(X509Test, IssueRefusesBadIdentity) {
  EXPECT_EQ(ca_.ca().Issue({"12345", "KJ000000000001", CertType::kCareInsurance, kNow, kNow + 10}).status().reason(),
            "bad_office_number");
  EXPECT_EQ(ca_.ca().Issue({"0123456789", "XX1", CertType::kCareInsurance, kNow, kNow + 10}).status().reason(),
            "bad_user_id");
  EXPECT_FALSE(TestCa::Init(dir_.Sub("ca"), kNow).ok());  // never overwrites a CA
}

}  // namespace
}  // namespace tayori::crypto
