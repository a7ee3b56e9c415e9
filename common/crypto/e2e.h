// End-to-end encryption of a send, so the broker holds only ciphertext.
//
// Each send has a fresh 32-byte key. File bytes are cut into chunks and each
// chunk is sealed with an AEAD chosen by the manifest's version: AES-256-GCM
// (OpenSSL, with the CPU's AES and carry-less multiply instructions) from
// version 2, XChaCha20-Poly1305 (libsodium) in version 1, which messages
// stored before still use. From version 3 a chunk's plaintext is packed
// (common/crypto/packing.h: compressed when that makes it shorter) before
// it is sealed. The nonce is (file index, chunk index) and the
// associated data also binds the chunk count, so chunks can be neither
// reordered, swapped between files, nor dropped from the end; with a key
// used for one send only, no nonce repeats under a key. The free-text
// message is sealed the same way as file index kMessageFileIndex. The send
// key travels sealed (crypto_box_seal) to the recipient office's X25519
// key. Stateless functions; any thread.
#ifndef TAYORI_COMMON_CRYPTO_E2E_H_
#define TAYORI_COMMON_CRYPTO_E2E_H_

#include <openssl/evp.h>
#include <sodium.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/crypto/packing.h"
#include "common/status.h"

namespace tayori::crypto {

constexpr uint32_t kMessageFileIndex = 0xffffffffu;
constexpr size_t kChunkOverhead = crypto_aead_xchacha20poly1305_ietf_ABYTES;  // 16

struct BoxKeyPair {
  std::string pk;  // 32 bytes
  std::string sk;  // 32 bytes
};

BoxKeyPair NewBoxKeyPair();
std::string NewSendKey();

// Sealed box of SEND_KEY to RECIPIENT_PK.
StatusOr<std::string> SealKey(const std::string& send_key, const std::string& recipient_pk);
StatusOr<std::string> OpenSealedKey(const std::string& sealed, const BoxKeyPair& own);

enum class Aead { kXChaCha20Poly1305, kAes256Gcm };

// Manifest versions this build reads and writes, and the AEAD of each.
constexpr uint32_t kManifestVersion = 3;  // what new sends are
bool KnownManifestVersion(uint32_t version);
Aead AeadOf(uint32_t manifest_version);  // a known version
bool PacksChunks(uint32_t manifest_version);

// The most a chunk of PLAIN_LEN bytes takes sealed under a manifest
// VERSION: exactly that in versions 1 and 2; from 3, packed chunks are
// shorter or one byte longer (kChunkOverhead + kPackOverhead at most).
size_t MaxSealedLen(uint32_t manifest_version, uint64_t plain_len);
// The least: a chunk sealed under VERSION is never shorter.
size_t MinSealedLen(uint32_t manifest_version, uint64_t plain_len);

// Seals chunk CHUNK_INDEX of CHUNK_COUNT of file FILE_INDEX under manifest
// VERSION into OUT, which has room for MaxSealedLen: packs it (from version
// 3), then encrypts. Returns the bytes written; 0 with a malformed key or
// when packing fails (no memory).
size_t SealChunkTo(uint32_t manifest_version, const std::string& key, uint32_t file_index, uint32_t chunk_index,
                   uint32_t chunk_count, std::string_view plaintext, char* out);
std::string SealChunk(uint32_t manifest_version, const std::string& key, uint32_t file_index, uint32_t chunk_index,
                      uint32_t chunk_count, std::string_view plaintext);
// The PLAIN_LEN bytes sealed in SEALED; digest_mismatch if the chunk was
// altered, is not the one named, or does not hold PLAIN_LEN bytes.
StatusOr<std::string> OpenChunk(uint32_t manifest_version, const std::string& key, uint32_t file_index,
                                uint32_t chunk_index, uint32_t chunk_count, const std::string& sealed,
                                uint64_t plain_len);

// Both add kChunkOverhead bytes (the tag) to the plaintext; EncryptChunkTo
// writes them at OUT (false only with a malformed key).
bool EncryptChunkTo(Aead aead, const std::string& key, uint32_t file_index, uint32_t chunk_index, uint32_t chunk_count,
                    std::string_view plaintext, char* out);
std::string EncryptChunk(Aead aead, const std::string& key, uint32_t file_index, uint32_t chunk_index,
                         uint32_t chunk_count, std::string_view plaintext);
// digest_mismatch if the chunk was altered or is not the one named.
StatusOr<std::string> DecryptChunk(Aead aead, const std::string& key, uint32_t file_index, uint32_t chunk_index,
                                   uint32_t chunk_count, const std::string& ciphertext);

// Chunks of a file of SIZE bytes (an empty file is one empty chunk).
uint32_t ChunkCount(uint64_t size, uint32_t chunk_size);
// Plaintext bytes in chunk CHUNK of such a file (0 past its end).
uint64_t ChunkLen(uint64_t size, uint32_t chunk_size, uint32_t chunk);

// Streaming SHA-256 (OpenSSL's, which uses the CPU's SHA extensions where
// present). Owns its context; one thread at a time.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(std::string_view data);
  std::string Final();  // 32 bytes; call once

 private:
  EVP_MD_CTX* ctx_;
};

std::string Sha256Of(const std::string& data);

// The digest a manifest signs for each file's stored bytes (cipher_sha256),
// fed one sealed chunk at a time in order. Version 1: SHA-256 of the whole
// ciphertext. Version 2: SHA-256 of the chunks' 16-byte tags, back to back:
// each tag already authenticates its chunk under the send key, which the
// recipient checks, so signing the tags binds the same bytes while neither
// side hashes them all again. One thread at a time.
class ChunkDigest {
 public:
  explicit ChunkDigest(uint32_t manifest_version) : tags_only_(manifest_version >= 2) {}
  void Update(std::string_view sealed_chunk) {
    hash_.Update(tags_only_ && sealed_chunk.size() >= kChunkOverhead
                     ? sealed_chunk.substr(sealed_chunk.size() - kChunkOverhead)
                     : sealed_chunk);
  }
  std::string Final() { return hash_.Final(); }

 private:
  const bool tags_only_;
  Sha256 hash_;
};

}  // namespace tayori::crypto

#endif  // TAYORI_COMMON_CRYPTO_E2E_H_
