#include "common/careplan/csv_block.h"

#include <string>
#include <string_view>

#include "common/careplan/csv.h"

#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace tayori::careplan::internal {
namespace {

// MS932 as ClassifyBlock sees it: bytes that stand alone, the lead range,
// the rows whose every trail in range is a character, and the trail range.
bool IsSingle(unsigned b) {
  return b == '\t' || b == '\r' || b == '\n' || (b >= 0x20 && b <= 0x7e) || (b >= 0xa1 && b <= 0xdf);
}
bool IsLeadRange(unsigned b) { return (b >= 0x81 && b <= 0x9f) || (b >= 0xe0 && b <= 0xfc); }
bool IsFullRow(unsigned b) { return (b >= 0x89 && b <= 0x9f && b != 0x98) || (b >= 0xe0 && b <= 0xe9); }
bool IsTrail(unsigned b) { return (b >= 0x40 && b <= 0x7e) || (b >= 0x80 && b <= 0xfc); }

// True if T has the shape above.
bool BlocksFit(const Ms932Tables& t) {
  for (unsigned b = 0; b < 256; ++b) {
    if ((t.cls[b] != kLead && t.cls[b] != kBad) != IsSingle(b)) return false;
    if (t.cls[b] == kLead && !IsLeadRange(b)) return false;
    for (unsigned trail = 0; trail < 256; ++trail) {
      const char two[2] = {static_cast<char>(b), static_cast<char>(trail)};
      const bool pair = t.Pair(two);
      if (pair && !IsTrail(trail)) return false;
      if (IsFullRow(b) && pair != IsTrail(trail)) return false;
    }
  }
  return true;
}

}  // namespace

const Ms932Tables& Ms932Structure() {
  static const Ms932Tables* tables = [] {
    auto* t = new Ms932Tables{};
    Ms932 decoder;
    std::string utf8;
    size_t bad = 0;
    for (unsigned b = 0; b < 256; ++b) {
      const char one = static_cast<char>(b);
      if (decoder.Decode(std::string_view(&one, 1), &utf8, &bad)) {
        t->cls[b] = b >= 0x20 && b < 0x7f ? kAscii : kText;
        continue;
      }
      t->cls[b] = kBad;
      for (unsigned trail = 0; trail < 256; ++trail) {
        const char two[2] = {static_cast<char>(b), static_cast<char>(trail)};
        if (!decoder.Decode(std::string_view(two, 2), &utf8, &bad)) continue;
        t->cls[b] = kLead;
        const uint16_t i = Ms932Tables::PairIndex(two);
        t->pairs[i >> 6] |= uint64_t{1} << (i & 63);
      }
    }
    for (int r = 0; r < 3; ++r) {
      for (unsigned trail = 0; trail < 256; ++trail) {
        const char two[2] = {static_cast<char>(Ms932Tables::kVectorRows[r]), static_cast<char>(trail)};
        if (!t->Pair(two)) continue;
        const unsigned high = trail >> 4, low = trail & 15;
        if (high < 8) {
          t->row_low[r][low] |= static_cast<uint8_t>(1u << high);
        } else {
          t->row_high[r][low] |= static_cast<uint8_t>(1u << (high - 8));
        }
      }
    }
    t->blocks_ok = BlocksFit(*t);
    // The CSV's own bytes (all characters by themselves in MS932).
    t->cls[static_cast<unsigned char>(',')] = kComma;
    t->cls[static_cast<unsigned char>('"')] = kQuote;
    t->cls[static_cast<unsigned char>('\r')] = kCr;
    t->cls[static_cast<unsigned char>('\n')] = kLf;
    return t;
  }();
  return *tables;
}

#if defined(__SSE2__)

bool HaveBlocks() { return true; }

