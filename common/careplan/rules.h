// Rules: the care plan standard's tables (schema/careplan_rules.yaml) in
// memory — file kinds, CSV versions and layouts (column counts, field
// rules, required rows), send units, allowed attachments and archive
// signatures — and the file-name parser built on them. Immutable after
// Parse(); any thread may read.
#ifndef TAYORI_COMMON_CAREPLAN_RULES_H_
#define TAYORI_COMMON_CAREPLAN_RULES_H_

#include <bitset>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/careplan/finding.h"
#include "common/status.h"

namespace tayori::careplan {

enum class Naming { kV3, kV4 };
enum class MonthPart { kNone, kRequired, kHosoku };
enum class Action { kRegistration, kDeletion };

// A compiled pattern of character classes with counts, such as
// "[0-9A-Z]{6}" or "[0-9H][0-9]{9}": pieces are a class ([...] with ranges)
// or a literal byte, each optionally followed by {n} or {min,max}. Matching
// allocates nothing.
class Pattern {
 public:
  static StatusOr<Pattern> Compile(const std::string& text);
  bool Matches(std::string_view s) const;
  const std::string& text() const { return text_; }
  // In words: "英大文字か数字6文字", "6 capital letters or digits".
  std::string Describe(bool japanese) const;
  bool empty() const { return pieces_.empty(); }

 private:
  struct Piece {
    std::bitset<256> set;
    int min = 1;
    int max = 1;
  };
  bool MatchFrom(size_t piece, std::string_view s) const;
  std::vector<Piece> pieces_;
  std::string text_;
  // Every piece has a fixed count ({n}): matching is one loop over FIXED_SIZE_ bytes.
  bool fixed_ = true;
  size_t fixed_size_ = 0;
};

// One column's rule (schema/careplan_rules.yaml, "Field rules").
struct FieldRule {
  enum Format { kAny, kDate, kMonth, kTime, kDigits, kOffice, kCode, kEnum };
  enum Equals { kNothing, kNameMonth };
  enum When { kAlways, kMonthly, kZeroMonth };
  int column = 0;  // 1-based
  std::string name;
  std::string name_en;
  bool required = false;
  Format format = kAny;
  int length = 0;                   // kDigits: exact length; 0: one or more
  Pattern pattern;                  // kCode
  std::vector<std::string> values;  // kEnum
  std::vector<std::string> also;    // accepted whatever the format
  Equals equals = kNothing;
  When when = kAlways;
  std::string example;

  // True if the rule holds in a file whose name carries NAME_MONTH (YYYYMM,
  // 000000 or empty).
  bool AppliesTo(std::string_view name_month) const;
  // True if VALUE has this rule's format (the cross-field part aside).
  bool FormatMatches(std::string_view value) const;
  // The expected format in words ("日付（YYYYMMDD）", "a date (YYYYMMDD)").
  std::string Describe(bool japanese) const;
};

// A row every file of a layout must hold: the one whose COLUMN is VALUE,
// with the columns in WITH set as given.
struct RowRule {
  int column = 0;
  std::string value;
  std::vector<std::pair<int, std::string>> with;
  std::string title;
  std::string title_en;
};

struct Layout {
  int columns = 0;  // 0: not known, not checked
  std::vector<FieldRule> fields;
  std::vector<RowRule> rows;
};

struct KindRule {
  std::string prefix;
  std::string title;
  std::string title_en;
  Action action = Action::kRegistration;
  MonthPart month = MonthPart::kNone;
  std::set<Naming> naming;
  std::map<std::string, Layout> layouts;  // by CSV version
};

struct UnitRule {
  std::string id;
  std::string title;
  std::string title_en;
  std::vector<std::string> required;
  std::vector<std::string> optional;
  std::vector<std::string> recommended;  // missing: a warning, not a refusal
  std::string hosoku_month;              // "", "000000" or "same"
};

struct CsvVersion {
  std::string code;
  Naming naming = Naming::kV3;
  Pattern service_type;  // v4: what each service type in the name looks like
  std::string title;
};

// A column-1 value that is a common mistake for a version, with its hint.
struct VersionMistake {
  std::string code;
  std::string ja;
  std::string en;
};

struct Signature {
  std::vector<std::string> magic;  // raw bytes
  size_t offset = 0;
  size_t search = 0;  // >0: magic may start anywhere in the first SEARCH bytes
  bool Matches(const std::string& head) const;
};

struct AttachmentRule {
  std::string ext;  // lower case, no dot
  Signature signature;
};

struct ArchiveRule {
  std::string name;
  Signature signature;
};

// A standard CSV file name, taken apart.
struct ParsedName {
  const KindRule* kind = nullptr;
  Naming naming = Naming::kV3;
  std::string month;  // YYYYMM, "000000", or empty
  std::string sender;
  std::string sender_type;  // service type (v4 names)
  std::string recipient;
  std::string recipient_type;
  std::string stamp;  // YYYYMMDDHHMMSS
};

struct NameCheck {
  bool ok = false;
  ParsedName name;
  Finding problem;  // when !ok
};

class Rules {
 public:
  // The table compiled into this build. Parsed once.
  static const Rules& Standard();
  static StatusOr<Rules> Parse(const std::string& yaml_text);

  const KindRule* FindKind(const std::string& prefix) const;
  const CsvVersion* FindVersion(std::string_view code) const;
  const VersionMistake* FindVersionMistake(std::string_view code) const;
  const AttachmentRule* FindAttachment(const std::string& ext_lower) const;
  bool IsArchiveExtension(const std::string& ext_lower) const;
  // The archive kind whose signature HEAD (a file's first bytes) matches.
  const ArchiveRule* DetectArchive(const std::string& head) const;

  // Parses a CSV file name (base name, .CSV or .csv) by the standard's
  // naming rules, either generation.
  NameCheck ParseName(const std::string& file_name) const;

  const std::vector<KindRule>& kinds() const { return kinds_; }
  const std::vector<UnitRule>& units() const { return units_; }
  const std::vector<CsvVersion>& versions() const { return versions_; }
  // Rules on columns every record has (insurer, insured).
  const std::vector<FieldRule>& record_fields() const { return record_fields_; }
  size_t max_files() const { return max_files_; }
  uint64_t max_bytes() const { return max_bytes_; }

 private:
  std::vector<CsvVersion> versions_;
  std::vector<VersionMistake> version_mistakes_;
  std::vector<FieldRule> record_fields_;
  std::vector<KindRule> kinds_;
  std::vector<UnitRule> units_;
  std::vector<AttachmentRule> attachments_;
  std::vector<ArchiveRule> archives_;
  std::set<std::string> archive_extensions_;
  size_t max_files_ = 7;
  uint64_t max_bytes_ = 10ull << 20;
};

// A == B for the short values the rules compare: an inline loop rather
// than a call to memcmp, which is most of the cost at these sizes.
inline bool SameBytes(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// YYYYMM and YYYYMMDD as the standard writes them (years from 1990).
bool IsYearMonth(std::string_view s);
bool IsYmdDate(std::string_view s);
// HHMM with a real time of day.
bool IsHhmm(std::string_view s);

// Lower-case extension of a file name without the dot ("" if none).
std::string Extension(const std::string& name);
bool IsCsvName(const std::string& name);

}  // namespace tayori::careplan

#endif  // TAYORI_COMMON_CAREPLAN_RULES_H_
