// Reading standard CSV files: records split by commas, fields optionally in
// double quotes ("" inside for a quote; commas and line breaks allowed
// inside), CRLF or LF line ends, no header; blank lines at the end are
// not records. Bytes are Shift_JIS (MS932):
// its trail bytes never equal a comma, quote, CR or LF, so splitting works
// on raw bytes; Ms932 then checks and decodes each field.
#ifndef TAYORI_COMMON_CAREPLAN_CSV_H_
#define TAYORI_COMMON_CAREPLAN_CSV_H_

#include <string>
#include <string_view>
#include <vector>

#include "common/port/port.h"

namespace tayori::careplan {

struct CsvRecord {
  int line = 0;                     // physical line the record starts on, 1-based
  std::vector<std::string> fields;  // raw bytes, quotes removed
};

struct CsvError {
  int line = 0;
  int column = 0;
  std::string ja;
  std::string en;
};

// Reads records from DATA, which must outlive the reader. Single thread.
class CsvReader {
 public:
  explicit CsvReader(std::string_view data) : data_(data) {}
  // True and *RECORD filled while records remain; false at the end or on a
  // syntax error (then error() is set).
  bool Next(CsvRecord* record);
  bool failed() const { return failed_; }
  const CsvError& error() const { return error_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  int line_ = 1;
  bool failed_ = false;
  CsvError error_;
};

// Checks that bytes are MS932 (Windows-31J) text without user-defined
// characters (外字), and decodes them to UTF-8 (with the system's code page
// 932 converter, port.h). One thread at a time.
class Ms932 {
 public:
  Ms932() = default;
  Ms932(const Ms932&) = delete;
  Ms932& operator=(const Ms932&) = delete;

  // True if BYTES are valid; *UTF8 gets the text. On failure *BAD_OFFSET is
  // the byte offset of the first offending character.
  bool Decode(std::string_view bytes, std::string* utf8, size_t* bad_offset);

 private:
  port::Cp932ToUtf8 converter_;
};

// True if DATA is well-formed UTF-8 holding at least one multi-byte
// character: a file saved as UTF-8. Shift_JIS text with kana or kanji never
// is.
bool LooksLikeUtf8(std::string_view data);

}  // namespace tayori::careplan

#endif  // TAYORI_COMMON_CAREPLAN_CSV_H_
