#include "common/crypto/packing.h"

#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

namespace tayori::crypto {
namespace {

constexpr int kLevel = 1;
constexpr size_t kProbeBytes = 64 * 1024;

struct FreeCCtx {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct FreeDCtx {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

ZSTD_CCtx* ThreadCCtx() {
  thread_local std::unique_ptr<ZSTD_CCtx, FreeCCtx> ctx(ZSTD_createCCtx());
  return ctx.get();
}

ZSTD_DCtx* ThreadDCtx() {
  thread_local std::unique_ptr<ZSTD_DCtx, FreeDCtx> ctx(ZSTD_createDCtx());
  return ctx.get();
}

// Whether zstd is worth trying on PLAIN (its first kProbeBytes shrink by at
// least a sixteenth); nullopt if zstd fails (no memory), when no choice may
// be made that packing the chunk again might not repeat.
std::optional<bool> WorthCompressing(ZSTD_CCtx* ctx, std::string_view plain) {
  const size_t probe = std::min(plain.size(), kProbeBytes);
  thread_local std::vector<char> scratch(ZSTD_compressBound(kProbeBytes));
  const size_t n = ZSTD_compressCCtx(ctx, scratch.data(), scratch.size(), plain.data(), probe, kLevel);
  if (ZSTD_isError(n)) return std::nullopt;
  return n <= probe - probe / 16;
}

Status NotAChunk(const std::string& why) { return Status(Code::kDataLoss, "digest_mismatch", why); }

}  // namespace

std::string PackerId() { return std::string("zstd ") + ZSTD_versionString() + " level " + std::to_string(kLevel); }

size_t PackChunk(std::string_view plain, char* out) {
  if (plain.size() > kPackOverhead) {
    ZSTD_CCtx* ctx = ThreadCCtx();
    if (ctx == nullptr) return 0;
    const std::optional<bool> worth = WorthCompressing(ctx, plain);
    if (!worth) return 0;
    if (*worth) {
      // Room for one byte less than the chunk itself: zstd fails (and only
      // so) unless the frame, with the method byte, is shorter than storing.
      const size_t n =
          ZSTD_compressCCtx(ctx, out + kPackOverhead, plain.size() - kPackOverhead, plain.data(), plain.size(), kLevel);
      if (!ZSTD_isError(n)) {
        out[0] = static_cast<char>(PackMethod::kZstd);
        return kPackOverhead + n;
      }
      if (ZSTD_getErrorCode(n) != ZSTD_error_dstSize_tooSmall) return 0;
    }
  }
  out[0] = static_cast<char>(PackMethod::kStored);
  if (!plain.empty()) std::memcpy(out + kPackOverhead, plain.data(), plain.size());
  return kPackOverhead + plain.size();
}

StatusOr<std::string> UnpackChunk(std::string_view packed, size_t plain_len) {
  if (packed.size() < kPackOverhead) return NotAChunk("chunk has no packing byte");
  const std::string_view body = packed.substr(kPackOverhead);
  switch (static_cast<PackMethod>(packed[0])) {
    case PackMethod::kStored:
      if (body.size() != plain_len) return NotAChunk("stored chunk has the wrong length");
      return std::string(body);
    case PackMethod::kZstd: {
      // One frame, all of the body, that declares the length expected and
      // decodes to exactly it into a buffer of that length: a frame that
      // claims more fails before anything is allocated for it, one that
      // decodes to more fails at the end of that buffer.
      if (ZSTD_getFrameContentSize(body.data(), body.size()) != plain_len ||
          ZSTD_findFrameCompressedSize(body.data(), body.size()) != body.size()) {
        return NotAChunk("compressed chunk is not one frame of the length expected");
      }
      ZSTD_DCtx* ctx = ThreadDCtx();
      if (ctx == nullptr) return Internal("out of memory for decompression");
      std::string out(plain_len, '\0');
      const size_t n = ZSTD_decompressDCtx(ctx, out.data(), out.size(), body.data(), body.size());
      if (ZSTD_isError(n) || n != plain_len) return NotAChunk("compressed chunk does not decode");
      return out;
    }
  }
  return NotAChunk("chunk packed by an unknown method");
}

}  // namespace tayori::crypto
