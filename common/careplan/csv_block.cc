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

// The same classification for 16 bytes (SSE2) and for 32 (AVX2): helpers
// named with the set's prefix (Sse2Eq, Avx2Eq, ...), each with its target.
#define TAYORI_CSV_OPS(ATTR, P, V, LOADU, SET1, CMPEQ, CMPGT, OR, AND, ANDNOT, MOVEMASK)              \
  ATTR inline V P##Load(const char* q) { return LOADU(reinterpret_cast<const V*>(q)); }               \
  ATTR inline V P##Eq(V a, int c) { return CMPEQ(a, SET1(static_cast<char>(c))); }                    \
  /* Signed: bytes from 0x80 are -128..-1. */                                                         \
  ATTR inline V P##In(V a, int lo, int hi) {                                                          \
    return AND(CMPGT(a, SET1(static_cast<char>(lo - 1))), CMPGT(SET1(static_cast<char>(hi + 1)), a)); \
  }                                                                                                   \
  ATTR inline V P##Below(V a, int c) { return CMPGT(SET1(static_cast<char>(c)), a); }                 \
  ATTR inline V P##Above(V a, int c) { return CMPGT(a, SET1(static_cast<char>(c))); }                 \
  ATTR inline V P##Or(V a, V b) { return OR(a, b); }                                                  \
  ATTR inline V P##AndNot(V a, V b) { return ANDNOT(a, b); }                                          \
  ATTR inline uint64_t P##Bits(V m, int chunk) {                                                      \
    return static_cast<uint64_t>(static_cast<uint32_t>(MOVEMASK(m))) << (sizeof(V) * chunk);          \
  }

// The classification itself, in signed byte values (0x80-0xFF are
// -128..-1). P names the helpers, V the vector.
#define TAYORI_CSV_KINDS(P, V)                                                                                       \
  constexpr int kChunks = 64 / static_cast<int>(sizeof(V));                                                          \
  Kinds k;                                                                                                           \
  V x[kChunks], cr[kChunks], lf[kChunks];                                                                            \
  uint64_t special = 0; /* controls, DEL and bytes from 0x80 */                                                      \
  for (int i = 0; i < kChunks; ++i) {                                                                                \
    x[i] = P##Load(p + static_cast<int>(sizeof(V)) * i);                                                             \
    cr[i] = P##Eq(x[i], '\r');                                                                                       \
    lf[i] = P##Eq(x[i], '\n');                                                                                       \
    k.quote |= P##Bits(P##Eq(x[i], '"'), i);                                                                         \
    k.comma |= P##Bits(P##Eq(x[i], ','), i);                                                                         \
    k.cr |= P##Bits(cr[i], i);                                                                                       \
    k.lf |= P##Bits(lf[i], i);                                                                                       \
    special |= P##Bits(P##Or(P##Below(x[i], 0x20), P##Eq(x[i], 0x7f)), i);                                           \
  }                                                                                                                  \
  k.text = (special & ~(k.cr | k.lf)) != 0;                                                                          \
  if (!k.text) return k;                                                                                             \
  uint64_t trail_ok = 0;                                                                                             \
  for (int i = 0; i < kChunks; ++i) {                                                                                \
    const V v = x[i];                                                                                                \
    const V del = P##Eq(v, 0x7f);                                                                                    \
    const V lead = P##Or(P##In(v, -127, -97), P##In(v, -32, -4)); /* 81-9F, E0-FC */                                 \
    const V full =                                                                                                   \
        P##Or(P##AndNot(P##Eq(v, 0x98), P##In(v, -119, -97)), P##In(v, -32, -23));         /* 89-9F but 98, E0-E9 */ \
    const V alone = P##Or(P##Or(P##Eq(v, '\t'), cr[i]), P##Or(lf[i], P##In(v, -95, -33))); /* A1-DF */               \
    k.lead_range |= P##Bits(lead, i);                                                                                \
    k.partial |= P##Bits(P##AndNot(full, lead), i);                                                                  \
    k.bad_alone |= P##Bits(P##Or(P##AndNot(alone, P##Below(v, 0x20)), del), i);                                      \
    trail_ok |= P##Bits(P##Or(P##AndNot(del, P##Above(v, 0x3f)), P##Below(v, -3)), i); /* 40-7E, 80-FC */            \
  }                                                                                                                  \
  k.bad_trail = ~trail_ok;                                                                                           \
  return k;

TAYORI_CSV_OPS(, Sse2, __m128i, _mm_loadu_si128, _mm_set1_epi8, _mm_cmpeq_epi8, _mm_cmpgt_epi8, _mm_or_si128,
               _mm_and_si128, _mm_andnot_si128, _mm_movemask_epi8)

Kinds KindsSse2(const Ms932Tables&, const char* p){TAYORI_CSV_KINDS(Sse2, __m128i)}
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TAYORI_AVX2 __attribute__((target("avx2")))
TAYORI_CSV_OPS(TAYORI_AVX2, Avx2, __m256i, _mm256_loadu_si256, _mm256_set1_epi8, _mm256_cmpeq_epi8, _mm256_cmpgt_epi8,
               _mm256_or_si256, _mm256_and_si256, _mm256_andnot_si256, _mm256_movemask_epi8)

    TAYORI_AVX2 Kinds KindsOfBytesAvx2(const char* p){TAYORI_CSV_KINDS(Avx2, __m256i)}

// Which of the 64 bytes at P lead a pair of the vector rows, and of those
// which pairs are characters (P[64] readable): the trail's low nibble picks
// a byte of the row's table, its high nibble a bit of that byte.
TAYORI_AVX2 void VectorRowsAvx2(const Ms932Tables& t, const char* p, uint64_t* rows, uint64_t* ok) {
  const __m256i nibble = _mm256_set1_epi8(0x0f);
  const __m256i bits = _mm256_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32,
                                        64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
  __m256i low_table[3], high_table[3];
  for (int r = 0; r < 3; ++r) {
    low_table[r] = _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(t.row_low[r])));
    high_table[r] = _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(t.row_high[r])));
  }
  for (int i = 0; i < 2; ++i) {
    const __m256i x = Avx2Load(p + 32 * i);
    const __m256i trail = Avx2Load(p + 32 * i + 1);
    const __m256i low = _mm256_and_si256(trail, nibble);
    const __m256i bit = _mm256_shuffle_epi8(bits, _mm256_and_si256(_mm256_srli_epi16(trail, 4), nibble));
    const __m256i upper = _mm256_cmpgt_epi8(_mm256_setzero_si256(), trail);  // trail >= 0x80
    __m256i row_any = _mm256_setzero_si256(), row_ok = _mm256_setzero_si256();
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

// AVX2 where the processor has it (checked once), else SSE2.
Kinds (*const kKinds)(const Ms932Tables&, const char*) = __builtin_cpu_supports("avx2") ? KindsAvx2 : KindsSse2;
#else
Kinds (*const kKinds)(const Ms932Tables&, const char*) = KindsSse2;
#endif

#undef TAYORI_CSV_KINDS
#undef TAYORI_CSV_OPS

}  // namespace

CsvBlock ClassifyBlock(const Ms932Tables& t, const char* p, bool* trail) {
  const Kinds k = kKinds(t, p);
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

#else

bool HaveBlocks() { return false; }

CsvBlock ClassifyBlock(const Ms932Tables&, const char*, bool*) { return {}; }

#endif

}  // namespace tayori::careplan::internal
