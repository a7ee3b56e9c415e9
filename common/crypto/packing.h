// How a chunk's plaintext is packed before it is sealed, from manifest
// version 3: one method byte, then the body. kStored: the bytes as they are.
// kZstd: one zstd frame (level 1) that declares the chunk's length as its
// content size. Standard CSVs shrink many times over; PDFs and images are
// compressed already and stay as they are.
//
// PackChunk chooses zstd only when it makes the chunk shorter, and tries it
// only when a probe of the chunk's first 64 KiB shrinks by at least 1/16,
// so incompressible data costs a sixteenth of a pass over 1 MiB chunks
// (all of a chunk of 64 KiB or less). Packing a chunk again (a send
// resumed after a restart) gives the same bytes under the same PackerId
// (zstd promises as much within one version); an agent whose packer
// differs must not seal again under the same key and nonces.
//
// UnpackChunk does work bounded by the length the caller expects, never by
// a size the packed bytes declare. Stateless functions; any thread (each
// thread keeps its own zstd contexts).
#ifndef TAYORI_COMMON_CRYPTO_PACKING_H_
#define TAYORI_COMMON_CRYPTO_PACKING_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tayori::crypto {

enum class PackMethod : unsigned char { kStored = 0, kZstd = 1 };

constexpr size_t kPackOverhead = 1;  // the method byte

// Names the packing this build does (zstd's version and level): a chunk
// packed again gives the same bytes only under the same packer.
std::string PackerId();

// Packs PLAIN into OUT, which has room for PLAIN.size() + kPackOverhead
// bytes; returns the bytes written (at most that), 0 if zstd failed (no
// memory): then no choice was made, which a second try might not repeat.
size_t PackChunk(std::string_view plain, char* out);

// The plaintext packed in PACKED, which must be exactly PLAIN_LEN bytes;
// digest_mismatch if PACKED is not such a chunk.
StatusOr<std::string> UnpackChunk(std::string_view packed, size_t plain_len);

}  // namespace tayori::crypto

#endif  // TAYORI_COMMON_CRYPTO_PACKING_H_
