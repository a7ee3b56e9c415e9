#include "agent/keys.h"

#include "common/crypto/curve.h"

namespace tayori::agent {
namespace {

std::string KeyDir(const std::string& home) { return home + "/keys"; }

}  // namespace

StatusOr<TerminalKeys> TerminalKeys::Load(const std::string& home, Env* env) {
  const std::string k = KeyDir(home);
  ASSIGN_OR_RETURN(std::string cert_pem, env->ReadFile(k + "/cert.pem"));
  ASSIGN_OR_RETURN(std::string key_pem, env->ReadFile(k + "/key.pem"));
  ASSIGN_OR_RETURN(std::string ca_pem, env->ReadFile(k + "/ca.pem"));
  ASSIGN_OR_RETURN(std::string curve, env->ReadFile(k + "/curve.key"));
  ASSIGN_OR_RETURN(std::string e2e, env->ReadFile(k + "/e2e.key"));
  ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::Certificate::FromPem(cert_pem));
  ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::PrivateKey::FromPem(key_pem));
  // The CA's latest CRL this terminal has seen (agent.cc learns it from the
  // broker; it is verified against the pinned CA before it is kept).
  std::string crl_pem;
  if (env->FileExists(k + "/crl.pem")) {
    ASSIGN_OR_RETURN(crl_pem, env->ReadFile(k + "/crl.pem"));
  }
  ASSIGN_OR_RETURN(crypto::TrustStore trust, crypto::TrustStore::FromPem(ca_pem, crl_pem));
  TerminalKeys keys;
  keys.ca_pem = ca_pem;
  keys.cert = std::make_unique<crypto::Certificate>(std::move(cert));
  keys.key = std::make_unique<crypto::PrivateKey>(std::move(key));
  keys.trust = std::make_unique<crypto::TrustStore>(std::move(trust));
  while (!curve.empty() && (curve.back() == '\n' || curve.back() == '\r')) curve.pop_back();
  keys.curve_secret = curve;
  ASSIGN_OR_RETURN(keys.curve_public, crypto::CurvePublicFromSecret(keys.curve_secret));
  if (e2e.size() != 64) return Internal("corrupt " + k + "/e2e.key");
  keys.e2e.pk = e2e.substr(0, 32);
  keys.e2e.sk = e2e.substr(32);
  return keys;
}

Status TerminalKeys::WriteCrl(const std::string& home, const std::string& crl_pem, Env* env) {
  return env->WriteFileAtomic(KeyDir(home) + "/crl.pem", crl_pem, 0600);
}

Status TerminalKeys::Write(const std::string& home, const KeyFiles& f, Env* env) {
  const std::string k = KeyDir(home);
  RETURN_IF_ERROR(env->CreateDirs(k, 0700));
  RETURN_IF_ERROR(env->WriteFileAtomic(k + "/cert.pem", f.cert_pem, 0600));
  RETURN_IF_ERROR(env->WriteFileAtomic(k + "/key.pem", f.key_pem, 0600));
  RETURN_IF_ERROR(env->WriteFileAtomic(k + "/ca.pem", f.ca_pem, 0600));
  RETURN_IF_ERROR(env->WriteFileAtomic(k + "/curve.key", f.curve_secret_z85 + "\n", 0600));
  return env->WriteFileAtomic(k + "/e2e.key", f.e2e.pk + f.e2e.sk, 0600);
}

}  // namespace tayori::agent
