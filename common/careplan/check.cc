#include "common/careplan/check.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <set>

#include "common/careplan/csv.h"
#include "common/env.h"
#include "common/ids.h"
#include "common/port/page_pool.h"

namespace tayori::careplan {
namespace {

constexpr size_t kHeadBytes = 4096;

Finding Make(const std::string& file, Category c, std::string ja, std::string en, int line = 0, int column = 0) {
  return MakeFinding(file, c, std::move(ja), std::move(en), line, column);
}

std::string KindList(const Rules& rules, const std::vector<std::string>& prefixes, bool ja) {
  std::string out;
  for (const auto& p : prefixes) {
    const KindRule* k = rules.FindKind(p);
    if (!out.empty()) out += ja ? "、" : ", ";
    out += p + (k ? (ja ? "（" + k->title + "）" : " (" + k->title_en + ")") : "");
  }
  return out;
}

// The first LIMIT bytes of PATH (fewer if it is shorter), read through ENV
// into pages from the pool in *PAGES: a bulk reads hundreds of MB for its
// checks, and a string would zero each byte and fault each page in first.
StatusOr<std::string_view> ReadHead(Env* env, const std::string& path, uint64_t limit, port::PooledPages* pages) {
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, env->NewRandomAccessFile(path));
  if (limit == 0) return std::string_view();
  *pages = port::PooledPages(static_cast<size_t>(limit));
  if (pages->size() == 0) return IoError("not enough memory to read " + path);
  size_t got = 0;
  RETURN_IF_ERROR(file->ReadTo(0, static_cast<size_t>(limit), pages->data(), &got));
  return std::string_view(pages->data(), got);
}

struct Named {
  const FileToCheck* file;
  ParsedName name;
};

// The unit that the CSV kinds form, or findings that say why none fits.
const UnitRule* MatchUnit(const Rules& rules, const std::vector<Named>& csvs, std::vector<Finding>* findings) {
  std::set<std::string> kinds;
  for (const auto& c : csvs) kinds.insert(c.name.kind->prefix);
  auto in = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  for (const auto& u : rules.units()) {
    bool fits = std::all_of(u.required.begin(), u.required.end(), [&](const auto& p) { return kinds.count(p); });
    for (const auto& k : kinds) fits = fits && (in(u.required, k) || in(u.optional, k));
    if (fits) return &u;
  }
  // No unit fits: explain against the closest one (most kinds in common,
  // then fewest missing).
  const UnitRule* best = nullptr;
  int best_score = -1000;
  for (const auto& u : rules.units()) {
    int common = 0, missing = 0;
    for (const auto& k : kinds) common += in(u.required, k) || in(u.optional, k);
    for (const auto& p : u.required) missing += !kinds.count(p);
    const int score = common * 10 - missing;
    if (common > 0 && score > best_score) best = &u, best_score = score;
  }
  const std::string base_ja = "ファイルの組み合わせが正しくありません。";
  const std::string base_en = "wrong combination of files: ";
  if (best == nullptr) {
    findings->push_back(Make("", Category::kCombination, base_ja + "送信できる組み合わせがありません。",
                             base_en + "these files form no send unit"));
    return nullptr;
  }
  std::vector<std::string> missing, extra;
  for (const auto& p : best->required)
    if (!kinds.count(p)) missing.push_back(p);
  for (const auto& k : kinds)
    if (!in(best->required, k) && !in(best->optional, k)) extra.push_back(k);
  if (!missing.empty()) {
    findings->push_back(
        Make("", Category::kCombination,
             base_ja + best->title + "は一緒に送る必要があります。足りないファイル: " + KindList(rules, missing, true),
             base_en + best->title_en + " travel together; missing: " + KindList(rules, missing, false)));
  }
  for (const auto& c : csvs) {
    if (std::find(extra.begin(), extra.end(), c.name.kind->prefix) == extra.end()) continue;
    findings->push_back(
        Make(c.file->name, Category::kCombination,
             base_ja + c.name.kind->title + "は" + best->title + "と一緒には送れません。別の送信にしてください。",
             base_en + c.name.kind->title_en + " cannot go with " + best->title_en + "; send it separately"));
  }
  return nullptr;
}

void CheckUnitDetails(const UnitRule& unit, const std::vector<Named>& csvs, std::vector<Finding>* findings) {
  if (unit.hosoku_month.empty()) return;
  std::string month;
  for (const auto& c : csvs) {
    const std::string& m = c.name.month;
    if (m.empty()) continue;
    if (unit.hosoku_month == "000000") {
      if (c.name.kind->month == MonthPart::kHosoku && m != "000000") {
        findings->push_back(Make(
            c.file->name, Category::kCombination,
            "ファイルの組み合わせが正しくありません。第1・2・3表と送る補足情報の対象年月は 000000 です（" + m + "）",
            "wrong combination: the supplement sent with tables 1, 2 (3) has month 000000, not " + m));
      }
      continue;
    }
    if (month.empty()) month = m;
    if (m != month) {
      findings->push_back(Make(
          c.file->name, Category::kCombination,
          "ファイルの組み合わせが正しくありません。対象年月が他のファイル（" + month + "）と異なります（" + m + "）",
          "wrong combination: target month " + m + " differs from the others' " + month));
    }
  }
}

// Office documents (Word, Excel, PowerPoint) are zip files inside; staff
// are told what the national client tells them: save them as PDF.
bool IsOfficeDocument(const std::string& name) {
  const size_t dot = name.find_last_of('.');
  if (dot == std::string::npos) return false;
  std::string ext = name.substr(dot + 1);
  for (char& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return ext == "docx" || ext == "xlsx" || ext == "pptx" || ext == "doc" || ext == "xls" || ext == "ppt";
}

Finding ArchiveFinding(const std::string& name, const std::string& what) {
  if (IsOfficeDocument(name)) {
    return Make(name, Category::kFileType,
                "Word・Excel などの文書はそのまま送信できません。PDF形式で保存し直してから追加してください。",
                "Word, Excel and other office documents cannot be sent as they are: save them as PDF, then add "
                "the PDF");
  }
  return Make(
      name, Category::kArchive,
      "圧縮ファイル（" + what +
          "）は送信できません。ファイルを右クリックして「すべて展開」し、展開されたファイルを追加し直してください。",
      "compressed files (" + what +
          ") cannot be sent: extract it first (right-click, Extract All), then add the extracted files");
}

}  // namespace

std::vector<Finding> CheckAttachmentName(const Rules& rules, const std::string& name) {
  const std::string ext = Extension(name);
  if (rules.IsArchiveExtension(ext)) return {ArchiveFinding(name, ext)};
  if (rules.FindAttachment(ext) == nullptr) {
    return {Make(
        name, Category::kFileType,
        "この種類のファイル（." + ext +
            "）は送信できません。送信できるのは csv、pdf、jpeg、jpg、png、gif、txt "
            "です。ワードやエクセルはPDFに保存してから送ってください。",
        "files of type ." + ext +
            " cannot be sent; allowed: csv, pdf, jpeg, jpg, png, gif, txt. Save Word or Excel documents as PDF first")};
  }
  return {};
}

std::vector<Finding> CheckAttachmentContent(const Rules& rules, const std::string& name, std::string_view head) {
  const std::string ext = Extension(name);
  const std::string head_bytes(head.substr(0, std::min<size_t>(head.size(), 2 * kHeadBytes)));
  if (const ArchiveRule* archive = rules.DetectArchive(head_bytes)) return {ArchiveFinding(name, archive->name)};
  const AttachmentRule* rule = rules.FindAttachment(ext);
  if (rule == nullptr) return {};  // CSVs, and names already refused
  if (!rule->signature.magic.empty() && !rule->signature.Matches(head_bytes)) {
    return {Make(
        name, Category::kFileType,
        "ファイルの中身が拡張子（." + ext + "）と合いません。元のアプリケーションで ." + ext +
            " として保存し直してください。",
        "the content is not a ." + ext + " file; save it again as ." + ext + " from the application that made it")};
  }
  if (ext == "txt" && head.find('\0') != std::string_view::npos) {
    return {Make(name, Category::kFileType, "テキストファイルではありません（バイナリが含まれています）。",
                 "not a text file (it holds binary data)")};
  }
  return {};
}

namespace {

// Sizes as staff read them: "10MB", "12.3MB".
std::string Megabytes(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, bytes % (1 << 20) == 0 ? "%.0fMB" : "%.1fMB", static_cast<double>(bytes) / (1 << 20));
  return buf;
}

// The send limits: how many files, and how many bytes in all. A single file
// over the limit cannot be helped by splitting the send: staff are told
// what helps instead.
void LimitFindings(const std::vector<FileToCheck>& files, size_t max_files, uint64_t max_bytes, uint64_t total,
                   std::vector<Finding>* findings) {
  if (files.size() > max_files) {
    findings->push_back(Make("", Category::kLimit,
                             "1回に送れるファイルは" + std::to_string(max_files) + "個までです（" +
                                 std::to_string(files.size()) + "個あります）。送信を分けてください。",
                             "at most " + std::to_string(max_files) + " files per send (" +
                                 std::to_string(files.size()) + " given); split them over several sends"));
  }
  if (total <= max_bytes) return;
  for (const auto& f : files) {
    if (f.size <= max_bytes) continue;
    findings->push_back(
        Make(f.name, Category::kLimit,
             "このファイルだけで" + Megabytes(max_bytes) + "を超えています（" + Megabytes(f.size) +
                 "）。PDFは解像度を下げて保存し直すか、介護ソフトで対象の利用者を分けて出力してください。",
             "this file alone is over " + Megabytes(max_bytes) + " (" + Megabytes(f.size) +
                 "): save a PDF at a lower resolution, or export fewer people at a time"));
    return;
  }
  findings->push_back(Make("", Category::kLimit,
                           "1回に送れるのは合計" + Megabytes(max_bytes) + "までです（合計" + Megabytes(total) +
                               "）。ファイルを2回以上に分けて送信してください。",
                           "at most " + Megabytes(max_bytes) + " per send (" + Megabytes(total) +
                               " given); split the files over several sends"));
}

// Parties: one recipient, this office as sender, not to itself.
void CheckParties(const CheckOptions& o, const std::vector<Named>& csvs, CheckReport* report) {
  report->recipient = o.to;
  std::map<std::string, std::vector<std::string>> by_recipient;
  for (const auto& c : csvs) by_recipient[c.name.recipient].push_back(c.file->name);
  if (by_recipient.size() > 1) {
    std::string list;
    for (const auto& [r, names] : by_recipient) list += " " + r + "(" + std::to_string(names.size()) + ")";
    report->findings.push_back(
        Make("", Category::kParty,
             "CSVファイルの送信先事業所番号がファイルごとに異なります:" + list +
                 "。1回の送信は1事業所宛てです（複数の事業所へは一括送信を使ってください）。",
             "the CSV names name different recipients:" + list + "; one send goes to one office"));
  } else if (by_recipient.size() == 1) {
    const std::string from_names = by_recipient.begin()->first;
    if (!o.to.empty() && o.to != from_names) {
      report->findings.push_back(
          Make("", Category::kParty,
               "指定した送信先（" + o.to + "）とCSVファイル名の送信先（" + from_names + "）が異なります。",
               "the recipient given (" + o.to + ") is not the one in the CSV names (" + from_names + ")"));
    }
    report->recipient = from_names;
  }
  for (const auto& c : csvs) {
    if (!o.own_office.empty() && c.name.sender != o.own_office) {
      report->findings.push_back(Make(
          c.file->name, Category::kParty,
          "ファイル名の送信元事業所番号（" + c.name.sender + "）がこの事業所（" + o.own_office + "）ではありません。",
          "the sender in the name (" + c.name.sender + ") is not this office (" + o.own_office + ")"));
    }
  }
  if (report->recipient.empty()) {
    report->findings.push_back(
        Make("", Category::kParty,
             "送信先がわかりません。CSVファイルがない場合は送信先の事業所番号を指定してください（--to）。",
             "no recipient: without CSV files, give the recipient's office number (--to)"));
  } else if (!IsOfficeNumber(report->recipient)) {
    report->findings.push_back(
        Make("", Category::kParty, "送信先の事業所番号は10桁の数字です。", "the recipient office number is 10 digits"));
  } else if (!o.own_office.empty() && report->recipient == o.own_office) {
    report->findings.push_back(Make("", Category::kParty,
                                    "送信先が自分の事業所番号です。同じ事業所番号どうしでは送れません。",
                                    "the recipient is this office itself; an office cannot send to its own number"));
  }
}

// Send unit: one action, one generation, one sequence stamp. False if
// registration and deletion are mixed (nothing more is checked then).
bool CheckOneUnit(const std::vector<Named>& csvs, std::vector<Finding>* findings) {
  std::map<std::string, std::vector<std::string>> by_kind;
  for (const auto& c : csvs) by_kind[c.name.kind->prefix].push_back(c.file->name);
  for (const auto& [kind, names] : by_kind) {
    for (size_t i = 1; i < names.size(); ++i) {
      findings->push_back(
          Make(names[i], Category::kCombination,
               "ファイルの組み合わせが正しくありません。" + kind + " が2つあります（" + names[0] +
                   "）。1回の送信に同じ種類は1つです。",
               "wrong combination: a second " + kind + " (with " + names[0] + "); one of each kind per send"));
    }
  }
  const bool has_registration = std::any_of(
      csvs.begin(), csvs.end(), [](const Named& c) { return c.name.kind->action == Action::kRegistration; });
  const bool has_deletion =
      std::any_of(csvs.begin(), csvs.end(), [](const Named& c) { return c.name.kind->action == Action::kDeletion; });
  if (has_registration && has_deletion) {
    for (const auto& c : csvs) {
      if (c.name.kind->action != Action::kDeletion) continue;
      findings->push_back(
          Make(c.file->name, Category::kCombination,
               "ファイルの組み合わせが正しくありません。登録のファイルと削除のファイルは一緒に送れません。削除は別に送"
               "信してください。",
               "wrong combination: registration and deletion files never go together; send the deletion separately"));
    }
    return false;
  }
  for (const auto& c : csvs) {
    if (c.name.stamp != csvs[0].name.stamp) {
      findings->push_back(Make(c.file->name, Category::kCombination,
                               "ファイルの組み合わせが正しくありません。ファイル名末尾の日時（" + c.name.stamp +
                                   "）が " + csvs[0].file->name + "（" + csvs[0].name.stamp +
                                   "）と異なります。同じ時に出力したファイルだけを一緒に送ってください。",
                               "wrong combination: time stamp " + c.name.stamp + " differs from " + csvs[0].file->name +
                                   " (" + csvs[0].name.stamp + "); only files exported together form one send"));
    }
    if (c.name.naming != csvs[0].name.naming) {
      findings->push_back(Make(c.file->name, Category::kCombination,
                               "ファイルの組み合わせが正しくありません。第3版と第4版の名前のファイルが混ざっています。",
                               "wrong combination: version 3 and version 4 file names are mixed"));
    }
  }
  return true;
}

// Kinds the unit should carry in this naming generation but may go
// without: a warning (whether the national client refuses such a send is not
// known).
void WarnMissingRecommended(const Rules& rules, const UnitRule& unit, const std::vector<Named>& csvs,
                            std::vector<Finding>* warnings) {
  for (const std::string& p : unit.recommended) {
    const KindRule* kind = rules.FindKind(p);
    if (kind == nullptr || !kind->naming.count(csvs[0].name.naming)) continue;
    if (std::any_of(csvs.begin(), csvs.end(), [&](const Named& c) { return c.name.kind == kind; })) continue;
    Finding w = Make("", Category::kCombination,
                     kind->title + "（" + p + "）がありません。" +
                         (csvs[0].name.naming == Naming::kV4 ? "第4版" : "第3版以前") + "では" + unit.title +
                         "として一緒に送る表です。このまま送信できますが、相手が受け付けない場合は介護ソフトで" +
                         kind->title + "も出力して一緒に送ってください。",
                     "no " + p + " (" + kind->title_en + "): " +
                         (csvs[0].name.naming == Naming::kV4 ? "version 4" : "version 3") + " sends it as part of " +
                         unit.title_en + "; the send goes ahead, but if the recipient cannot take it, export " + p +
                         " from the care software too and send them together");
    w.severity = Severity::kWarning;
    warnings->push_back(std::move(w));
  }
}

}  // namespace

