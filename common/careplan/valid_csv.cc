#include "common/careplan/valid_csv.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "common/careplan/csv.h"
#include "common/careplan/csv_block.h"

namespace tayori::careplan {
namespace {

using internal::CsvBlock;
using internal::kBlockBytes;
using internal::Ms932Tables;

// Bit i set when an odd number of bits 0..i of X are: with X the quotes,
// the bytes inside quotes (an opening quote counts as inside, a closing one
// as outside; "" inside a field closes and opens again).
inline uint64_t PrefixXor(uint64_t x) {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}

// For a value of size I < 16 loaded as two words: masks that keep its
// bytes, a[i] for the first word and b[i] for the second.
struct ValueMasks {
  uint64_t a[16], b[16];
};
constexpr ValueMasks MakeValueMasks() {
  ValueMasks m{};
  for (int i = 0; i < 16; ++i) {
    m.a[i] = i >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * i)) - 1;
    m.b[i] = i <= 8 ? 0 : (uint64_t{1} << (8 * (i - 8))) - 1;
  }
  return m;
}
constexpr ValueMasks kValueMasks = MakeValueMasks();

// A record as Scan found it: where it starts and where each of its fields
// ends (the separator after it, in a buffer Scan fills); field i runs from
// the end of field i - 1 (or the record's start) to its own end. A field is
// unquoted and unescaped only when a rule reads it.
class Record {
 public:
  // UNESCAPED: scratch for fields with "" in them, reused from record to
  // record.
  Record(std::string_view data, size_t start, const size_t* ends, size_t n, std::vector<std::string>* unescaped)
      : data_(data), start_(start), ends_(ends), n_(n), unescaped_(unescaped) {}

  size_t size() const { return n_; }
  // How far the bytes of V, a field this record returned, may be read.
  const char* readable(std::string_view v) const {
    const char* end = data_.data() + data_.size();
    return v.data() >= data_.data() && v.data() <= end ? end : v.data() + v.size();
  }
  // One empty field: a blank line.
  bool Blank() const { return n_ == 1 && ends_[0] == start_; }

  // Field I (0-based) as CheckCsvContent sees it: quotes removed, "" as ".
  [[gnu::always_inline]] std::string_view operator[](size_t i) const {
    const size_t from = i == 0 ? start_ : ends_[i - 1] + 1;
    std::string_view raw(data_.data() + from, ends_[i] - from);
    if (raw.size() < 2 || raw.front() != '"') return raw;
    raw = raw.substr(1, raw.size() - 2);
    return raw.find('"') == std::string_view::npos ? raw : Unescaped(i, raw);
  }

 private:
  std::string_view Unescaped(size_t i, std::string_view raw) const {
    if (i >= unescaped_->size()) unescaped_->resize(i + 1);
    std::string& out = (*unescaped_)[i];
    out.clear();
    for (size_t k = 0; k < raw.size(); ++k) {
      out.push_back(raw[k]);
      if (raw[k] == '"') ++k;
    }
    return out;
  }

  std::string_view data_;
  size_t start_;
  const size_t* ends_;
  size_t n_;
  std::vector<std::string>* unescaped_;
};

// The rules of CheckCsvContent (content.cc) as yes or no: true while the
// records so far give it nothing to report.
class Judge {
 public:
  Judge(const Rules& rules, const ParsedName& parsed) : rules_(rules), parsed_(parsed) {
    Applying(rules.record_fields(), &fields_);
  }

  bool Take(const Record& f);
  bool End() const;