namespace {

constexpr uint64_t kEven = 0x5555555555555555u;
constexpr uint64_t kOdd = ~kEven;

// A block's bytes by kind, before tokenizing. With !text (printable ASCII
// and line ends only) the MS932 masks are left empty.
struct Kinds {
  uint64_t quote = 0, comma = 0, cr = 0, lf = 0;
  bool text = false;
  uint64_t lead_range = 0;  // 0x81-0x9F, 0xE0-0xFC
  uint64_t partial = 0;     // lead-range bytes whose row has holes: looked up
  uint64_t bad_alone = 0;   // invalid where the byte stands alone
  uint64_t bad_trail = 0;   // invalid as a trail
  uint64_t vector_row = 0;  // bytes of Ms932Tables::kVectorRows, their pairs looked up here
  uint64_t vector_ok = 0;   // those whose next byte makes a character with them
};

// The block at P from its bytes' kinds K.
[[gnu::always_inline]] inline CsvBlock FromKinds(const Ms932Tables& t, const Kinds& k, const char* p, bool* trail) {
  CsvBlock b;
  b.quote = k.quote;
  b.comma = k.comma;
  b.cr = k.cr;
  b.lf = k.lf;
  const bool carried = *trail;
  if (!k.text) {  // printable ASCII and line ends
    *trail = false;
    if (carried && !IsTrail(static_cast<unsigned char>(p[0]))) b.bad = 1;
    return b;
  }
  // Leads: in each run of lead-range bytes, those at an even distance from
  // the run's first byte (a byte carried in as a trail starts no run).
  const uint64_t h = carried ? k.lead_range & ~uint64_t{1} : k.lead_range;
  const uint64_t starts = h & ~(h << 1);
  const uint64_t even_runs = h & ~((starts & kEven) + h);
  b.lead = (even_runs & kEven) | (h & ~even_runs & kOdd);
  const uint64_t trails = (b.lead << 1) | (carried ? 1 : 0);
  *trail = (b.lead >> 63) != 0;
  b.bad = (~(b.lead | trails) & k.bad_alone) | (trails & k.bad_trail);
  // Leads of rows with holes: kana and symbols were looked up by the
  // vector, the rarer rows are looked up one by one.
  b.bad |= b.lead & k.vector_row & ~k.vector_ok;
  for (uint64_t m = b.lead & k.partial & ~k.vector_row; m != 0; m &= m - 1) {
    const int i = __builtin_ctzll(m);
    if (!t.Pair(p + i)) b.bad |= uint64_t{1} << i;
  }
  return b;
}

// Vector helpers for 16 bytes (SSE2) and for 32 (AVX2),
// named with the set's prefix (Sse2Eq, Avx2Eq, ...), each with its target.
#define TAYORI_CSV_OPS(ATTR, P, V, LOADU, SET1, CMPEQ, CMPGT, OR, AND, ANDNOT, MOVEMASK)                 \
  [[maybe_unused]] ATTR inline V P##Load(const char* q) { return LOADU(reinterpret_cast<const V*>(q)); } \
  [[maybe_unused]] ATTR inline V P##Eq(V a, int c) { return CMPEQ(a, SET1(static_cast<char>(c))); }      \
  /* Signed: bytes from 0x80 are -128..-1. */                                                            \
  [[maybe_unused]] ATTR inline V P##In(V a, int lo, int hi) {                                            \
    return AND(CMPGT(a, SET1(static_cast<char>(lo - 1))), CMPGT(SET1(static_cast<char>(hi + 1)), a));    \
  }                                                                                                      \
  [[maybe_unused]] ATTR inline V P##Below(V a, int c) { return CMPGT(SET1(static_cast<char>(c)), a); }   \
  [[maybe_unused]] ATTR inline V P##Above(V a, int c) { return CMPGT(a, SET1(static_cast<char>(c))); }   \
  [[maybe_unused]] ATTR inline V P##Or(V a, V b) { return OR(a, b); }                                    \
  [[maybe_unused]] ATTR inline V P##AndNot(V a, V b) { return ANDNOT(a, b); }                            \
  [[maybe_unused]] ATTR inline uint64_t P##Bits(V m, int chunk) {                                        \
    return static_cast<uint64_t>(static_cast<uint32_t>(MOVEMASK(m))) << (sizeof(V) * chunk);             \
  }

TAYORI_CSV_OPS(, Sse2, __m128i, _mm_loadu_si128, _mm_set1_epi8, _mm_cmpeq_epi8, _mm_cmpgt_epi8, _mm_or_si128,
               _mm_and_si128, _mm_andnot_si128, _mm_movemask_epi8)

