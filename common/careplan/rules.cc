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

Status Bad(const std::string& what) {
  return InvalidArgument("config_invalid", "care plan rules: " + what);
}

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

StatusOr<Layout> ReadLayout(const YAML::Node& n) {
  Layout l;
  if (n["columns"]) l.columns = n["columns"].as<int>();
  for (const auto& f : n["fields"]) {
    FieldRule r;
    r.column = f["column"].as<int>();
    const std::string format = f["format"].as<std::string>();
    if (format == "date") r.format = FieldRule::kDate;
    else if (format == "month") r.format = FieldRule::kMonth;
    else if (format == "digits") r.format = FieldRule::kDigits;
    else if (format == "office") r.format = FieldRule::kOffice;
    else return Bad("unknown field format '" + format + "'");
    if (f["length"]) r.length = f["length"].as<int>();
    if (f["month_of_name"]) r.month_of_name = f["month_of_name"].as<bool>();
    if (r.column < 1 || (l.columns > 0 && r.column > l.columns)) return Bad("field column out of range");
    l.fields.push_back(r);
  }
  return l;
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

bool IsYearMonth(const std::string& s) {
  if (s.size() != 6 || !IsDigits(s)) return false;
  const int m = std::atoi(s.substr(4, 2).c_str());
  return m >= 1 && m <= 12 && s.substr(0, 4) >= "1990";
}

bool IsYmdDate(const std::string& s) {
  return s.size() == 8 && IsDigits(s) && s.substr(0, 4) >= "1990" &&
         ParseDate(s.substr(0, 4) + "-" + s.substr(4, 2) + "-" + s.substr(6, 2)).ok();
}

const char* CategoryReason(Category c) {
  switch (c) {
    case Category::kName: return "name_invalid";
    case Category::kCombination: return "combination_invalid";
    case Category::kFormat: return "format_invalid";
    case Category::kFileType: return "file_type_invalid";
    case Category::kArchive: return "archive";
    case Category::kLimit: return "send_too_large";
    case Category::kParty: return "party_invalid";
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
      std::fprintf(stderr, "tayori: built-in care plan rules are broken: %s\n",
                   parsed.status().ToString().c_str());
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
      CsvVersion cv;
      cv.code = v["code"].as<std::string>();
      ASSIGN_OR_RETURN(cv.naming, ReadNaming(v["naming"].as<std::string>()));
      cv.title = v["title"].as<std::string>("");
      if (cv.code.size() != 6 || !IsDigits(cv.code)) return Bad("CSV version '" + cv.code + "'");
      r.versions_.push_back(cv);
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
      if (month == "none") kr.month = MonthPart::kNone;
      else if (month == "required") kr.month = MonthPart::kRequired;
      else if (month == "hosoku") kr.month = MonthPart::kHosoku;
      else return Bad("month of " + kr.prefix);
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
      ur.hosoku_month = u["hosoku_month"].as<std::string>("");
      for (const auto& p : ur.required) if (!r.FindKind(p)) return Bad("unit " + ur.id + " names unknown " + p);
      for (const auto& p : ur.optional) if (!r.FindKind(p)) return Bad("unit " + ur.id + " names unknown " + p);
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
  for (const auto& k : kinds_) if (k.prefix == prefix) return &k;
  return nullptr;
}

const CsvVersion* Rules::FindVersion(const std::string& code) const {
  for (const auto& v : versions_) if (v.code == code) return &v;
  return nullptr;
}

const AttachmentRule* Rules::FindAttachment(const std::string& ext) const {
  for (const auto& a : attachments_) if (a.ext == ext) return &a;
  return nullptr;
}

bool Rules::IsArchiveExtension(const std::string& ext) const { return archive_extensions_.count(ext) > 0; }

const ArchiveRule* Rules::DetectArchive(const std::string& head) const {
  for (const auto& a : archives_) if (a.signature.Matches(head)) return &a;
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
  if (file_name.size() < 5 || (file_name.substr(file_name.size() - 4) != ".CSV" &&
                               file_name.substr(file_name.size() - 4) != ".csv")) {
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
  auto service_type = [](const std::string& s) { return (s.size() == 2 || s.size() == 3) && IsDigits(s); };
  if (parts.size() == 3) {
    n.naming = Naming::kV3;
    n.sender = parts[0];
    n.recipient = parts[1];
    n.stamp = parts[2];
  } else if (parts.size() == 5 && service_type(parts[1]) && service_type(parts[3])) {
    n.naming = Naming::kV4;
    n.sender = parts[0];
    n.sender_type = parts[1];
    n.recipient = parts[2];
    n.recipient_type = parts[3];
    n.stamp = parts[4];
  } else {
    return fail("事業所番号・サービス種類・日時の並びが正しくありません",
                "expected sender office, [service type,] recipient office, [service type,] time stamp");
  }
  if (!IsOfficeNumber(n.sender) || !IsOfficeNumber(n.recipient)) {
    return fail("事業所番号は10桁の数字です", "office numbers are 10 digits");
  }
  if (!IsStamp(n.stamp)) {
    return fail("末尾の日時 (YYYYMMDDHHMMSS) が正しくありません", "the trailing time stamp (YYYYMMDDHHMMSS) is not valid");
  }
  if (!kind->naming.count(n.naming)) {
    return fail(kind->prefix + " は第4版の形式（サービス種類コード付き）の名前でのみ送れます",
                kind->prefix + " exists only with version 4 names (with service type codes)");
  }
  out.ok = true;
  return out;
}

}  // namespace tayori::careplan