 private:
  // Values that passed a rule, so that one seen again (the month, the
  // office, the creation date, a service code or date used before) is
  // judged by one comparison: the value last seen, then a direct-mapped
  // table of short values.
  class Passed {
   public:
    struct Key {
      uint64_t a = 0, b = 0;  // the value's bytes, zero-padded; b's top byte is its size + 1
      size_t Slot() const { return static_cast<size_t>(((a * 0x9E3779B97F4A7C15u) ^ (b * 0xC2B2AE3D27D4EB4Fu)) >> 56); }
      bool operator==(const Key& o) const { return ((a ^ o.a) | (b ^ o.b)) == 0; }
    };
    // True if V passed before; *K is its key for Add. READABLE: V's bytes
    // may be read up to there (16 bytes at once).
    bool Has(std::string_view v, const char* readable, Key* k) {
      if (!Make(v, readable, k)) return false;
      if (*k == last_) return true;
      if (!(slots_[k->Slot()] == *k)) return false;
      last_ = *k;
      return true;
    }
    // Notes that the value of key K (from Has) passed.
    void Add(const Key& k) {
      if (k.b == 0) return;  // too long to keep
      slots_[k.Slot()] = k;
      last_ = k;
    }

   private:
    static bool Make(std::string_view v, const char* readable, Key* k) {
      if (v.size() > 15) return false;
      unsigned char bytes[16] = {};
      if (readable - v.data() >= 16) {  // one load, the bytes past the value masked off
        std::memcpy(bytes, v.data(), 16);
        std::memcpy(&k->a, bytes, 8);
        std::memcpy(&k->b, bytes + 8, 8);
        k->a &= kValueMasks.a[v.size()];
        k->b &= kValueMasks.b[v.size()];
      } else {
        for (size_t i = 0; i < v.size(); ++i) bytes[i] = static_cast<unsigned char>(v[i]);
        std::memcpy(&k->a, bytes, 8);
        std::memcpy(&k->b, bytes + 8, 8);
      }
      k->b |= static_cast<uint64_t>(v.size() + 1) << 56;
      return true;
    }
    // A zero key matches no value: sizes are stored plus one.
    Key last_;
    Key slots_[256];
  };
  // A rule that applies to this file, with the values it passed.
  struct Applied {
    size_t column;  // the rule's (1-based; Rules::Parse checks it), kept at hand
    const FieldRule* rule;
    Passed passed;
  };
  void Applying(const std::vector<FieldRule>& all, std::vector<Applied>* out) const {
    for (const FieldRule& r : all) {
      if (r.AppliesTo(parsed_.month)) out->push_back({static_cast<size_t>(r.column), &r, {}});
    }
  }
  bool Version(std::string_view v);
  bool Fields(const Record& f);
  bool Rows(const Record& f);

  const Rules& rules_;
  const ParsedName& parsed_;
  // The rules that apply to this file: those of every record, then, once
  // the first record names the version, its layout's.
  std::vector<Applied> fields_;
  int records_ = 0;
  std::string version_;
  const Layout* layout_ = nullptr;
  std::vector<bool> rows_seen_;
};

bool Judge::Version(std::string_view v) {
  if (!version_.empty()) return SameBytes(v, version_);
  const CsvVersion* cv = rules_.FindVersion(v);
  if (cv == nullptr || cv->naming != parsed_.naming) return false;
  if (cv->naming == Naming::kV4 &&
      (!cv->service_type.Matches(parsed_.sender_type) || !cv->service_type.Matches(parsed_.recipient_type))) {
    return false;
  }
  version_ = std::string(v);
  auto it = parsed_.kind->layouts.find(version_);
  if (it != parsed_.kind->layouts.end()) {
    layout_ = &it->second;
    rows_seen_.assign(layout_->rows.size(), false);
    Applying(layout_->fields, &fields_);
  }
  return true;
}

bool Judge::Fields(const Record& f) {
  for (Applied& a : fields_) {
    if (a.column > f.size()) continue;
    const std::string_view v = f[a.column - 1];
    Passed::Key key;
    if (a.passed.Has(v, f.readable(v), &key)) continue;
    const FieldRule& r = *a.rule;
    if (v.empty()) {
      if (r.required) return false;
      continue;
    }
    if (!r.FormatMatches(v)) return false;
    if (r.equals == FieldRule::kNameMonth && !SameBytes(v.substr(0, 6), parsed_.month)) return false;
    a.passed.Add(key);
  }
  return true;
}