CheckReport CheckSend(const Rules& rules, const std::vector<FileToCheck>& files, const CheckOptions& o) {
  CheckReport report;
  auto& findings = report.findings;
  const size_t max_files = o.max_files ? o.max_files : rules.max_files();
  const uint64_t max_bytes = o.max_bytes ? o.max_bytes : rules.max_bytes();
  if (files.empty()) {
    findings.push_back(Make("", Category::kLimit, "送信するファイルがありません。", "no files to send"));
    return report;
  }
  uint64_t total = 0;
  for (const auto& f : files) total += std::min<uint64_t>(f.size, max_bytes + 1);  // no sum can wrap
  LimitFindings(files, max_files, max_bytes, total, &findings);
  const bool read_content = o.content && total <= max_bytes;

  std::vector<Named> csvs;
  std::set<std::string> seen_names;
  for (const auto& f : files) {
    if (!seen_names.insert(f.name).second) {
      findings.push_back(
          Make(f.name, Category::kCombination, "同じ名前のファイルが2つあります。", "two files have the same name"));
    }
    port::PooledPages pages;
    std::string_view head;
    if (read_content) {
      const uint64_t limit = IsCsvName(f.name) || Extension(f.name) == "txt" ? max_bytes : kHeadBytes;
      auto read = ReadHead(o.env != nullptr ? o.env : Env::Default(), f.path, std::min(limit, f.size), &pages);
      if (!read.ok()) {
        findings.push_back(Make(f.name, Category::kFileType, "ファイルを読み込めません。", "cannot read the file"));
        continue;
      }
      head = std::move(read).value();
    }
    if (read_content) {
      auto a = CheckAttachmentContent(rules, f.name, head);
      const bool archive = !a.empty() && a[0].category == Category::kArchive;
      findings.insert(findings.end(), a.begin(), a.end());
      if (archive) continue;
    }
    if (!IsCsvName(f.name)) {
      auto a = CheckAttachmentName(rules, f.name);
      findings.insert(findings.end(), a.begin(), a.end());
      continue;
    }
    NameCheck nc = rules.ParseName(f.name);
    if (!nc.ok) {
      nc.problem.ja += "。CSVファイルの名前は介護ソフトから出力されたまま変えないでください。";
      findings.push_back(nc.problem);
      continue;
    }
    csvs.push_back({&f, nc.name});
    if (read_content) {
      auto c = CheckCsvContent(rules, nc.name, f.name, head);
      findings.insert(findings.end(), c.begin(), c.end());
    }
  }

  CheckParties(o, csvs, &report);
  if (csvs.empty()) return report;

  if (!CheckOneUnit(csvs, &findings)) return report;
  report.unit = MatchUnit(rules, csvs, &findings);
  if (report.unit != nullptr) {
    CheckUnitDetails(*report.unit, csvs, &findings);
    WarnMissingRecommended(rules, *report.unit, csvs, &report.warnings);
  }
  return report;
}

std::string FormatFinding(const Finding& f, bool ja) {
  std::string where = f.file;
  if (f.line > 0) where += ja ? " " + std::to_string(f.line) + "行目" : " line " + std::to_string(f.line);
  if (f.column > 0)
    where += ja ? " " + std::to_string(f.column) + "列目"
                : (f.line > 0 ? ", column " : " column ") + std::to_string(f.column);
  std::string text = ja ? f.ja : f.en;
  if (f.severity == Severity::kWarning) text = (ja ? "注意: " : "warning: ") + text;
  return where.empty() ? text : where + ": " + text;
}

}  // namespace tayori::careplan
