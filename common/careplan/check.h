// Checking a set of files meant to travel as one send, against the care plan
// rules: names and parties, send units, limits, file types and archives, and
// (when the content is at hand) CSV content. Every problem becomes a Finding;
// nothing stops at the first. Stateless functions; any thread.
//
// The agent runs everything before sending and again on what it receives;
// the broker, which sees only names and sizes, runs the checks with
// content = false.
#ifndef TAYORI_COMMON_CAREPLAN_CHECK_H_
#define TAYORI_COMMON_CAREPLAN_CHECK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/careplan/finding.h"
#include "common/careplan/rules.h"
#include "common/env.h"

namespace tayori::careplan {

struct FileToCheck {
  std::string name;  // base name
  std::string path;  // where to read it; empty when content is not checked
  uint64_t size = 0;
};

struct CheckOptions {
  std::string own_office;  // the sending office; empty: not checked
  std::string to;          // recipient given by hand; empty: from the CSV names
  bool content = true;     // read the files and check what is in them
  Env* env = nullptr;      // reads the files; null: Env::Default()
  size_t max_files = 0;    // 0: the rules' limit
  uint64_t max_bytes = 0;  // 0: the rules' limit
};

struct CheckReport {
  std::vector<Finding> findings;   // errors: any of them refuses the send
  std::vector<Finding> warnings;   // shown to staff; the send goes ahead
  std::string recipient;           // the send's recipient, if it could be told
  const UnitRule* unit = nullptr;  // the send unit the CSVs form, if any
  bool ok() const { return findings.empty(); }
};

CheckReport CheckSend(const Rules& rules, const std::vector<FileToCheck>& files, const CheckOptions& options);

// The content of one standard CSV file (NAME parsed as PARSED).
std::vector<Finding> CheckCsvContent(const Rules& rules, const ParsedName& parsed, const std::string& name,
                                     std::string_view data);

namespace internal {
// CheckCsvContent without its fast path (valid_csv.h): every record read the
// careful way. Whether it finds nothing must always equal what
// IsValidCsvContent answers; tests and fuzzers hold the two to that.
std::vector<Finding> CheckCsvContentCarefully(const Rules& rules, const ParsedName& parsed, const std::string& name,
                                              std::string_view data);
}  // namespace internal

// One non-CSV file by its name: an allowed extension, not an archive.
std::vector<Finding> CheckAttachmentName(const Rules& rules, const std::string& name);

// Any file's content: not an archive (whatever its name) and, for an
// attachment, what its extension says. HEAD is the file's first bytes (at
// least 4 KiB when it has them); for txt files it must be the whole file.
std::vector<Finding> CheckAttachmentContent(const Rules& rules, const std::string& name, std::string_view head);

// "file line 3, column 15: text" in Japanese or English; a warning starts
// with 注意 / warning.
std::string FormatFinding(const Finding& f, bool japanese);

}  // namespace tayori::careplan

#endif  // TAYORI_COMMON_CAREPLAN_CHECK_H_
