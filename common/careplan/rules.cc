#include "common/careplan/rules.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "common/env.h"
#include "common/ids.h"

namespace tayori::careplan {

extern const char kCareplanRulesYaml[];

namespace {

Status Bad(const std::string& what) { return InvalidArgument("config_invalid", "care plan rules: " + what); }

StatusOr<std::string> Hex(const std::string& hex) {
  if (hex.size() % 2 != 0) return Bad("odd-length hex '" + hex + "'");
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    char* end = nullptr;
    const std::string byte = hex.substr(i, 2);
    long v = std::strtol(byte.c_str(), &end, 16);
    if (end != byte.c_str() + 2) return Bad("bad hex '" + hex + "'");
    out.push_back(static_cast<char>(v));
  }
  return out;
}

StatusOr<Signature> ReadSignature(const YAML::Node& n) {
  Signature s;
  for (const auto& m : n["magic"]) {
    ASSIGN_OR_RETURN(std::string bytes, Hex(m.as<std::string>()));
    s.magic.push_back(bytes);
  }
  if (n["offset"]) s.offset = n["offset"].as<size_t>();
  if (n["search"]) s.search = n["search"].as<size_t>();
  return s;
}

StatusOr<Naming> ReadNaming(const std::string& s) {
  if (s == "v3") return Naming::kV3;
  if (s == "v4") return Naming::kV4;
  return Bad("naming must be v3 or v4, got '" + s + "'");
}

StatusOr<FieldRule::Format> ReadFormat(const std::string& s) {
  static const std::pair<const char*, FieldRule::Format> kFormats[] = {
      {"any", FieldRule::kAny},   {"date", FieldRule::kDate},     {"month", FieldRule::kMonth},
      {"time", FieldRule::kTime}, {"digits", FieldRule::kDigits}, {"office", FieldRule::kOffice},
      {"code", FieldRule::kCode}, {"enum", FieldRule::kEnum}};
  for (const auto& [name, format] : kFormats) {
    if (s == name) return format;
  }
  return Bad("unknown field format '" + s + "'");
}

StatusOr<FieldRule> ReadField(const YAML::Node& f) {
  FieldRule r;
  r.column = f["column"].as<int>();
  r.name = f["name"].as<std::string>("");
  r.name_en = f["name_en"].as<std::string>("");
  r.required = f["required"].as<bool>(false);
  ASSIGN_OR_RETURN(r.format, ReadFormat(f["format"].as<std::string>("any")));
  r.length = f["length"].as<int>(0);
  for (const auto& v : f["values"]) r.values.push_back(v.as<std::string>());
  for (const auto& v : f["also"]) r.also.push_back(v.as<std::string>());
  r.example = f["example"].as<std::string>("");
  const std::string where = " (column " + std::to_string(r.column) + ")";
  if (r.format == FieldRule::kCode) {
    auto pattern = Pattern::Compile(f["pattern"].as<std::string>(""));
    if (!pattern.ok() || pattern->empty()) return Bad("code without a valid pattern" + where);
    r.pattern = std::move(pattern).value();
  }
  if (r.format == FieldRule::kEnum && r.values.empty()) return Bad("enum without values" + where);
  const std::string equals = f["equals"].as<std::string>("");
  if (equals == "name_month")
    r.equals = FieldRule::kNameMonth;
  else if (!equals.empty())
    return Bad("unknown equals '" + equals + "'" + where);
  const std::string when = f["when"].as<std::string>("always");
  if (when == "monthly")
    r.when = FieldRule::kMonthly;
  else if (when == "zero_month")
    r.when = FieldRule::kZeroMonth;
  else if (when != "always")
    return Bad("unknown when '" + when + "'" + where);
  if (r.column < 1) return Bad("field column out of range" + where);
  return r;
}

StatusOr<Layout> ReadLayout(const YAML::Node& n) {
  Layout l;
  if (n["columns"]) l.columns = n["columns"].as<int>();
  auto in_range = [&](int column) { return column >= 1 && (l.columns == 0 || column <= l.columns); };
  for (const auto& f : n["fields"]) {
    ASSIGN_OR_RETURN(FieldRule r, ReadField(f));
    if (!in_range(r.column)) return Bad("field column out of range");
    l.fields.push_back(std::move(r));
  }
  for (const auto& row : n["rows"]) {
    RowRule r;
    r.column = row["column"].as<int>();
    r.value = row["value"].as<std::string>();
    r.title = row["title"].as<std::string>();
    r.title_en = row["title_en"].as<std::string>();
    for (const auto& w : row["with"]) r.with.emplace_back(w.first.as<int>(), w.second.as<std::string>());
    bool ok = in_range(r.column);
    for (const auto& [column, value] : r.with) ok = ok && in_range(column);
    if (!ok) return Bad("row column out of range");
    l.rows.push_back(std::move(r));
  }
  return l;
}

StatusOr<CsvVersion> ReadVersion(const YAML::Node& v) {
  CsvVersion cv;
  cv.code = v["code"].as<std::string>();
  ASSIGN_OR_RETURN(cv.naming, ReadNaming(v["naming"].as<std::string>()));
  cv.title = v["title"].as<std::string>("");
  if (cv.code.size() != 6 || !IsDigits(cv.code)) return Bad("CSV version '" + cv.code + "'");
  if (cv.naming == Naming::kV4) {
    auto pattern = Pattern::Compile(v["service_type"].as<std::string>(""));
    if (!pattern.ok() || pattern->empty()) return Bad("version " + cv.code + " needs a service_type pattern");
    cv.service_type = std::move(pattern).value();
  }
  return cv;
}

// YYYYMMDDHHMMSS with a real date and time.
bool IsStamp(const std::string& s) {
  if (s.size() != 14 || !IsDigits(s) || !IsYmdDate(s.substr(0, 8))) return false;
  const int hh = std::atoi(s.substr(8, 2).c_str()), mm = std::atoi(s.substr(10, 2).c_str()),
            ss = std::atoi(s.substr(12, 2).c_str());
  return hh < 24 && mm < 60 && ss < 60;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos - start));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  return out;
}

}  // namespace

