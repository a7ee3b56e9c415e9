// Protocol-wide limits (docs/protocol.md): every broker's settings stay
// within them, so an agent may refuse anything beyond them without knowing
// the broker's own. Constants only.
#ifndef TAYORI_COMMON_WIRE_LIMITS_H_
#define TAYORI_COMMON_WIRE_LIMITS_H_

#include <cstdint>

namespace tayori::wire {

// A manifest's chunk size (plaintext bytes; a file's last chunk may be
// shorter): min_chunk_bytes and max_chunk_bytes of a broker lie between.
inline constexpr uint32_t kMinChunkBytes = 4096;
inline constexpr uint32_t kMaxChunkBytes = 16u << 20;
// The sum of a send's file sizes: a broker's max_send_bytes is at most this.
inline constexpr uint64_t kMaxSendBytes = 1ull << 40;
// Files in one send: a broker's max_files is at most this.
inline constexpr uint32_t kMaxFiles = 1000;

}  // namespace tayori::wire

#endif  // TAYORI_COMMON_WIRE_LIMITS_H_