// The classification by range comparisons, 16 bytes at a time, in signed
// byte values (0x80-0xFF are -128..-1): every x86-64 has it, and the tests
// hold the AVX2 classification to it.
Kinds KindsSse2(const Ms932Tables&, const char* p) {
  Kinds k;
  __m128i x[4], cr[4], lf[4];
  uint64_t special = 0;  // controls, DEL and bytes from 0x80
  for (int i = 0; i < 4; ++i) {
    x[i] = Sse2Load(p + 16 * i);
    cr[i] = Sse2Eq(x[i], '\r');
    lf[i] = Sse2Eq(x[i], '\n');
    k.quote |= Sse2Bits(Sse2Eq(x[i], '"'), i);
    k.comma |= Sse2Bits(Sse2Eq(x[i], ','), i);
    k.cr |= Sse2Bits(cr[i], i);
    k.lf |= Sse2Bits(lf[i], i);
    special |= Sse2Bits(Sse2Or(Sse2Below(x[i], 0x20), Sse2Eq(x[i], 0x7f)), i);
  }
  k.text = (special & ~(k.cr | k.lf)) != 0;
  if (!k.text) return k;
  uint64_t trail_ok = 0;
  for (int i = 0; i < 4; ++i) {
    const __m128i v = x[i];
    const __m128i del = Sse2Eq(v, 0x7f);
    const __m128i lead = Sse2Or(Sse2In(v, -127, -97), Sse2In(v, -32, -4));  // 81-9F, E0-FC
    const __m128i full =
        Sse2Or(Sse2AndNot(Sse2Eq(v, 0x98), Sse2In(v, -119, -97)), Sse2In(v, -32, -23));  // 89-9F but 98, E0-E9
    const __m128i alone = Sse2Or(Sse2Or(Sse2Eq(v, '\t'), cr[i]), Sse2Or(lf[i], Sse2In(v, -95, -33)));  // A1-DF
    k.lead_range |= Sse2Bits(lead, i);
    k.partial |= Sse2Bits(Sse2AndNot(full, lead), i);
    k.bad_alone |= Sse2Bits(Sse2Or(Sse2AndNot(alone, Sse2Below(v, 0x20)), del), i);
    trail_ok |= Sse2Bits(Sse2Or(Sse2AndNot(del, Sse2Above(v, 0x3f)), Sse2Below(v, -3)), i);  // 40-7E, 80-FC
  }
  k.bad_trail = ~trail_ok;
  return k;
}
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TAYORI_AVX2 __attribute__((target("avx2")))

// The MS932 kinds of a byte as flags: the flags of its high nibble in one
// table, of its low nibble in the other; a byte has the flags both give it
// (a vector lookup each, 32 bytes at once). Table 1: flags 0-3 mark bytes
// invalid alone, flags 2, 4 and 5 bytes invalid as a trail; table 2: flags
// 0-2 the lead range, flags 2-5 the leads of rows with holes. Each flag is
// a rectangle of high nibbles by low nibbles:
//   1.0  1x, 8x, 9x, Ex, Fx          1.1  0x but 09, 0A, 0D
//   1.2  7F                          1.3  A0
//   1.4  0x-3x                       1.5  FD-FF
//   2.0  9x, Ex                      2.1  81-8F
//   2.2  F0-FC                       2.3  81-88
//   2.4  98                          2.5  EA-EF
// The test of csv_block holds the result to the SSE2 classification,
// which compares ranges instead.
constexpr uint8_t kHigh1[16] = {0x12, 0x11, 0x10, 0x10, 0, 0, 0, 0x04, 0x01, 0x01, 0x08, 0, 0, 0, 0x01, 0x21};
constexpr uint8_t kLow1[16] = {0x1B, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13,
                               0x13, 0x11, 0x11, 0x13, 0x13, 0x31, 0x33, 0x37};
