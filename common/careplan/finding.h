// Finding: one problem found in a file or a set of files about to be sent,
// located as precisely as possible (file, line, column), worded for staff in
// Japanese and English. Plain data.
#ifndef TAYORI_COMMON_CAREPLAN_FINDING_H_
#define TAYORI_COMMON_CAREPLAN_FINDING_H_

#include <string>

namespace tayori::careplan {

enum class Category {
  kName,         // not a standard file name
  kCombination,  // not a standard send unit
  kFormat,       // CSV content not to the standard
  kFileType,     // extension not allowed, or content not what the extension says
  kArchive,      // zip and other archives
  kLimit,        // too many files or bytes
  kParty,        // sender/recipient in the names do not fit this send
};

// An error refuses the send; a warning is shown and the send goes ahead.
enum class Severity { kError, kWarning };

// The message-catalogue reason of a category ("name_invalid", ...).
const char* CategoryReason(Category c);

struct Finding {
  std::string file;  // base name; empty for the send as a whole
  int line = 0;      // 1-based; 0 when not about a line
  int column = 0;    // 1-based; 0 when not about a column
  Category category = Category::kFormat;
  std::string ja;
  std::string en;
  Severity severity = Severity::kError;
};

// A finding about FILE (empty: the send), at LINE and COLUMN (0: none).
inline Finding MakeFinding(const std::string& file, Category c, std::string ja, std::string en, int line = 0,
                           int column = 0) {
  Finding f;
  f.file = file;
  f.category = c;
  f.ja = std::move(ja);
  f.en = std::move(en);
  f.line = line;
  f.column = column;
  return f;
}

}  // namespace tayori::careplan

#endif  // TAYORI_COMMON_CAREPLAN_FINDING_H_
