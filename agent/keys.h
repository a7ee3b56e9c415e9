// TerminalKeys: what a terminal proves itself and decrypts with, kept under
// HOME/keys (docs/agent.md): the office certificate and its private key, the
// pinned CA and the latest CRL seen (crl.pem), this terminal's CurveZMQ key (Z85) and X25519 key pair. Owns
// the parsed keys. Load and Write borrow ENV for the call only; a loaded
// TerminalKeys is read-only, so any thread may read it.
#ifndef TAYORI_AGENT_KEYS_H_
#define TAYORI_AGENT_KEYS_H_

#include <memory>
#include <string>

#include "common/crypto/e2e.h"
#include "common/crypto/x509.h"
#include "common/env.h"
#include "common/status.h"

namespace tayori::agent {

// The key files as `init` writes them: PEM text and raw keys.
struct KeyFiles {
  std::string cert_pem;
  std::string key_pem;
  std::string ca_pem;
  std::string curve_secret_z85;
  crypto::BoxKeyPair e2e;
};

struct TerminalKeys {
  // Reads and parses HOME/keys. A key file that is missing or does not parse
  // is an error naming it.
  static StatusOr<TerminalKeys> Load(const std::string& home, Env* env);
  // Writes every key file of HOME/keys (mode 0600), each atomically.
  static Status Write(const std::string& home, const KeyFiles& files, Env* env);
  // Keeps CRL_PEM as HOME/keys/crl.pem (the caller has verified it).
  static Status WriteCrl(const std::string& home, const std::string& crl_pem, Env* env);

  std::unique_ptr<crypto::Certificate> cert;
  std::unique_ptr<crypto::PrivateKey> key;
  std::unique_ptr<crypto::TrustStore> trust;  // the pinned CA and the latest CRL seen
  std::string ca_pem;
  crypto::BoxKeyPair e2e;    // end-to-end encryption (pk, sk: 32 bytes each)
  std::string curve_public;  // transport, Z85
  std::string curve_secret;  // transport, Z85
};

}  // namespace tayori::agent

#endif  // TAYORI_AGENT_KEYS_H_
