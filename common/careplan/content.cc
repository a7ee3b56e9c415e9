// CSV content checks: one standard CSV file, record by record, against
// the layout of its kind and version (schema/careplan_rules.yaml): encoding,
// CSV version, column counts, field rules and required rows. See check.h.
#include "common/careplan/check.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <functional>
#include <map>
#include <set>

#include "common/careplan/csv.h"
#include "common/careplan/valid_csv.h"
#include "common/env.h"
#include "common/ids.h"

namespace tayori::careplan {
namespace {

constexpr size_t kMaxFindingsPerFile = 20;

Finding Make(const std::string& file, Category c, std::string ja, std::string en, int line = 0, int column = 0) {
  return MakeFinding(file, c, std::move(ja), std::move(en), line, column);
}

// What to do about content not to the standard, after every such finding.
const char kRedoJa[] = "介護ソフトから出力し直すか、ソフトの提供元に確認してください。";
const char kRedoEn[] = "; export it again from the care software, or ask its vendor";

// Checks one standard CSV file record by record. Field rules look at the raw
// bytes (every rule is about ASCII), so a valid field costs no allocation;
// only a finding decodes its value for display.
class ContentChecker {
 public:
  ContentChecker(const Rules& rules, const ParsedName& parsed, const std::string& name)
      : rules_(rules), parsed_(parsed), name_(name) {}

  std::vector<Finding> Run(std::string_view data);

 private:
  bool full() const { return out_.size() > kMaxFindingsPerFile; }
  void Add(int line, int column, const std::string& ja, const std::string& en);
  std::string Shown(std::string_view raw, bool ja = true);
  bool Encoding(const CsvRecord& rec);
  bool Version(const CsvRecord& rec);
  void Fields(const std::vector<FieldRule>& rules, const CsvRecord& rec);
  void Rows(const CsvRecord& rec);

