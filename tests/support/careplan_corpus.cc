#include "tests/support/careplan_corpus.h"

#include <iconv.h>

#include <stdexcept>

namespace tayori::testing {

std::string ToSjis(const std::string& utf8) {
  iconv_t cd = iconv_open("CP932", "UTF-8");
  std::string out(utf8.size() * 2 + 4, '\0');
  char* in = const_cast<char*>(utf8.data());
  size_t in_left = utf8.size(), out_left = out.size();
  char* o = out.data();
  size_t rc = iconv(cd, &in, &in_left, &o, &out_left);
  iconv_close(cd);
  if (rc == static_cast<size_t>(-1)) throw std::runtime_error("not convertible to MS932");
  out.resize(out.size() - out_left);
  return out;
}

std::string Corpus::Name(const std::string& prefix, bool v4, const std::string& month) const {
  const careplan::KindRule* k = careplan::Rules::Standard().FindKind(prefix);
  if (k == nullptr) throw std::runtime_error("unknown prefix " + prefix);
  std::string name = prefix + "_";
  if (k->month != careplan::MonthPart::kNone) name += month + "_";
  name += v4 ? sender_ + "_" + sender_type_ + "_" + recipient_ + "_" + recipient_type_ + "_"
             : sender_ + "_" + recipient_ + "_";
  return name + stamp_ + ".CSV";
}

namespace {

// A plausible value for field rule R in a file for MONTH (YYYYMM or 000000).
std::string Plausible(const careplan::FieldRule& r, const std::string& prefix, const std::string& month,
                      const Corpus& c) {
  const std::string m = month == "000000" ? "202612" : month;
  switch (r.format) {
    case careplan::FieldRule::kDate:
      return m + (r.equals == careplan::FieldRule::kNameMonth ? "15" : "01");
    case careplan::FieldRule::kMonth:
      return r.equals == careplan::FieldRule::kNameMonth ? month : m;
    case careplan::FieldRule::kTime:
      return r.example.empty() ? "0930" : r.example;
    case careplan::FieldRule::kDigits:
      return !r.example.empty() ? r.example : r.length > 0 ? std::string(static_cast<size_t>(r.length), '1') : "1";
    // The provider: the sender of actuals, the recipient of a plan.
    case careplan::FieldRule::kOffice:
      return prefix.find("JSK") != std::string::npos ? c.sender_ : c.recipient_;
    case careplan::FieldRule::kCode:
      if (r.example.empty()) throw std::runtime_error("code field without an example");
      return r.example;
    case careplan::FieldRule::kEnum:
      return r.values[0];
    case careplan::FieldRule::kAny:
      break;
  }
  return r.example.empty() ? "\"備考、テキスト\"" : r.example;
}

}  // namespace

std::string Corpus::Record(const std::string& prefix, const std::string& version, const std::string& month, bool sjis,
                           int row) const {
  const careplan::KindRule* k = careplan::Rules::Standard().FindKind(prefix);
  const careplan::Layout* layout = nullptr;
  if (auto it = k->layouts.find(version); it != k->layouts.end()) layout = &it->second;
  const int columns = layout != nullptr && layout->columns > 0 ? layout->columns : 12;
  std::vector<std::string> f(static_cast<size_t>(columns), "\"備考、テキスト\"");
  f[0] = version;
  f[1] = "131001";
  f[2] = "0000012345";
  if (layout != nullptr) {
    for (const auto& r : layout->fields) {
      if (!r.AppliesTo(month)) continue;
      f[static_cast<size_t>(r.column) - 1] = Plausible(r, prefix, month, *this);
    }
    if (row >= 0) {
      const careplan::RowRule& r = layout->rows.at(static_cast<size_t>(row));
      f[static_cast<size_t>(r.column) - 1] = r.value;
      for (const auto& [column, value] : r.with) f[static_cast<size_t>(column) - 1] = value;
    }
  }
  std::string line;
  for (size_t i = 0; i < f.size(); ++i) line += (i ? "," : "") + f[i];
  return sjis ? ToSjis(line + "\r\n") : line + "\r\n";
}

CorpusFile Corpus::File(const std::string& prefix, bool v4, const std::string& month, int records) const {
  CorpusFile file{Name(prefix, v4, month), ""};
  const std::string version = v4 ? v4_version_ : "202208";
  const careplan::KindRule* k = careplan::Rules::Standard().FindKind(prefix);
  int rows = 0;
  if (auto it = k->layouts.find(version); it != k->layouts.end()) rows = static_cast<int>(it->second.rows.size());
  for (int i = 0; i < records - rows; ++i) file.content += Record(prefix, version, month);
  for (int i = 0; i < rows; ++i) file.content += Record(prefix, version, month, true, i);
  return file;
}

std::vector<CorpusFile> Corpus::Unit(const std::string& unit_id, bool v4) const {
  for (const auto& u : careplan::Rules::Standard().units()) {
    if (u.id != unit_id) continue;
    std::vector<CorpusFile> files;
    for (const auto& p : u.required) {
      files.push_back(File(p, v4, u.hosoku_month == "000000" && p == "UPHOSOKU" ? "000000" : "202612"));
    }
    return files;
  }
  throw std::runtime_error("unknown unit " + unit_id);
}

}  // namespace tayori::testing