namespace {

int Num(std::string_view s) {
  int n = 0;
  for (char c : s) n = n * 10 + (c - '0');
  return n;
}

}  // namespace

bool IsYearMonth(std::string_view s) {
  if (s.size() != 6 || !IsDigits(s)) return false;
  const int m = Num(s.substr(4, 2));
  return m >= 1 && m <= 12 && Num(s.substr(0, 4)) >= 1990;
}

bool IsYmdDate(std::string_view s) {
  if (s.size() != 8 || !IsYearMonth(s.substr(0, 6)) || !IsDigits(s.substr(6))) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int y = Num(s.substr(0, 4)), m = Num(s.substr(4, 2)), d = Num(s.substr(6, 2));
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d >= 1 && d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}

bool IsHhmm(std::string_view s) {
  return s.size() == 4 && IsDigits(s) && Num(s.substr(0, 2)) < 24 && Num(s.substr(2, 2)) < 60;
}

StatusOr<Pattern> Pattern::Compile(const std::string& text) {
  Pattern p;
  p.text_ = text;
  size_t i = 0;
  auto bad = [&] { return Bad("bad pattern '" + text + "'"); };
  while (i < text.size()) {
    Piece piece;
    if (text[i] == '[') {
      const size_t close = text.find(']', i + 1);
      if (close == std::string::npos || close == i + 1) return bad();
      for (size_t j = i + 1; j < close; ++j) {
        const unsigned char lo = static_cast<unsigned char>(text[j]);
        unsigned char hi = lo;
        if (j + 2 < close && text[j + 1] == '-') hi = static_cast<unsigned char>(text[j += 2]);
        if (hi < lo) return bad();
        for (unsigned c = lo; c <= hi; ++c) piece.set.set(c);
      }
      i = close + 1;
    } else if (text[i] == '{' || text[i] == '}' || text[i] == ']') {
      return bad();
    } else {
      piece.set.set(static_cast<unsigned char>(text[i++]));
    }
    if (i < text.size() && text[i] == '{') {
      const size_t close = text.find('}', i);
      if (close == std::string::npos) return bad();
      const std::string counts = text.substr(i + 1, close - i - 1);
      const size_t comma = counts.find(',');
      const std::string min = counts.substr(0, comma);
      const std::string max = comma == std::string::npos ? min : counts.substr(comma + 1);
      if (min.empty() || max.empty() || !IsDigits(min) || !IsDigits(max) || min.size() > 3 || max.size() > 3) {
        return bad();
      }
      piece.min = std::atoi(min.c_str());
      piece.max = std::atoi(max.c_str());
      if (piece.max < piece.min || piece.max == 0) return bad();
      i = close + 1;
    }
    p.pieces_.push_back(piece);
    p.fixed_ = p.fixed_ && piece.min == piece.max;
    p.fixed_size_ += static_cast<size_t>(piece.min);
  }
  return p;
}