  const Rules& rules_;
  const ParsedName& parsed_;
  const std::string& name_;
  std::vector<Finding> out_;
  Ms932 decoder_;
  std::string utf8_;  // scratch for decoding
  std::string version_;
  const Layout* layout_ = nullptr;
  std::vector<bool> rows_seen_;
};

void ContentChecker::Add(int line, int column, const std::string& ja, const std::string& en) {
  if (out_.size() < kMaxFindingsPerFile) {
    out_.push_back(Make(name_, Category::kFormat,
                        "ケアプランデータの書式フォーマットが正しくありません。" + ja + "。" + kRedoJa,
                        "format not to the standard: " + en + kRedoEn, line, column));
  } else if (out_.size() == kMaxFindingsPerFile) {
    out_.push_back(Make(name_, Category::kFormat, "ほかにも誤りがあります（表示を省略しました）",
                        "more problems follow (not shown)"));
  }
}

// A value shown back to staff: decoded, shortened, quoted.
std::string ContentChecker::Shown(std::string_view raw, bool ja) {
  size_t bad = 0;
  std::string text = decoder_.Decode(raw, &utf8_, &bad) ? utf8_ : std::string(raw.substr(0, bad)) + "?";
  if (text.size() > 40) text = text.substr(0, 40) + "…";
  return ja ? "「" + text + "」" : "'" + text + "'";
}

// Every field is MS932 without user-defined characters.
bool ContentChecker::Encoding(const CsvRecord& rec) {
  bool ok = true;
  for (size_t i = 0; i < rec.fields.size(); ++i) {
    size_t bad = 0;
    if (decoder_.Decode(rec.fields[i], &utf8_, &bad)) continue;
    Add(rec.line, static_cast<int>(i) + 1,
        "Shift_JIS（MS932）で表せない文字か外字があります（" + std::to_string(bad + 1) + "バイト目）",
        "a character that is not MS932 Shift_JIS, or a user-defined character (byte " + std::to_string(bad + 1) + ")");
    ok = false;
  }
  return ok;
}

// Column 1: the first record sets the version, every other repeats it.
// False when the record cannot be judged further (or nothing can).
bool ContentChecker::Version(const CsvRecord& rec) {
  const std::string& v = rec.fields[0];
  if (!version_.empty()) {
    if (v == version_) return true;
    Add(rec.line, 1, "CSVバージョンが1行目（" + version_ + "）と異なります" + Shown(v),
        "CSV version " + Shown(v, false) + " differs from line 1 (" + version_ + ")");
    return false;
  }
  const CsvVersion* cv = rules_.FindVersion(v);
  if (cv == nullptr) {
    if (const VersionMistake* m = rules_.FindVersionMistake(v)) {
      Add(rec.line, 1, m->ja, m->en);
    } else {
      Add(rec.line, 1, "1列目のCSVバージョン" + Shown(v) + "が標準仕様のものではありません",
          "column 1 is not a known CSV version: " + Shown(v, false));
    }
    return false;
  }
  version_ = v;
  if (cv->naming != parsed_.naming) {
    Add(rec.line, 1,
        "CSVバージョン" + v + "（" + cv->title + "）とファイル名の形式（" +
            (parsed_.naming == Naming::kV4 ? "第4版" : "第3版以前") + "）が合いません",
        "CSV version " + v + " does not match the file name's generation");
  } else if (cv->naming == Naming::kV4 &&
             (!cv->service_type.Matches(parsed_.sender_type) || !cv->service_type.Matches(parsed_.recipient_type))) {
    Add(rec.line, 1,
        "CSVバージョン" + v + "（" + cv->title + "）のファイル名のサービス種類は " + cv->service_type.text() +
            " です（ファイル名は " + parsed_.sender_type + "・" + parsed_.recipient_type + "）",
        "with CSV version " + v + " the service types in the file name are " + cv->service_type.text() +
            " (the name has " + parsed_.sender_type + ", " + parsed_.recipient_type + ")");
  }
  auto it = parsed_.kind->layouts.find(version_);
  if (it != parsed_.kind->layouts.end()) layout_ = &it->second;
  if (layout_ != nullptr) rows_seen_.assign(layout_->rows.size(), false);
  return true;
}

void ContentChecker::Fields(const std::vector<FieldRule>& rules, const CsvRecord& rec) {
  for (const FieldRule& f : rules) {
    if (f.column > static_cast<int>(rec.fields.size()) || !f.AppliesTo(parsed_.month)) continue;
    const std::string_view v = rec.fields[static_cast<size_t>(f.column) - 1];
    // Labels are made only for a finding: a valid field allocates nothing.
    auto label_ja = [&f] { return f.name.empty() ? std::string("値") : f.name; };
    auto label_en = [&f] { return f.name_en.empty() ? std::string("the value") : f.name_en; };
    if (v.empty()) {
      if (f.required)
        Add(rec.line, f.column, label_ja() + "が空です（必ず入る項目です）", label_en() + " is empty (it is required)");
      continue;
    }
    if (!f.FormatMatches(v)) {
      Add(rec.line, f.column, label_ja() + "は" + f.Describe(true) + "です（値" + Shown(v) + "）",
          label_en() + " is " + f.Describe(false) + " (here " + Shown(v, false) + ")");
      continue;
    }
    if (f.equals == FieldRule::kNameMonth && v.substr(0, 6) != parsed_.month) {
      Add(rec.line, f.column, label_ja() + Shown(v) + "がファイル名の対象年月（" + parsed_.month + "）と異なります",
          label_en() + " " + Shown(v, false) + " is not in the file name's month " + parsed_.month);
    }
  }
}

// Required rows: note the ones this record is; check their other columns.
void ContentChecker::Rows(const CsvRecord& rec) {
  for (size_t i = 0; i < layout_->rows.size(); ++i) {
    const RowRule& r = layout_->rows[i];
    if (r.column > static_cast<int>(rec.fields.size()) || rec.fields[static_cast<size_t>(r.column) - 1] != r.value) {
      continue;
    }
    rows_seen_[i] = true;
    for (const auto& [column, value] : r.with) {
      const std::string& v = rec.fields[static_cast<size_t>(column) - 1];
      if (v == value) continue;
      Add(rec.line, column, r.title + "のこの列は " + value + " です" + Shown(v),
          "on the " + r.title_en + " this column is " + value + ": " + Shown(v, false));
    }
  }
}

std::vector<Finding> ContentChecker::Run(std::string_view data) {
  if (data.substr(0, 3) == "\xEF\xBB\xBF" || LooksLikeUtf8(data)) {
    const bool bom = data.substr(0, 3) == "\xEF\xBB\xBF";
    Add(1, 0,
        std::string("文字コードが UTF-8") + (bom ? "（BOM付き）" : "") +
            " です（標準仕様のCSVは Shift_JIS（MS932）です）。表計算ソフトやメモ帳で保存し直したファイルは送れません",
        std::string("the file is UTF-8") + (bom ? " with a byte-order mark (BOM)" : "") +
            " (standard CSVs are Shift_JIS, MS932); a file saved again from a spreadsheet or text editor cannot be "
            "sent");
    return std::move(out_);
  }
  CsvReader reader(data);
  CsvRecord rec;
  int records = 0;
  while (!full() && reader.Next(&rec)) {
    ++records;
    if (rec.fields.size() == 1 && rec.fields[0].empty()) {
      Add(rec.line, 0, "空行があります", "a blank line between records");
      continue;
    }
    if (!Encoding(rec)) continue;
    if (!Version(rec)) {
      if (version_.empty()) return std::move(out_);  // nothing else can be judged
      continue;
    }
    const size_t n = rec.fields.size();
    if (layout_ != nullptr && layout_->columns > 0 && static_cast<int>(n) != layout_->columns) {
      Add(rec.line, 0,
          "列の数が" + std::to_string(n) + "です（" + parsed_.kind->title + " " + version_ + "は" +
              std::to_string(layout_->columns) + "列）",
          std::to_string(n) + " columns; " + parsed_.kind->prefix + " version " + version_ + " has " +
              std::to_string(layout_->columns));
      continue;
    }
    if (n < 3) {
      Add(rec.line, 0, "列が足りません（保険者番号・被保険者番号がありません）",
          "too few columns (no insurer and insured numbers)");
      continue;
    }
    Fields(rules_.record_fields(), rec);
    if (layout_ == nullptr) continue;
    Fields(layout_->fields, rec);
    Rows(rec);
  }
  if (reader.failed()) {
    const CsvError& e = reader.error();
    Add(e.line, e.column, e.ja, e.en);
  } else if (records == 0) {
    Add(0, 0, "データが1件もありません", "the file holds no records");
  } else if (layout_ != nullptr && !full()) {
    for (size_t i = 0; i < layout_->rows.size(); ++i) {
      if (rows_seen_[i]) continue;
      const RowRule& r = layout_->rows[i];
      Add(0, 0, r.title + "（" + std::to_string(r.column) + "列目が " + r.value + " の行）がありません",
          "no " + r.title_en + " (the row whose column " + std::to_string(r.column) + " is " + r.value + ")");
    }
  }
  return std::move(out_);
}

}  // namespace

std::vector<Finding> CheckCsvContent(const Rules& rules, const ParsedName& parsed, const std::string& name,
                                     std::string_view data) {
  // Valid files (nearly all) are read once, fast; a file with anything to
  // report is read again here, the careful way.
  if (IsValidCsvContent(rules, parsed, data)) return {};
  return internal::CheckCsvContentCarefully(rules, parsed, name, data);
}

std::vector<Finding> internal::CheckCsvContentCarefully(const Rules& rules, const ParsedName& parsed,
                                                        const std::string& name, std::string_view data) {
  return ContentChecker(rules, parsed, name).Run(data);
}

}  // namespace tayori::careplan