bool Judge::Rows(const Record& f) {
  for (size_t i = 0; i < layout_->rows.size(); ++i) {
    const RowRule& r = layout_->rows[i];
    if (r.column > static_cast<int>(f.size()) || !SameBytes(f[static_cast<size_t>(r.column) - 1], r.value)) continue;
    rows_seen_[i] = true;
    for (const auto& [column, value] : r.with) {
      if (column < 1 || column > static_cast<int>(f.size()) || !SameBytes(f[static_cast<size_t>(column) - 1], value)) {
        return false;
      }
    }
  }
  return true;
}

bool Judge::Take(const Record& f) {
  ++records_;
  if (f.size() == 1 && f[0].empty()) return false;  // a blank line
  if (!Version(f[0])) return false;
  const size_t n = f.size();
  if (layout_ != nullptr && layout_->columns > 0 && static_cast<int>(n) != layout_->columns) return false;
  if (n < 3) return false;
  return Fields(f) && (layout_ == nullptr || Rows(f));
}

bool Judge::End() const {
  if (records_ == 0) return false;
  for (const bool seen : rows_seen_) {
    if (!seen) return false;
  }
  return true;
}

// True if DATA from AT on is line ends only: blank lines closing a file.
bool OnlyLineEnds(std::string_view data, size_t at) {
  return data.find_first_not_of("\r\n", at) == std::string_view::npos;
}

