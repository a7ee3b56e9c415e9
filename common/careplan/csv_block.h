// The MS932 byte structure as tables, and a 64-byte block of a CSV file as
// bit masks (bit i for byte i): where its quotes, commas and line ends are,
// where two-byte characters start, and which bytes make the text invalid
// MS932. A block's masks depend only on its bytes and one bit carried from
// the block before, so the processor classifies blocks in parallel instead
// of walking a chain from field to field; the fast content check
// (valid_csv.h) turns the masks into records. Internal to common/careplan;
// tables are immutable once built, any thread.
#ifndef TAYORI_COMMON_CAREPLAN_CSV_BLOCK_H_
#define TAYORI_COMMON_CAREPLAN_CSV_BLOCK_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace tayori::careplan::internal {

// What a byte is by itself. kAscii: printable ASCII; kText: any other byte
// that is a character alone (tab, half-width kana); kLead: the first of a
// two-byte character; kBad: never valid where it stands alone.
enum ByteClass : uint8_t { kAscii, kText, kLead, kBad, kComma, kQuote, kCr, kLf };

// Built once from what the iconv decoder (Ms932::Decode) accepts, so that
// validating bytes and decoding them never disagree: user-defined
// characters (外字) and control characters other than tab, CR and LF are
// not text.
struct Ms932Tables {
  uint8_t cls[256];
  // A bit for each two-byte character, indexed by its two bytes as the
  // machine loads them (PairIndex).
  uint64_t pairs[1024];
  // The rows of kana and symbols, the most common leads with holes in
  // Japanese text, as nibble tables for a vector lookup (AVX2): bit h of
  // row_low[r][n] is set when trail 0xhn (h < 8) follows kVectorRows[r] to
  // make a character, bit h - 8 of row_high[r][n] when h >= 8.
  static constexpr uint8_t kVectorRows[3] = {0x81, 0x82, 0x83};
  alignas(16) uint8_t row_low[3][16];
  alignas(16) uint8_t row_high[3][16];
  // The tables have the shape ClassifyBlock assumes (true with glibc's
  // CP932); if not, the reader goes byte by byte.
  bool blocks_ok = false;

  static uint16_t PairIndex(const char* two) {
    uint16_t i;
    std::memcpy(&i, two, 2);
    return i;
  }
  bool Pair(const char* two) const {
    const uint16_t i = PairIndex(two);
    return (pairs[i >> 6] >> (i & 63)) & 1;
  }
};

const Ms932Tables& Ms932Structure();

constexpr int kBlockBytes = 64;

struct CsvBlock {
  uint64_t quote = 0, comma = 0, cr = 0, lf = 0;
  uint64_t lead = 0;  // first bytes of two-byte characters
  // Bytes that make the text invalid: a byte not valid alone, a lead whose
  // pair is no character (marked at the lead), a trail out of range (marked
  // at the trail).
  uint64_t bad = 0;
};

// True where ClassifyBlock is built (x86-64: SSE2).
bool HaveBlocks();

// Classifies the 64 bytes at P; P[64] must be readable (it is the trail of
// a lead in the last byte). *TRAIL says whether P[0] is the trail of a
// character begun in the block before, and on return whether the next
// block's first byte is. Bytes are tokenized from P on as MS932 does: a
// run of lead-range bytes pairs up from its first byte.
CsvBlock ClassifyBlock(const Ms932Tables& t, const char* p, bool* trail);
// Classifies COUNT blocks from P on into OUT[0..COUNT), as many calls of
// ClassifyBlock would (P[64 * COUNT] must be readable); fewer calls, and
// the tables stay in registers from block to block.
void ClassifyBlocks(const Ms932Tables& t, const char* p, size_t count, bool* trail, CsvBlock* out);
// The same with SSE2 alone, which every x86-64 has: the reference the
// tests hold the faster classification (AVX2) to.
CsvBlock ClassifyBlockSse2(const Ms932Tables& t, const char* p, bool* trail);

}  // namespace tayori::careplan::internal

#endif  // TAYORI_COMMON_CAREPLAN_CSV_BLOCK_H_
