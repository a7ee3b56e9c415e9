#include "common/crypto/e2e.h"

#include <openssl/evp.h>

#include <algorithm>
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

bool KnownManifestVersion(uint32_t version) { return version >= 1 && version <= 3; }

Aead AeadOf(uint32_t manifest_version) { return manifest_version >= 2 ? Aead::kAes256Gcm : Aead::kXChaCha20Poly1305; }

bool PacksChunks(uint32_t manifest_version) { return manifest_version >= 3; }

size_t MaxSealedLen(uint32_t manifest_version, uint64_t plain_len) {
  return static_cast<size_t>(plain_len) + kChunkOverhead + (PacksChunks(manifest_version) ? kPackOverhead : 0);
}

size_t MinSealedLen(uint32_t manifest_version, uint64_t plain_len) {
  return PacksChunks(manifest_version) ? kChunkOverhead + kPackOverhead
                                       : static_cast<size_t>(plain_len) + kChunkOverhead;
}

namespace {

// AES-256-GCM with a 12-byte nonce (file index, chunk index, 0) and the
// same associated data as the XChaCha20-Poly1305 chunks. ENCRYPT: IN is
// plaintext and OUT gets IN.size() + kChunkOverhead bytes (ciphertext, then
// the tag); else IN is ciphertext and tag and OUT gets IN.size() -
// kChunkOverhead bytes.
bool Gcm(bool encrypt, const std::string& key, const Nonce& n, std::string_view in, unsigned char* o) {
  if (key.size() != 32 || (!encrypt && in.size() < kChunkOverhead)) return false;
  const size_t body = encrypt ? in.size() : in.size() - kChunkOverhead;
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return false;
  unsigned char iv[12] = {};
  std::memcpy(iv, n.n, 8);
  int len = 0;
  const auto* i = reinterpret_cast<const unsigned char*>(in.data());
  bool ok = EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), nullptr, U(key), iv, encrypt ? 1 : 0) == 1 &&
            EVP_CipherUpdate(ctx, nullptr, &len, n.ad, sizeof n.ad) == 1 &&
            EVP_CipherUpdate(ctx, o, &len, i, static_cast<int>(body)) == 1;
  if (ok && encrypt) {
    ok = EVP_CipherFinal_ex(ctx, o + body, &len) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kChunkOverhead), o + body) == 1;
  } else if (ok) {
    unsigned char tag[kChunkOverhead];
    std::memcpy(tag, i + body, kChunkOverhead);
    ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kChunkOverhead), tag) == 1 &&
         EVP_CipherFinal_ex(ctx, o + body, &len) == 1;
  }
  EVP_CIPHER_CTX_free(ctx);
  return ok;
}

}  // namespace

bool EncryptChunkTo(Aead aead, const std::string& key, uint32_t file_index, uint32_t chunk_index, uint32_t chunk_count,
                    std::string_view plaintext, char* out) {
  Nonce n = MakeNonce(file_index, chunk_index, chunk_count);
  auto* o = reinterpret_cast<unsigned char*>(out);
  if (aead == Aead::kAes256Gcm) return Gcm(true, key, n, plaintext, o);
  if (key.size() != crypto_aead_xchacha20poly1305_ietf_KEYBYTES) return false;
  unsigned long long len = 0;
  return crypto_aead_xchacha20poly1305_ietf_encrypt(o, &len, reinterpret_cast<const unsigned char*>(plaintext.data()),
                                                    plaintext.size(), n.ad, sizeof n.ad, nullptr, n.n, U(key)) == 0;
}

std::string EncryptChunk(Aead aead, const std::string& key, uint32_t file_index, uint32_t chunk_index,
                         uint32_t chunk_count, std::string_view plaintext) {
  std::string out(plaintext.size() + kChunkOverhead, '\0');
  // Only a malformed key fails: an empty chunk then never authenticates.
  if (!EncryptChunkTo(aead, key, file_index, chunk_index, chunk_count, plaintext, out.data())) out.clear();
  return out;
}