bool Pattern::MatchFrom(size_t piece, std::string_view s) const {
  if (piece == pieces_.size()) return s.empty();
  const Piece& p = pieces_[piece];
  size_t n = 0;
  while (n < s.size() && n < static_cast<size_t>(p.max) && p.set.test(static_cast<unsigned char>(s[n]))) ++n;
  for (size_t taken = n + 1; taken-- > static_cast<size_t>(p.min);) {
    if (MatchFrom(piece + 1, s.substr(taken))) return true;
  }
  return false;
}

bool Pattern::Matches(std::string_view s) const {
  if (!fixed_) return MatchFrom(0, s);
  if (s.size() != fixed_size_) return false;
  size_t i = 0;
  for (const Piece& p : pieces_) {
    for (int k = 0; k < p.min; ++k) {
      if (!p.set.test(static_cast<unsigned char>(s[i++]))) return false;
    }
  }
  return true;
}

std::string Pattern::Describe(bool ja) const {
  std::string out;
  for (const Piece& p : pieces_) {
    std::bitset<256> digits, upper;
    for (unsigned c = '0'; c <= '9'; ++c) digits.set(c);
    for (unsigned c = 'A'; c <= 'Z'; ++c) upper.set(c);
    std::string what;
    std::bitset<256> rest = p.set & ~digits & ~upper;
    const bool all_digits = (p.set & digits) == digits, all_upper = (p.set & upper) == upper;
    if (!all_digits) rest |= p.set & digits;
    if (!all_upper) rest |= p.set & upper;
    if (all_upper) what += ja ? "英大文字" : "capital letters";
    if (all_digits) what += what.empty() ? (ja ? "数字" : "digits") : (ja ? "か数字" : " or digits");
    for (unsigned c = 0; c < 256; ++c) {
      if (!rest.test(c)) continue;
      what += what.empty() ? "" : (ja ? "か" : " or ");
      what += (ja ? "「" : "'") + std::string(1, static_cast<char>(c)) + (ja ? "」" : "'");
    }
    const std::string count =
        p.min == p.max ? std::to_string(p.min) : std::to_string(p.min) + "〜" + std::to_string(p.max);
    if (!out.empty()) out += ja ? "に続けて" : ", then ";
    out += ja ? what + count + "文字" : count + " " + what;
  }
  return out;
}

bool FieldRule::AppliesTo(std::string_view name_month) const {
  const bool zero = name_month == "000000";
  return when == kAlways || (when == kMonthly && !zero && !name_month.empty()) || (when == kZeroMonth && zero);
}

bool FieldRule::FormatMatches(std::string_view v) const {
  for (const std::string& a : also) {
    if (SameBytes(v, a)) return true;
  }
  switch (format) {
    case kAny:
      return true;
    case kDate:
      return IsYmdDate(v);
    case kMonth:
      return IsYearMonth(v);
    case kTime:
      return IsHhmm(v);
    case kDigits:
      return !v.empty() && IsDigits(v) && (length == 0 || v.size() == static_cast<size_t>(length));
    case kOffice:
      return v.size() == 10 && IsDigits(v);
    case kCode:
      return pattern.Matches(v);
    case kEnum:
      for (const std::string& e : values) {
        if (SameBytes(v, e)) return true;
      }
      return false;
  }
  return false;
}

