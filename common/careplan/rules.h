// Rules: the care plan standard's tables (schema/careplan_rules.yaml) in
// memory — file kinds, CSV versions and layouts, send units, allowed
// attachments and archive signatures — and the file-name parser built on
// them. Immutable after Parse(); any thread may read.
#ifndef TAYORI_COMMON_CAREPLAN_RULES_H_
#define TAYORI_COMMON_CAREPLAN_RULES_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/careplan/finding.h"
#include "common/status.h"

namespace tayori::careplan {

enum class Naming { kV3, kV4 };
enum class MonthPart { kNone, kRequired, kHosoku };
enum class Action { kRegistration, kDeletion };

struct FieldRule {
  enum Format { kDate, kMonth, kDigits, kOffice } format = kDigits;
  int column = 0;  // 1-based
  int length = 0;  // kDigits
  bool month_of_name = false;
};

struct Layout {
  int columns = 0;  // 0: not known, not checked
  std::vector<FieldRule> fields;
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
  std::string hosoku_month;  // "", "000000" or "same"
};

struct CsvVersion {
  std::string code;
  Naming naming = Naming::kV3;
  std::string title;
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
  const CsvVersion* FindVersion(const std::string& code) const;
  const AttachmentRule* FindAttachment(const std::string& ext_lower) const;
  bool IsArchiveExtension(const std::string& ext_lower) const;
  // The archive kind whose signature HEAD (a file's first bytes) matches.
  const ArchiveRule* DetectArchive(const std::string& head) const;

  // Parses a CSV file name (base name, .CSV or .csv) by the standard's
  // naming rules, either generation.
  NameCheck ParseName(const std::string& file_name) const;

  const std::vector<KindRule>& kinds() const { return kinds_; }
  const std::vector<UnitRule>& units() const { return units_; }
  size_t max_files() const { return max_files_; }
  uint64_t max_bytes() const { return max_bytes_; }

 private:
  std::vector<CsvVersion> versions_;
  std::vector<KindRule> kinds_;
  std::vector<UnitRule> units_;
  std::vector<AttachmentRule> attachments_;
  std::vector<ArchiveRule> archives_;
  std::set<std::string> archive_extensions_;
  size_t max_files_ = 7;
  uint64_t max_bytes_ = 10ull << 20;
};

// YYYYMM and YYYYMMDD as the standard writes them (years from 1990).
bool IsYearMonth(const std::string& s);
bool IsYmdDate(const std::string& s);

// Lower-case extension of a file name without the dot ("" if none).
std::string Extension(const std::string& name);
bool IsCsvName(const std::string& name);

}  // namespace tayori::careplan

#endif  // TAYORI_COMMON_CAREPLAN_RULES_H_
