// libFuzzer target: the CSV reader, MS932 decoding and the content checks
// on arbitrary bytes, read as every kind whose layout has field rules (6表,
// 7表, 実績, 補足 with either month, deletions, prevention) and in a 4.0
// name, so every field format, cross-field rule and required row runs; the
// fast path (valid_csv.h) must agree with the careful reading on each.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/careplan/check.h"
#include "common/careplan/csv.h"
#include "common/careplan/rules.h"
#include "common/careplan/valid_csv.h"

// Every field rule of every layout judges any value without crashing, and
// can say in words what it expects.
static void FieldRules(std::string_view value) {
  const auto& rules = tayori::careplan::Rules::Standard();
  for (const auto& kind : rules.kinds()) {
    for (const auto& [version, layout] : kind.layouts) {
      for (const auto& f : layout.fields) {
        if (f.FormatMatches(value) && f.required && value.empty() && f.also.empty()) __builtin_trap();
        if (f.Describe(true).empty() || f.Describe(false).empty()) __builtin_trap();
      }
    }
  }
}

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
  FieldRules(bytes.substr(0, 64));
  const auto& rules = tayori::careplan::Rules::Standard();
  for (const char* name : {"UPJSK_202612_0123456789_43_1299999999_11_20261121093000.CSV",
                           "UPPLAN_202612_0123456789_1299999999_20261121093000.CSV",
                           "UPPLAN_202612_0123456789_A1_1299999999_2A_20261121093000.CSV",
                           "UPSIKYU_202612_0123456789_43_1299999999_11_20261121093000.CSV",
                           "UPHOSOKU_202612_0123456789_43_1299999999_11_20261121093000.CSV",
                           "UPHOSOKU_000000_0123456789_43_1299999999_11_20261121093000.CSV",
                           "DLTJSK_202612_0123456789_43_1299999999_11_20261121093000.CSV",
                           "DLT1KYO_0123456789_43_1299999999_11_20261121093000.CSV",
                           "UPKIHON_SUB1_0123456789_43_1299999999_11_20261121093000.CSV",
                           "UPJSK_202612_0123456789_430_1299999999_110_20261121093000.CSV"}) {
    tayori::careplan::NameCheck n = rules.ParseName(name);
    if (!n.ok) __builtin_trap();
    // The fast path says valid exactly when the careful reading finds nothing.
    const auto findings = tayori::careplan::internal::CheckCsvContentCarefully(rules, n.name, name, bytes);
    if (tayori::careplan::IsValidCsvContent(rules, n.name, bytes) != findings.empty()) __builtin_trap();
    for (const auto& finding : findings) {
      if (finding.ja.empty() || finding.en.empty() || finding.line < 0 || finding.column < 0) __builtin_trap();
      if (finding.line > last_line + 1 && !reader.failed()) __builtin_trap();
    }
  }
  return 0;
}
