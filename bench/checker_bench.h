// The care plan checker alone, without broker or network: a valid 第6表・
// 第7表・補足 unit of about MB megabytes (a Shift_JIS サービス利用票 with many
// users' rows, generated in memory) is checked over and over on this thread.
// Figures are for valid data, the case every send pays for.
#ifndef TAYORI_BENCH_CHECKER_BENCH_H_
#define TAYORI_BENCH_CHECKER_BENCH_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/careplan_corpus.h"

namespace tayori::bench {

// A valid 第6表・第7表・補足 unit from SENDER to RECIPIENT of about BYTES in
// all, nearly all of it the 第6表: one user after another, a record per
// service day, text columns in kanji, kana, half-width kana and NEC
// specials, Shift_JIS.
// STAMP: the export time in the names (YYYYMMDDHHMMSS).
std::vector<testing::CorpusFile> PlanUnit(const std::string& sender, const std::string& recipient, size_t bytes,
                                          const std::string& stamp = "20261121093000");

// {"bytes", "rounds", "mb_per_s" (CheckCsvContent on the UPPLAN bytes in
// memory, median round), "unit_ms" (CheckSend of the whole unit from
// files, reading included, median round)}. Dies if the data is not valid.
nlohmann::json MeasureChecker(int mb, int rounds);

// One line for a person: "care plan checker: ...".
void PrintChecker(const nlohmann::json& j);

}  // namespace tayori::bench

#endif  // TAYORI_BENCH_CHECKER_BENCH_H_
