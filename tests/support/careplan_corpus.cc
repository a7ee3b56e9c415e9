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
  name += v4 ? sender_ + "_43_" + recipient_ + "_11_" : sender_ + "_" + recipient_ + "_";
  return name + stamp_ + ".CSV";
}

std::string Corpus::Record(const std::string& prefix, const std::string& version,
                           const std::string& month, bool sjis) const {
  const careplan::KindRule* k = careplan::Rules::Standard().FindKind(prefix);
  const careplan::Layout* layout = nullptr;
  if (auto it = k->layouts.find(version); it != k->layouts.end()) layout = &it->second;
  const int columns = layout != nullptr && layout->columns > 0 ? layout->columns : 12;
  std::vector<std::string> f(static_cast<size_t>(columns), "\"備考、テキスト\"");
  f[0] = version;
  f[1] = "131001";
  f[2] = "0000012345";
  const std::string m = month == "000000" ? "202612" : month;
  if (layout != nullptr) {
    for (const auto& r : layout->fields) {
      std::string& v = f[static_cast<size_t>(r.column) - 1];
      switch (r.format) {
        case careplan::FieldRule::kDate: v = m + "15"; break;
        case careplan::FieldRule::kMonth: v = m; break;
        case careplan::FieldRule::kDigits: v = std::string(static_cast<size_t>(r.length), '1'); break;
        case careplan::FieldRule::kOffice: v = recipient_; break;
      }
    }
  }
  std::string line;
  for (size_t i = 0; i < f.size(); ++i) line += (i ? "," : "") + f[i];
  return sjis ? ToSjis(line + "\r\n") : line + "\r\n";
}

CorpusFile Corpus::File(const std::string& prefix, bool v4, const std::string& month, int records) const {
  CorpusFile file{Name(prefix, v4, month), ""};
  for (int i = 0; i < records; ++i) file.content += Record(prefix, v4 ? "202407" : "202208", month);
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
