// libFuzzer target: the CSV reader, MS932 decoding and the content checks
// on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/careplan/check.h"
#include "common/careplan/csv.h"
#include "common/careplan/rules.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  tayori::careplan::CsvReader reader(bytes);
  tayori::careplan::Ms932 decoder;
  tayori::careplan::CsvRecord record;
  std::string utf8;
  int last_line = 0;
  while (reader.Next(&record)) {
    if (record.line < last_line || record.fields.empty()) __builtin_trap();
    last_line = record.line;
    for (const auto& f : record.fields) {
      size_t bad = 0;
      if (!decoder.Decode(f, &utf8, &bad) && bad > f.size()) __builtin_trap();
    }
  }
  const auto& rules = tayori::careplan::Rules::Standard();
  for (const char* name : {"UPJSK_202612_0123456789_43_1299999999_11_20261121093000.CSV",
                           "UPPLAN_202612_0123456789_1299999999_20261121093000.CSV",
                           "DLTJSK_202612_0123456789_43_1299999999_11_20261121093000.CSV"}) {
    tayori::careplan::NameCheck n = rules.ParseName(name);
    if (!n.ok) __builtin_trap();
    for (const auto& finding : tayori::careplan::CheckCsvContent(rules, n.name, name, bytes)) {
      if (finding.ja.empty() || finding.en.empty()) __builtin_trap();
    }
  }
  return 0;
}
