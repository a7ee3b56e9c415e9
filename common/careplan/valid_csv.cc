#include "common/careplan/valid_csv.h"

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

// The fields of the record being read, as raw spans of the data (quotes
// and all); a field is unquoted and unescaped only when a rule reads it.
class Record {
 public:
  explicit Record(std::string_view data) : data_(data) {}

  void Clear() { spans_.clear(); }
  void Add(size_t from, size_t to) { spans_.emplace_back(from, to); }
  size_t size() const { return spans_.size(); }
  bool empty() const { return spans_.empty(); }
  // How far the bytes of V, a field this record returned, may be read.
  const char* readable(std::string_view v) const {
    const char* end = data_.data() + data_.size();
    return v.data() >= data_.data() && v.data() <= end ? end : v.data() + v.size();
  }
  // One empty field: a blank line.
  bool Blank() const { return spans_.size() == 1 && spans_[0].first == spans_[0].second; }

  // Field I (0-based) as CheckCsvContent sees it: quotes removed, "" as ".
  std::string_view operator[](size_t i) {
    std::string_view raw = data_.substr(spans_[i].first, spans_[i].second - spans_[i].first);
    if (raw.size() < 2 || raw.front() != '"') return raw;
    raw = raw.substr(1, raw.size() - 2);
    bool escapes = false;
    for (const char c : raw) escapes |= c == '"';
    if (!escapes) return raw;
    if (i >= unescaped_.size()) unescaped_.resize(i + 1);
    std::string& out = unescaped_[i];
    out.clear();
    for (size_t k = 0; k < raw.size(); ++k) {
      out.push_back(raw[k]);
      if (raw[k] == '"') ++k;
    }
    return out;
  }

 private:
  std::string_view data_;
  std::vector<std::pair<size_t, size_t>> spans_;
  std::vector<std::string> unescaped_;  // by field index, reused
};

// The rules of CheckCsvContent (content.cc) as yes or no: true while the
// records so far give it nothing to report.
class Judge {
 public:
  Judge(const Rules& rules, const ParsedName& parsed) : rules_(rules), parsed_(parsed) {
    Applying(rules.record_fields(), &record_fields_);
  }

  bool Take(Record& f);
  bool End() const;

 private:
  // Values that passed a rule, so that one seen again (the month, the
  // office, the creation date, a service code or date used before) is
  // judged by one comparison: a direct-mapped table of short values.
  class Passed {
   public:
    // READABLE: V's bytes may be read up to there (16 bytes at once).
    bool Has(std::string_view v, const char* readable) const {
      Key k;
      return Make(v, readable, &k) && slots_[k.Slot()] == k;
    }
    void Add(std::string_view v, const char* readable) {
      Key k;
      if (Make(v, readable, &k)) slots_[k.Slot()] = k;
    }

   private:
    struct Key {
      uint64_t a = 0, b = 0;  // the value's bytes, zero-padded; b's top byte is its size + 1
      size_t Slot() const { return static_cast<size_t>(((a * 0x9E3779B97F4A7C15u) ^ (b * 0xC2B2AE3D27D4EB4Fu)) >> 58); }
      bool operator==(const Key& o) const { return a == o.a && b == o.b; }
    };
    static bool Make(std::string_view v, const char* readable, Key* k) {
      if (v.size() > 15) return false;
      unsigned char bytes[16] = {};
      if (readable - v.data() >= 16) {  // one load, the bytes past the value masked off
        std::memcpy(bytes, v.data(), 16);
        std::memcpy(&k->a, bytes, 8);
        std::memcpy(&k->b, bytes + 8, 8);
        const unsigned bits = static_cast<unsigned>(v.size()) * 8;
        k->a &= bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
        k->b &= bits <= 64 ? 0 : (uint64_t{1} << (bits - 64)) - 1;
      } else {
        for (size_t i = 0; i < v.size(); ++i) bytes[i] = static_cast<unsigned char>(v[i]);
        std::memcpy(&k->a, bytes, 8);
        std::memcpy(&k->b, bytes + 8, 8);
      }
      k->b |= static_cast<uint64_t>(v.size() + 1) << 56;
      return true;
    }
    Key slots_[64];  // a zero key matches no value: sizes are stored plus one
  };
  // A rule that applies to this file, with the values it passed.
  struct Applied {
    const FieldRule* rule;
    Passed passed;
  };
  void Applying(const std::vector<FieldRule>& all, std::vector<Applied>* out) const {
    for (const FieldRule& r : all) {
      if (r.AppliesTo(parsed_.month)) out->push_back({&r, {}});
    }
  }
  bool Version(std::string_view v);
  bool Fields(std::vector<Applied>& rules, Record& f) const;
  bool Rows(Record& f);