std::string FieldRule::Describe(bool ja) const {
  std::string out;
  switch (format) {
    case kAny:
      out = ja ? "文字" : "text";
      break;
    case kDate:
      out = ja ? "日付（YYYYMMDD）" : "a date (YYYYMMDD)";
      break;
    case kMonth:
      out = ja ? "年月（YYYYMM）" : "a month (YYYYMM)";
      break;
    case kTime:
      out = ja ? "時刻（HHMM）" : "a time (HHMM)";
      break;
    case kDigits:
      out = length > 0 ? (ja ? std::to_string(length) + "桁の数字" : std::to_string(length) + " digits")
                       : (ja ? "数字" : "digits");
      break;
    case kOffice:
      out = ja ? "10桁の数字" : "10 digits";
      break;
    case kCode:
      out = pattern.Describe(ja);
      break;
    case kEnum:
      for (const std::string& e : values) out += (out.empty() ? "" : (ja ? "・" : ", ")) + e;
      out = ja ? out + "のいずれか" : "one of " + out;
      break;
  }
  for (const std::string& a : also) out += ja ? "か" + a : " or " + a;
  return out;
}

const char* CategoryReason(Category c) {
  switch (c) {
    case Category::kName:
      return "name_invalid";
    case Category::kCombination:
      return "combination_invalid";
    case Category::kFormat:
      return "format_invalid";
    case Category::kFileType:
      return "file_type_invalid";
    case Category::kArchive:
      return "archive";
    case Category::kLimit:
      return "send_too_large";
    case Category::kParty:
      return "party_invalid";
  }
  return "format_invalid";
}

bool Signature::Matches(const std::string& head) const {
  for (const std::string& m : magic) {
    if (search > 0) {
      if (head.substr(0, search + m.size()).find(m) != std::string::npos) return true;
    } else if (head.size() >= offset + m.size() && head.compare(offset, m.size(), m) == 0) {
      return true;
    }
  }
  return false;
}

