// The fast path of the CSV content check: decides in one pass over the raw
// bytes, allocating nothing per record, whether a standard CSV file is
// valid. It validates the MS932 byte structure by table (built once from
// what Ms932::Decode accepts) instead of decoding, splits records in place
// and applies the same field and row rules as CheckCsvContent.
//
// It answers true only when CheckCsvContent would find nothing; at the
// first doubt it answers false and CheckCsvContent walks the file again the
// careful way, decoding what it must show. Valid files, the case every send
// pays for, are read once at memory speed; the findings on a bad file, with
// their lines and columns, come from one place. Stateless; any thread.
#ifndef TAYORI_COMMON_CAREPLAN_VALID_CSV_H_
#define TAYORI_COMMON_CAREPLAN_VALID_CSV_H_

#include <string_view>

#include "common/careplan/rules.h"

namespace tayori::careplan {

// True if DATA, a standard CSV file named as PARSED, holds nothing that
// CheckCsvContent would report.
bool IsValidCsvContent(const Rules& rules, const ParsedName& parsed, std::string_view data);

}  // namespace tayori::careplan

#endif  // TAYORI_COMMON_CAREPLAN_VALID_CSV_H_