// Reads DATA by blocks of 64 bytes (csv_block.h): MS932 validated by the
// block, the positions of the separators outside quotes written out eight
// at a time, each record handed to JUDGE as it ends. False at the first
// doubt. Built twice (below): for any x86-64 and with POPCNT and BMI.
[[gnu::always_inline]] inline bool ScanBlocks(std::string_view data, Judge* judge) {
  const Ms932Tables& t = internal::Ms932Structure();
  const size_t n = data.size();
  bool trail = false;         // the next block starts with a trail byte
  uint64_t inside_carry = 0;  // all ones when the next block starts inside quotes
  uint64_t mark_carry = 1;    // the byte before is a separator or a quote (or there is none)
  uint64_t close_carry = 0;   // the byte before is a closing quote
  uint64_t cr_carry = 0;      // the byte before is a CR outside quotes
  // Where the fields of the record being read end; a block adds at most 64.
  std::vector<size_t> ends(256);
  size_t count = 0;         // positions in ENDS
  size_t record_start = 0;  // where the record being read starts
  std::vector<std::string> unescaped;
  alignas(64) char pad[2 * kBlockBytes];
  constexpr size_t kBatch = 16;  // blocks classified at once
  CsvBlock batch[kBatch];
  size_t batch_at = 0, batch_end = 0;  // the bytes BATCH holds
  for (size_t at = 0; at < n; at += kBlockBytes) {
    uint64_t in_data = ~uint64_t{0};
    CsvBlock b;
    if (n - at > kBlockBytes) {  // a byte follows the block, as classifying needs
      if (at >= batch_end) {
        const size_t blocks = std::min(kBatch, (n - at - 1) / kBlockBytes);
        internal::ClassifyBlocks(t, data.data() + at, blocks, &trail, batch);
        batch_at = at;
        batch_end = at + blocks * kBlockBytes;
      }
      b = batch[(at - batch_at) / kBlockBytes];
    } else {  // the last block, padded
      std::memset(pad, ' ', sizeof pad);
      std::memcpy(pad, data.data() + at, n - at);
      if (n - at < kBlockBytes) in_data = (uint64_t{1} << (n - at)) - 1;
      b = internal::ClassifyBlock(t, pad, &trail);
    }
    if (b.bad != 0) return false;
    const uint64_t quote = b.quote & in_data;
    const uint64_t inside = PrefixXor(quote) ^ inside_carry;
    inside_carry = (inside >> 63) != 0 ? ~uint64_t{0} : 0;
    const uint64_t comma = b.comma & in_data & ~inside;
    const uint64_t cr = b.cr & in_data & ~inside;
    const uint64_t lf = b.lf & in_data & ~inside;
    const uint64_t lf_of_crlf = lf & ((cr << 1) | cr_carry);
    cr_carry = cr >> 63;
    const uint64_t line_ends = (cr | lf) & ~lf_of_crlf;
    const uint64_t seps = comma | line_ends;
    // A quote opens a field only right after a separator; one right after
    // a closing quote is "" inside the field. After a closing quote comes a
    // separator or that second quote. Anything else: a quote misplaced.
    const uint64_t open = quote & inside;
    const uint64_t close = quote & ~inside;
    const uint64_t mark = seps | lf_of_crlf | quote;
    if ((open & ~((mark << 1) | mark_carry)) != 0) return false;
    if ((((close << 1) | close_carry) & ~(comma | cr | lf | quote) & in_data) != 0) return false;
    mark_carry = mark >> 63;
    close_carry = close >> 63;
    if (seps == 0) continue;
    if (count + kBlockBytes > ends.size()) ends.resize(2 * ends.size());  // as many as the file has
    // Eight positions at a time, without a branch per separator; those
    // past the last (at + 64) are written and not counted.
    const int found = std::popcount(seps);
    size_t* out = ends.data() + count;
    uint64_t m = seps;
    for (int i = 0; i < found; i += 8) {
      for (int j = 0; j < 8; ++j) {
        out[i + j] = at + static_cast<size_t>(std::countr_zero(m));
        m &= m - 1;
      }
    }
    size_t first = 0;  // the first field of the record being read
    for (uint64_t e = line_ends; e != 0; e &= e - 1) {
      const int bit = std::countr_zero(e);
      const size_t last = count + static_cast<size_t>(std::popcount(seps & (~uint64_t{0} >> (63 - bit))));
      const size_t pos = at + static_cast<size_t>(bit);
      const Record record(data, record_start, ends.data() + first, last - first, &unescaped);
      if (record.Blank()) return OnlyLineEnds(data, pos);  // blank lines end the file, or are a finding
      if (!judge->Take(record)) return false;
      first = last;
      record_start = pos + 1;
      if (data[pos] == '\r' && pos + 1 < n && data[pos + 1] == '\n') ++record_start;
    }
    count += static_cast<size_t>(found);
    if (first > 0) {  // what follows the last record end: the next record's fields
      std::copy(ends.begin() + static_cast<ptrdiff_t>(first), ends.begin() + static_cast<ptrdiff_t>(count),
                ends.begin());
      count -= first;
    }
  }
  if (trail || inside_carry != 0) return false;  // a character or a quote left open at the end
  if (count > 0 || record_start < n) {           // the last line, without a line end
    if (count == ends.size()) ends.push_back(0);
    ends[count++] = n;
    return judge->Take(Record(data, record_start, ends.data(), count, &unescaped));
  }
  return true;
}

bool ScanPlain(std::string_view data, Judge* judge) { return ScanBlocks(data, judge); }

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("popcnt,bmi"))) bool ScanBmi(std::string_view data, Judge* judge) {
  return ScanBlocks(data, judge);
}
// Bit counts in one instruction where the processor has them (checked once).
bool (*const Scan)(std::string_view,
                   Judge*) = __builtin_cpu_supports("popcnt") && __builtin_cpu_supports("bmi") ? ScanBmi : ScanPlain;
#else
bool (*const Scan)(std::string_view, Judge*) = ScanPlain;
#endif

}  // namespace

bool IsValidCsvContent(const Rules& rules, const ParsedName& parsed, std::string_view data) {
  if (parsed.kind == nullptr || !internal::HaveBlocks() || !internal::Ms932Structure().blocks_ok) return false;
  if (data.substr(0, 3) == "\xEF\xBB\xBF" || LooksLikeUtf8(data)) return false;
  Judge judge(rules, parsed);
  return Scan(data, &judge) && judge.End();
}

}  // namespace tayori::careplan