std::string Extension(const std::string& name) {
  const size_t dot = name.find_last_of('.');
  if (dot == std::string::npos || dot + 1 == name.size()) return "";
  std::string ext = name.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

bool IsCsvName(const std::string& name) { return Extension(name) == "csv"; }

const Rules& Rules::Standard() {
  static const Rules* rules = [] {
    auto parsed = Parse(kCareplanRulesYaml);
    if (!parsed.ok()) {
      // The table is compiled in; a table that does not parse is a build defect.
      std::fprintf(stderr, "tayori: built-in care plan rules are broken: %s\n", parsed.status().ToString().c_str());
      std::abort();
    }
    return new Rules(std::move(parsed).value());
  }();
  return *rules;
}

StatusOr<Rules> Rules::Parse(const std::string& yaml_text) {
  Rules r;
  try {
    YAML::Node root = YAML::Load(yaml_text);
    for (const auto& v : root["csv_versions"]) {
      ASSIGN_OR_RETURN(CsvVersion cv, ReadVersion(v));
      r.versions_.push_back(std::move(cv));
    }
    for (const auto& m : root["version_mistakes"]) {
      r.version_mistakes_.push_back(
          {m["code"].as<std::string>(), m["ja"].as<std::string>(), m["en"].as<std::string>()});
    }
    for (const auto& f : root["record_fields"]) {
      ASSIGN_OR_RETURN(FieldRule rule, ReadField(f));
      r.record_fields_.push_back(std::move(rule));
    }
    for (const auto& k : root["kinds"]) {
      KindRule kr;
      kr.prefix = k["prefix"].as<std::string>();
      kr.title = k["title"].as<std::string>();
      kr.title_en = k["title_en"].as<std::string>();
      const std::string action = k["action"].as<std::string>();
      if (action != "registration" && action != "deletion") return Bad("action of " + kr.prefix);
      kr.action = action == "deletion" ? Action::kDeletion : Action::kRegistration;
      const std::string month = k["month"].as<std::string>();
      if (month == "none")
        kr.month = MonthPart::kNone;
      else if (month == "required")
        kr.month = MonthPart::kRequired;
      else if (month == "hosoku")
        kr.month = MonthPart::kHosoku;
      else
        return Bad("month of " + kr.prefix);
      for (const auto& n : k["naming"]) {
        ASSIGN_OR_RETURN(Naming naming, ReadNaming(n.as<std::string>()));
        kr.naming.insert(naming);
      }
      for (const auto& l : k["layouts"]) {
        const std::string version = l.first.as<std::string>();
        ASSIGN_OR_RETURN(Layout layout, ReadLayout(l.second));
        kr.layouts[version] = layout;
      }
      if (kr.naming.empty()) return Bad("no naming for " + kr.prefix);
      r.kinds_.push_back(kr);
    }
    for (const auto& u : root["units"]) {
      UnitRule ur;
      ur.id = u["id"].as<std::string>();
      ur.title = u["title"].as<std::string>();
      ur.title_en = u["title_en"].as<std::string>();
      for (const auto& p : u["required"]) ur.required.push_back(p.as<std::string>());
      for (const auto& p : u["optional"]) ur.optional.push_back(p.as<std::string>());
      for (const auto& p : u["recommended"]) ur.recommended.push_back(p.as<std::string>());
      ur.hosoku_month = u["hosoku_month"].as<std::string>("");
      for (const auto& p : ur.required)
        if (!r.FindKind(p)) return Bad("unit " + ur.id + " names unknown " + p);
      for (const auto& p : ur.optional)
        if (!r.FindKind(p)) return Bad("unit " + ur.id + " names unknown " + p);
      for (const auto& p : ur.recommended) {
        if (std::find(ur.optional.begin(), ur.optional.end(), p) == ur.optional.end()) {
          return Bad("unit " + ur.id + ": recommended " + p + " is not optional");
        }
      }
      r.units_.push_back(ur);
    }
    for (const auto& a : root["attachments"]) {
      AttachmentRule ar;
      ar.ext = a["ext"].as<std::string>();
      ASSIGN_OR_RETURN(ar.signature, ReadSignature(a));
      r.attachments_.push_back(ar);
    }
    for (const auto& a : root["archives"]) {
      ArchiveRule ar;
      ar.name = a["name"].as<std::string>();
      ASSIGN_OR_RETURN(ar.signature, ReadSignature(a));
      r.archives_.push_back(ar);
    }
    for (const auto& e : root["archive_extensions"]) r.archive_extensions_.insert(e.as<std::string>());
    if (root["limits"]) {
      r.max_files_ = root["limits"]["max_files"].as<size_t>();
      r.max_bytes_ = root["limits"]["max_bytes"].as<uint64_t>();
    }
  } catch (const YAML::Exception& e) {
    return Bad(e.what());
  }
  if (r.versions_.empty() || r.kinds_.empty() || r.units_.empty()) return Bad("a table is empty");
  return r;
}

const KindRule* Rules::FindKind(const std::string& prefix) const {
  for (const auto& k : kinds_)
    if (k.prefix == prefix) return &k;
  return nullptr;
}

const CsvVersion* Rules::FindVersion(std::string_view code) const {
  for (const auto& v : versions_)
    if (v.code == code) return &v;
  return nullptr;
}

const VersionMistake* Rules::FindVersionMistake(std::string_view code) const {
  for (const auto& m : version_mistakes_)
    if (m.code == code) return &m;
  return nullptr;
}

const AttachmentRule* Rules::FindAttachment(const std::string& ext) const {
  for (const auto& a : attachments_)
    if (a.ext == ext) return &a;
  return nullptr;
}

bool Rules::IsArchiveExtension(const std::string& ext) const { return archive_extensions_.count(ext) > 0; }

const ArchiveRule* Rules::DetectArchive(const std::string& head) const {
  for (const auto& a : archives_)
    if (a.signature.Matches(head)) return &a;
  return nullptr;
}

NameCheck Rules::ParseName(const std::string& file_name) const {
  NameCheck out;
  out.problem.file = file_name;
  out.problem.category = Category::kName;
  auto fail = [&](const std::string& ja, const std::string& en) {
    out.problem.ja = "ファイル名が標準仕様の形式ではありません: " + ja;
    out.problem.en = "not a standard file name: " + en;
    return out;
  };
  if (file_name.size() < 5 ||
      (file_name.substr(file_name.size() - 4) != ".CSV" && file_name.substr(file_name.size() - 4) != ".csv")) {
    return fail("拡張子は .CSV です", "the extension must be .CSV");
  }
  const std::string base = file_name.substr(0, file_name.size() - 4);
  // The longest known prefix followed by '_' (UPKIHON_SUB1 before UPKIHON).
  const KindRule* kind = nullptr;
  for (const auto& k : kinds_) {
    if (base.rfind(k.prefix + "_", 0) == 0 && (!kind || k.prefix.size() > kind->prefix.size())) kind = &k;
  }
  if (kind == nullptr) {
    return fail("先頭が UPPLAN_ などの標準の種別ではありません",
                "it does not start with a standard kind such as UPPLAN_");
  }
  std::vector<std::string> parts = Split(base.substr(kind->prefix.size() + 1), '_');
  ParsedName& n = out.name;
  n.kind = kind;
  if (kind->month != MonthPart::kNone) {
    if (parts.empty() || parts[0].size() != 6 || !IsDigits(parts[0])) {
      return fail(kind->prefix + " の後には対象年月 (YYYYMM) が必要です",
                  kind->prefix + " must be followed by the target month (YYYYMM)");
    }
    n.month = parts[0];
    parts.erase(parts.begin());
    const bool hosoku_zero = kind->month == MonthPart::kHosoku && n.month == "000000";
    if (!hosoku_zero && !IsYearMonth(n.month)) {
      return fail("対象年月 " + n.month + " が正しくありません", "target month " + n.month + " is not a month");
    }
  }
  // Both service types follow the pattern of one version with v4 names.
  auto service_types = [&](const std::string& a, const std::string& b) {
    return std::any_of(versions_.begin(), versions_.end(), [&](const CsvVersion& v) {
      return v.naming == Naming::kV4 && v.service_type.Matches(a) && v.service_type.Matches(b);
    });
  };
  if (parts.size() == 3) {
    n.naming = Naming::kV3;
    n.sender = parts[0];
    n.recipient = parts[1];
    n.stamp = parts[2];
  } else if (parts.size() == 5 && service_types(parts[1], parts[3])) {
    n.naming = Naming::kV4;
    n.sender = parts[0];
    n.sender_type = parts[1];
    n.recipient = parts[2];
    n.recipient_type = parts[3];
    n.stamp = parts[4];
  } else {
    return fail("事業所番号・サービス種類（英大文字か数字2文字）・日時の並びが正しくありません",
                "expected sender office, [service type,] recipient office, [service type,] time stamp");
  }
  if (!IsOfficeNumber(n.sender) || !IsOfficeNumber(n.recipient)) {
    return fail("事業所番号は10桁の数字です", "office numbers are 10 digits");
  }
  if (!IsStamp(n.stamp)) {
    return fail("末尾の日時 (YYYYMMDDHHMMSS) が正しくありません",
                "the trailing time stamp (YYYYMMDDHHMMSS) is not valid");
  }
  if (!kind->naming.count(n.naming)) {
    return fail(kind->prefix + " は第4版の形式（サービス種類コード付き）の名前でのみ送れます",
                kind->prefix + " exists only with version 4 names (with service type codes)");
  }
  out.ok = true;
  return out;
}

}  // namespace tayori::careplan