  const Rules& rules_;
  const ParsedName& parsed_;
  std::vector<Applied> record_fields_;  // the rules that apply to this file
  std::vector<Applied> layout_fields_;
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
    Applying(layout_->fields, &layout_fields_);
  }
  return true;
}

bool Judge::Fields(std::vector<Applied>& rules, Record& f) const {
  for (Applied& a : rules) {
    const FieldRule& r = *a.rule;
    if (r.column > static_cast<int>(f.size())) continue;
    const std::string_view v = f[static_cast<size_t>(r.column) - 1];
    if (a.passed.Has(v, f.readable(v))) continue;
    if (v.empty()) {
      if (r.required) return false;
      continue;
    }
    if (!r.FormatMatches(v)) return false;
    if (r.equals == FieldRule::kNameMonth && !SameBytes(v.substr(0, 6), parsed_.month)) return false;
    a.passed.Add(v, f.readable(v));
  }
  return true;
}

bool Judge::Rows(Record& f) {
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

bool Judge::Take(Record& f) {
  ++records_;
  if (f.size() == 1 && f[0].empty()) return false;  // a blank line
  if (!Version(f[0])) return false;
  const size_t n = f.size();
  if (layout_ != nullptr && layout_->columns > 0 && static_cast<int>(n) != layout_->columns) return false;
  if (n < 3) return false;
  if (!Fields(record_fields_, f)) return false;
  if (layout_ == nullptr) return true;
  return Fields(layout_fields_, f) && Rows(f);
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
// block, fields cut where the separators outside quotes are, each record
// handed to JUDGE. False at the first doubt.
bool Scan(std::string_view data, Judge* judge) {
  const Ms932Tables& t = internal::Ms932Structure();
  const size_t n = data.size();
  bool trail = false;         // the next block starts with a trail byte
  uint64_t inside_carry = 0;  // all ones when the next block starts inside quotes
  uint64_t mark_carry = 1;    // the byte before is a separator or a quote (or there is none)
  uint64_t close_carry = 0;   // the byte before is a closing quote
  uint64_t cr_carry = 0;      // the byte before is a CR outside quotes
  size_t field_from = 0;
  Record record(data);
  alignas(64) char pad[2 * kBlockBytes];
  for (size_t at = 0; at < n; at += kBlockBytes) {
    const char* p = data.data() + at;
    uint64_t in_data = ~uint64_t{0};
    if (n - at <= kBlockBytes) {  // the last block: ClassifyBlock reads one byte past it
      std::memset(pad, ' ', sizeof pad);
      std::memcpy(pad, p, n - at);
      p = pad;
      if (n - at < kBlockBytes) in_data = (uint64_t{1} << (n - at)) - 1;
    }
    const CsvBlock b = internal::ClassifyBlock(t, p, &trail);
    if (b.bad != 0) return false;
    const uint64_t quote = b.quote & in_data;
    const uint64_t inside = PrefixXor(quote) ^ inside_carry;
    inside_carry = (inside >> 63) != 0 ? ~uint64_t{0} : 0;
    const uint64_t comma = b.comma & in_data & ~inside;
    const uint64_t cr = b.cr & in_data & ~inside;
    const uint64_t lf = b.lf & in_data & ~inside;
    const uint64_t lf_of_crlf = lf & ((cr << 1) | cr_carry);
    cr_carry = cr >> 63;
    const uint64_t ends = (cr | lf) & ~lf_of_crlf;
    const uint64_t seps = comma | ends;
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
    for (uint64_t m = seps; m != 0; m &= m - 1) {
      const int bit = __builtin_ctzll(m);
      const size_t pos = at + static_cast<size_t>(bit);
      record.Add(field_from, pos);
      field_from = pos + 1;
      if (((ends >> bit) & 1) == 0) continue;
      if (data[pos] == '\r' && pos + 1 < n && data[pos + 1] == '\n') ++field_from;
      if (record.Blank()) return OnlyLineEnds(data, pos);  // blank lines end the file, or are a finding
      if (!judge->Take(record)) return false;
      record.Clear();
    }
  }
  if (trail || inside_carry != 0) return false;  // a character or a quote left open at the end
  if (field_from < n || !record.empty()) {       // the last line, without a line end
    record.Add(field_from, n);
    return judge->Take(record);
  }
  return true;
}

}  // namespace

bool IsValidCsvContent(const Rules& rules, const ParsedName& parsed, std::string_view data) {
  if (parsed.kind == nullptr || !internal::HaveBlocks() || !internal::Ms932Structure().blocks_ok) return false;
  if (data.substr(0, 3) == "\xEF\xBB\xBF" || LooksLikeUtf8(data)) return false;
  Judge judge(rules, parsed);
  return Scan(data, &judge) && judge.End();
}

}  // namespace tayori::careplan
