#include "common/crypto/e2e.h"

#include <openssl/evp.h>

#include <cstring>

namespace tayori::crypto {
namespace {

struct Nonce {
  unsigned char n[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES] = {};
  unsigned char ad[12] = {};
};

void Put32(unsigned char* p, uint32_t v) {
  p[0] = static_cast<unsigned char>(v >> 24);
  p[1] = static_cast<unsigned char>(v >> 16);
  p[2] = static_cast<unsigned char>(v >> 8);
  p[3] = static_cast<unsigned char>(v);
}

Nonce MakeNonce(uint32_t file_index, uint32_t chunk_index, uint32_t chunk_count) {
  Nonce n;
  Put32(n.n, file_index);
  Put32(n.n + 4, chunk_index);
  Put32(n.ad, file_index);
  Put32(n.ad + 4, chunk_index);
  Put32(n.ad + 8, chunk_count);
  return n;
}

const unsigned char* U(const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); }

[[maybe_unused]] const bool kSodiumReady = sodium_init() >= 0;

}  // namespace

BoxKeyPair NewBoxKeyPair() {
  BoxKeyPair kp;
  kp.pk.resize(crypto_box_PUBLICKEYBYTES);
  kp.sk.resize(crypto_box_SECRETKEYBYTES);
  crypto_box_keypair(reinterpret_cast<unsigned char*>(kp.pk.data()), reinterpret_cast<unsigned char*>(kp.sk.data()));
  return kp;
}

std::string NewSendKey() {
  std::string key(crypto_aead_xchacha20poly1305_ietf_KEYBYTES, '\0');
  crypto_aead_xchacha20poly1305_ietf_keygen(reinterpret_cast<unsigned char*>(key.data()));
  return key;
}

StatusOr<std::string> SealKey(const std::string& send_key, const std::string& recipient_pk) {
  if (recipient_pk.size() != crypto_box_PUBLICKEYBYTES) {
    return InvalidArgument("recipient_not_enrolled", "recipient has no valid encryption key");
  }
  std::string out(send_key.size() + crypto_box_SEALBYTES, '\0');
  crypto_box_seal(reinterpret_cast<unsigned char*>(out.data()), U(send_key), send_key.size(), U(recipient_pk));
  return out;
}

StatusOr<std::string> OpenSealedKey(const std::string& sealed, const BoxKeyPair& own) {
  if (sealed.size() != crypto_aead_xchacha20poly1305_ietf_KEYBYTES + crypto_box_SEALBYTES) {
    return Status(Code::kDataLoss, "digest_mismatch", "sealed key has the wrong size");
  }
  std::string key(crypto_aead_xchacha20poly1305_ietf_KEYBYTES, '\0');
  if (crypto_box_seal_open(reinterpret_cast<unsigned char*>(key.data()), U(sealed), sealed.size(), U(own.pk),
                           U(own.sk)) != 0) {
    return Status(Code::kDataLoss, "digest_mismatch", "the send key is not sealed to this office's key");
  }
  return key;
}

std::string EncryptChunk(const std::string& key, uint32_t file_index, uint32_t chunk_index, uint32_t chunk_count,
                         const std::string& plaintext) {
  Nonce n = MakeNonce(file_index, chunk_index, chunk_count);
  std::string out(plaintext.size() + kChunkOverhead, '\0');
  unsigned long long len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(reinterpret_cast<unsigned char*>(out.data()), &len, U(plaintext),
                                             plaintext.size(), n.ad, sizeof n.ad, nullptr, n.n, U(key));
  out.resize(len);
  return out;
}

StatusOr<std::string> DecryptChunk(const std::string& key, uint32_t file_index, uint32_t chunk_index,
                                   uint32_t chunk_count, const std::string& ciphertext) {
  if (ciphertext.size() < kChunkOverhead || key.size() != crypto_aead_xchacha20poly1305_ietf_KEYBYTES) {
    return Status(Code::kDataLoss, "digest_mismatch", "chunk too short");
  }
  Nonce n = MakeNonce(file_index, chunk_index, chunk_count);
  std::string out(ciphertext.size() - kChunkOverhead, '\0');
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(out.data()), &len, nullptr,
                                                 U(ciphertext), ciphertext.size(), n.ad, sizeof n.ad, n.n,
                                                 U(key)) != 0) {
    return Status(
        Code::kDataLoss, "digest_mismatch",
        "chunk " + std::to_string(chunk_index) + " of file " + std::to_string(file_index) + " fails authentication");
  }
  out.resize(len);
  return out;
}

uint32_t ChunkCount(uint64_t size, uint32_t chunk_size) {
  if (size == 0) return 1;
  return static_cast<uint32_t>((size + chunk_size - 1) / chunk_size);
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

void Sha256::Update(const std::string& data) { EVP_DigestUpdate(ctx_, data.data(), data.size()); }

std::string Sha256::Final() {
  std::string out(32, '\0');
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_, reinterpret_cast<unsigned char*>(out.data()), &len);
  return out;
}

std::string Sha256Of(const std::string& data) {
  Sha256 h;
  h.Update(data);
  return h.Final();
}

}  // namespace tayori::crypto
