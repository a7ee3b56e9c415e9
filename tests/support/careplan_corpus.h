// A generator of standard care plan files for tests: names in both naming
// generations and Shift_JIS CSV content that follows (or, on request,
// breaks) the layouts in schema/careplan_rules.yaml. Every column a layout
// gives a format gets a plausible value of that format (dates in the month,
// real service codes, times, office numbers); the rest hold short text.
// Tests only.
#ifndef TAYORI_TESTS_SUPPORT_CAREPLAN_CORPUS_H_
#define TAYORI_TESTS_SUPPORT_CAREPLAN_CORPUS_H_

#include <string>
#include <vector>

#include "common/careplan/rules.h"

namespace tayori::testing {

// UTF-8 -> MS932 (Shift_JIS).
std::string ToSjis(const std::string& utf8);

struct CorpusFile {
  std::string name;
  std::string content;
};

class Corpus {
 public:
  Corpus(std::string sender = "0123456789", std::string recipient = "1299999999", std::string stamp = "20261121093000")
      : sender_(std::move(sender)), recipient_(std::move(recipient)), stamp_(std::move(stamp)) {}

  // A standard name for PREFIX. MONTH is used for kinds that carry one.
  std::string Name(const std::string& prefix, bool v4, const std::string& month = "202612") const;
  // A valid record line (CRLF-terminated) for PREFIX in VERSION, in
  // Shift_JIS (or in UTF-8, to edit before converting). With ROW >= 0 it is
  // the layout's required row of that index (第7表's grand total).
  std::string Record(const std::string& prefix, const std::string& version, const std::string& month = "202612",
                     bool sjis = true, int row = -1) const;
  // A file of PREFIX with N records, the last ones being the layout's
  // required rows.
  CorpusFile File(const std::string& prefix, bool v4, const std::string& month = "202612", int records = 3) const;
  // Every file of send unit UNIT_ID.
  std::vector<CorpusFile> Unit(const std::string& unit_id, bool v4) const;

  std::string sender_, recipient_, stamp_;
  // Service types in v4 names, and the CSV version v4 files carry.
  std::string sender_type_ = "43", recipient_type_ = "11";
  std::string v4_version_ = "202407";
};

}  // namespace tayori::testing

#endif  // TAYORI_TESTS_SUPPORT_CAREPLAN_CORPUS_H_