constexpr uint8_t kBadAlone = 0x0F, kBadTrail = 0x34;
constexpr uint8_t kHigh2[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0x0A, 0x11, 0, 0, 0, 0, 0x21, 0x04};
constexpr uint8_t kLow2[16] = {0x05, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F,
                               0x1F, 0x07, 0x27, 0x27, 0x27, 0x23, 0x23, 0x23};
constexpr uint8_t kLeadRange = 0x07, kPartial = 0x3C;

TAYORI_CSV_OPS(TAYORI_AVX2, Avx2, __m256i, _mm256_loadu_si256, _mm256_set1_epi8, _mm256_cmpeq_epi8, _mm256_cmpgt_epi8,
               _mm256_or_si256, _mm256_and_si256, _mm256_andnot_si256, _mm256_movemask_epi8)

TAYORI_AVX2 inline __m256i Avx2Table(const uint8_t (&t)[16]) {
  return _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(t)));
}

// The 64 bits of two 32-byte masks.
TAYORI_AVX2 inline uint64_t Avx2Bits64(__m256i a, __m256i b) {
  return static_cast<uint32_t>(_mm256_movemask_epi8(a)) |
         static_cast<uint64_t>(static_cast<uint32_t>(_mm256_movemask_epi8(b))) << 32;
}

// Bytes whose FLAGS are none of MASK, as 32 bits.
TAYORI_AVX2 inline __m256i Avx2None(__m256i flags, uint8_t mask) {
  return _mm256_cmpeq_epi8(_mm256_and_si256(flags, _mm256_set1_epi8(static_cast<char>(mask))), _mm256_setzero_si256());
}

TAYORI_AVX2 Kinds KindsOfBytesAvx2(const char* p) {
  Kinds k;
  const __m256i a = Avx2Load(p), b = Avx2Load(p + 32);
  const __m256i cr_a = Avx2Eq(a, '\r'), cr_b = Avx2Eq(b, '\r');
  const __m256i lf_a = Avx2Eq(a, '\n'), lf_b = Avx2Eq(b, '\n');
  k.quote = Avx2Bits64(Avx2Eq(a, '"'), Avx2Eq(b, '"'));
  k.comma = Avx2Bits64(Avx2Eq(a, ','), Avx2Eq(b, ','));
  k.cr = Avx2Bits64(cr_a, cr_b);
  k.lf = Avx2Bits64(lf_a, lf_b);
  // Controls, DEL and bytes from 0x80 (negative as signed bytes).
  const uint64_t special =
      Avx2Bits64(Avx2Or(Avx2Below(a, 0x20), Avx2Eq(a, 0x7f)), Avx2Or(Avx2Below(b, 0x20), Avx2Eq(b, 0x7f)));
  k.text = (special & ~(k.cr | k.lf)) != 0;
  if (!k.text) return k;
  const __m256i nibble = _mm256_set1_epi8(0x0f);
  const __m256i high1 = Avx2Table(kHigh1), low1 = Avx2Table(kLow1);
  const __m256i high2 = Avx2Table(kHigh2), low2 = Avx2Table(kLow2);
  __m256i f1[2], f2[2];
  const __m256i v[2] = {a, b};
#pragma GCC unroll 2
  for (int i = 0; i < 2; ++i) {
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v[i], 4), nibble);
    const __m256i lo = _mm256_and_si256(v[i], nibble);
    f1[i] = _mm256_and_si256(_mm256_shuffle_epi8(high1, hi), _mm256_shuffle_epi8(low1, lo));
    f2[i] = _mm256_and_si256(_mm256_shuffle_epi8(high2, hi), _mm256_shuffle_epi8(low2, lo));
  }
  k.lead_range = ~Avx2Bits64(Avx2None(f2[0], kLeadRange), Avx2None(f2[1], kLeadRange));
  k.partial = ~Avx2Bits64(Avx2None(f2[0], kPartial), Avx2None(f2[1], kPartial));
  k.bad_alone = ~Avx2Bits64(Avx2None(f1[0], kBadAlone), Avx2None(f1[1], kBadAlone));
  k.bad_trail = ~Avx2Bits64(Avx2None(f1[0], kBadTrail), Avx2None(f1[1], kBadTrail));
  return k;
}

