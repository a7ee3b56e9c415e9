#include "common/careplan/csv.h"

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace tayori::careplan {

bool CsvReader::Next(CsvRecord* record) {
  // Blank lines at the end of a file are no records (exports often end so).
  if (!failed_ && data_.find_first_not_of("\r\n", pos_) == std::string_view::npos) pos_ = data_.size();
  if (failed_ || pos_ >= data_.size()) return false;
  record->fields.clear();
  record->line = line_;
  std::string field;
  bool quoted = false;      // inside quotes
  bool was_quoted = false;  // this field began with a quote
  int quote_line = 0;       // where the open quote began
  int quote_column = 0;
  auto fail = [&](const std::string& ja, const std::string& en) {
    failed_ = true;
    error_ = {line_, static_cast<int>(record->fields.size()) + 1, ja, en};
    return false;
  };
  while (pos_ < data_.size()) {
    const char c = data_[pos_++];
    if (quoted) {
      if (c == '"') {
        if (pos_ < data_.size() && data_[pos_] == '"') {
          field.push_back('"');
          ++pos_;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line_;
        field.push_back(c);
      }
      continue;
    }
    if (c == ',') {
      record->fields.push_back(std::move(field));
      field.clear();
      was_quoted = false;
    } else if (c == '\r' || c == '\n') {
      if (c == '\r' && pos_ < data_.size() && data_[pos_] == '\n') ++pos_;
      ++line_;
      record->fields.push_back(std::move(field));
      return true;
    } else if (c == '"') {
      if (!field.empty() || was_quoted) {
        return fail("引用符（\"）の位置が正しくありません", "a double quote in the middle of a field");
      }
      quoted = was_quoted = true;
      quote_line = line_;
      quote_column = static_cast<int>(record->fields.size()) + 1;
    } else {
      if (was_quoted) {
        return fail("引用符で閉じた後に文字があります", "text after a closing double quote");
      }
      field.push_back(c);
    }
  }
  if (quoted) {
    failed_ = true;
    error_ = {quote_line, quote_column, "引用符（\"）が閉じられていません", "a double quote is never closed"};
    return false;
  }
  record->fields.push_back(std::move(field));  // last line without a line end
  return true;
}

bool LooksLikeUtf8(std::string_view data) {
  bool multibyte = false;
  for (size_t i = 0; i < data.size();) {
    uint64_t eight;
    if (data.size() - i >= 8 && (std::memcpy(&eight, data.data() + i, 8), (eight & 0x8080808080808080u) == 0)) {
      i += 8;  // ASCII
      continue;
    }
    const unsigned char c = static_cast<unsigned char>(data[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || i + n > data.size() || (n == 2 && c < 0xc2)) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(data[i + k]) & 0xc0) != 0x80) return false;
    }
    multibyte |= n > 1;
    i += n;
  }
  return multibyte;
}

bool Ms932::Decode(std::string_view bytes, std::string* utf8, size_t* bad_offset) {
  utf8->clear();
  *bad_offset = 0;
  // User-defined area (外字): lead bytes 0xF0-0xF9.
  for (size_t i = 0; i < bytes.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    if ((c >= 0x81 && c <= 0x9f) || (c >= 0xe0 && c <= 0xfc)) {
      if (c >= 0xf0 && c <= 0xf9) {
        *bad_offset = i;
        return false;
      }
      ++i;  // trail byte
    } else if (c == 0 || (c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f) {
      *bad_offset = i;
      return false;
    }
  }
  if (!converter_.Convert(bytes, utf8, bad_offset)) return false;
  // Anything decoded into the Private Use Area is a user-defined character.
  for (size_t i = 0; i + 2 < utf8->size(); ++i) {
    const unsigned char a = static_cast<unsigned char>((*utf8)[i]);
    const unsigned char b = static_cast<unsigned char>((*utf8)[i + 1]);
    if (a == 0xee || (a == 0xef && b <= 0xa3)) {
      *bad_offset = 0;
      return false;
    }
  }
  return true;
}

}  // namespace tayori::careplan