StatusOr<std::string> DecryptChunk(Aead aead, const std::string& key, uint32_t file_index, uint32_t chunk_index,
                                   uint32_t chunk_count, const std::string& ciphertext) {
  if (ciphertext.size() < kChunkOverhead || key.size() != crypto_aead_xchacha20poly1305_ietf_KEYBYTES) {
    return Status(Code::kDataLoss, "digest_mismatch", "chunk too short");
  }
  Nonce n = MakeNonce(file_index, chunk_index, chunk_count);
  std::string out;
  bool ok = false;
  if (aead == Aead::kAes256Gcm) {
    out.resize(ciphertext.size() - kChunkOverhead);
    ok = Gcm(false, key, n, ciphertext, reinterpret_cast<unsigned char*>(out.data()));
  } else {
    out.resize(ciphertext.size() - kChunkOverhead);
    unsigned long long len = 0;
    ok = crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(out.data()), &len, nullptr,
                                                    U(ciphertext), ciphertext.size(), n.ad, sizeof n.ad, n.n,
                                                    U(key)) == 0;
    out.resize(len);
  }
  if (!ok) {
    return Status(
        Code::kDataLoss, "digest_mismatch",
        "chunk " + std::to_string(chunk_index) + " of file " + std::to_string(file_index) + " fails authentication");
  }
  return out;
}

size_t SealChunkTo(uint32_t manifest_version, const std::string& key, uint32_t file_index, uint32_t chunk_index,
                   uint32_t chunk_count, std::string_view plaintext, char* out) {
  const Aead aead = AeadOf(manifest_version);
  if (!PacksChunks(manifest_version)) {
    return EncryptChunkTo(aead, key, file_index, chunk_index, chunk_count, plaintext, out)
               ? plaintext.size() + kChunkOverhead
               : 0;
  }
  // Packed in OUT, then encrypted where it lies (GCM allows it).
  const size_t packed = PackChunk(plaintext, out);
  if (packed == 0) return 0;
  return EncryptChunkTo(aead, key, file_index, chunk_index, chunk_count, std::string_view(out, packed), out)
             ? packed + kChunkOverhead
             : 0;
}

std::string SealChunk(uint32_t manifest_version, const std::string& key, uint32_t file_index, uint32_t chunk_index,
                      uint32_t chunk_count, std::string_view plaintext) {
  std::string out(MaxSealedLen(manifest_version, plaintext.size()), '\0');
  // A malformed key or failed packing gives an empty string, which never
  // authenticates.
  out.resize(SealChunkTo(manifest_version, key, file_index, chunk_index, chunk_count, plaintext, out.data()));
  return out;
}

StatusOr<std::string> OpenChunk(uint32_t manifest_version, const std::string& key, uint32_t file_index,
                                uint32_t chunk_index, uint32_t chunk_count, const std::string& sealed,
                                uint64_t plain_len) {
  ASSIGN_OR_RETURN(std::string opened,
                   DecryptChunk(AeadOf(manifest_version), key, file_index, chunk_index, chunk_count, sealed));
  if (PacksChunks(manifest_version)) return UnpackChunk(opened, static_cast<size_t>(plain_len));
  if (opened.size() != plain_len) {
    return Status(
        Code::kDataLoss, "digest_mismatch",
        "chunk " + std::to_string(chunk_index) + " of file " + std::to_string(file_index) + " has the wrong length");
  }
  return opened;
}

uint32_t ChunkCount(uint64_t size, uint32_t chunk_size) {
  if (size == 0) return 1;
  return static_cast<uint32_t>((size + chunk_size - 1) / chunk_size);
}

uint64_t ChunkLen(uint64_t size, uint32_t chunk_size, uint32_t chunk) {
  const uint64_t start = static_cast<uint64_t>(chunk) * chunk_size;
  return start >= size ? 0 : std::min<uint64_t>(chunk_size, size - start);
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

void Sha256::Update(std::string_view data) { EVP_DigestUpdate(ctx_, data.data(), data.size()); }

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