// Which of the 64 bytes at P lead a pair of the vector rows, and of those
// which pairs are characters (P[64] readable): the trail's low nibble picks
// a byte of the row's table, its high nibble a bit of that byte.
TAYORI_AVX2 void VectorRowsAvx2(const Ms932Tables& t, const char* p, uint64_t* rows, uint64_t* ok) {
  const __m256i nibble = _mm256_set1_epi8(0x0f);
  const __m256i bits = _mm256_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32,
                                        64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
  __m256i low_table[3], high_table[3];
#pragma GCC unroll 3
  for (int r = 0; r < 3; ++r) {
    low_table[r] = _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(t.row_low[r])));
    high_table[r] = _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(t.row_high[r])));
  }
#pragma GCC unroll 2
  for (int i = 0; i < 2; ++i) {
    const __m256i x = Avx2Load(p + 32 * i);
    const __m256i trail = Avx2Load(p + 32 * i + 1);
    const __m256i low = _mm256_and_si256(trail, nibble);
    const __m256i bit = _mm256_shuffle_epi8(bits, _mm256_and_si256(_mm256_srli_epi16(trail, 4), nibble));
    const __m256i upper = _mm256_cmpgt_epi8(_mm256_setzero_si256(), trail);  // trail >= 0x80
    __m256i row_any = _mm256_setzero_si256(), row_ok = _mm256_setzero_si256();
#pragma GCC unroll 3
    for (int r = 0; r < 3; ++r) {
      const __m256i set =
          _mm256_blendv_epi8(_mm256_shuffle_epi8(low_table[r], low), _mm256_shuffle_epi8(high_table[r], low), upper);
      const __m256i pair = _mm256_cmpeq_epi8(_mm256_and_si256(set, bit), bit);
      const __m256i row = Avx2Eq(x, Ms932Tables::kVectorRows[r]);
      row_any = _mm256_or_si256(row_any, row);
      row_ok = _mm256_or_si256(row_ok, _mm256_and_si256(row, pair));
    }
    *rows |= Avx2Bits(row_any, i);
    *ok |= Avx2Bits(row_ok, i);
  }
}

TAYORI_AVX2 Kinds KindsAvx2(const Ms932Tables& t, const char* p) {
  Kinds k = KindsOfBytesAvx2(p);
  if (k.partial != 0) VectorRowsAvx2(t, p, &k.vector_row, &k.vector_ok);
  return k;
}

TAYORI_AVX2 void ClassifyBlocksAvx2(const Ms932Tables& t, const char* p, size_t count, bool* trail, CsvBlock* out) {
  for (size_t i = 0; i < count; ++i, p += kBlockBytes) out[i] = FromKinds(t, KindsAvx2(t, p), p, trail);
}

// AVX2 where the processor has it (checked once), else SSE2.
const bool kAvx2 = __builtin_cpu_supports("avx2");
#else
const bool kAvx2 = false;
#endif

#undef TAYORI_CSV_OPS

}  // namespace

CsvBlock ClassifyBlock(const Ms932Tables& t, const char* p, bool* trail) {
  CsvBlock b;
  ClassifyBlocks(t, p, 1, trail, &b);
  return b;
}

void ClassifyBlocks(const Ms932Tables& t, const char* p, size_t count, bool* trail, CsvBlock* out) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  if (kAvx2) return ClassifyBlocksAvx2(t, p, count, trail, out);
#endif
  for (size_t i = 0; i < count; ++i, p += kBlockBytes) out[i] = FromKinds(t, KindsSse2(t, p), p, trail);
}

CsvBlock ClassifyBlockSse2(const Ms932Tables& t, const char* p, bool* trail) {
  return FromKinds(t, KindsSse2(t, p), p, trail);
}

#else

bool HaveBlocks() { return false; }

CsvBlock ClassifyBlock(const Ms932Tables&, const char*, bool*) { return {}; }
CsvBlock ClassifyBlockSse2(const Ms932Tables&, const char*, bool*) { return {}; }
void ClassifyBlocks(const Ms932Tables&, const char*, size_t, bool*, CsvBlock*) {}

#endif

}  // namespace tayori::careplan::internal
