#include "common/crypto/packing.h"

#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <memory>
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

// Whether zstd is worth trying on PLAIN: its first kProbeBytes shrink by at
// least a sixteenth.
bool WorthCompressing(ZSTD_CCtx* ctx, std::string_view plain) {
  const size_t probe = std::min(plain.size(), kProbeBytes);
  thread_local std::vector<char> scratch(ZSTD_compressBound(kProbeBytes));
  const size_t n = ZSTD_compressCCtx(ctx, scratch.data(), scratch.size(), plain.data(), probe, kLevel);
  return !ZSTD_isError(n) && n <= probe - probe / 16;
}

Status NotAChunk(const std::string& why) { return Status(Code::kDataLoss, "digest_mismatch", why); }

}  // namespace

size_t PackChunk(std::string_view plain, char* out) {
  ZSTD_CCtx* ctx = ThreadCCtx();
  if (ctx != nullptr && plain.size() > kPackOverhead && WorthCompressing(ctx, plain)) {
    // Room for one byte less than the chunk itself: zstd fails unless the
    // frame, with the method byte, comes out shorter than storing.
    const size_t n =
        ZSTD_compressCCtx(ctx, out + kPackOverhead, plain.size() - kPackOverhead, plain.data(), plain.size(), kLevel);
    if (!ZSTD_isError(n)) {
      out[0] = static_cast<char>(PackMethod::kZstd);
      return kPackOverhead + n;
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
      // The frame must declare the length expected, and decode to exactly
      // it into a buffer of that length: a frame that claims more fails
      // before anything is allocated for it.
      if (ZSTD_getFrameContentSize(body.data(), body.size()) != plain_len) {
        return NotAChunk("compressed chunk declares the wrong length");
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
