#include "bench/checker_bench.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/careplan/check.h"
#include "common/env.h"
#include "tests/support/careplan_corpus.h"
#include "tests/support/test_util.h"

namespace tayori::bench {
namespace {

using careplan::Rules;
using testing::CorpusFile;

double Now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "tayori-bench: checker: %s\n", what.c_str());
  std::exit(1);
}

// RECORD (UTF-8, CRLF) with column COL (1-based) set to VALUE.
std::string Edit(const std::string& record, int col, const std::string& value) {
  std::vector<std::string> f;
  const std::string line = record.substr(0, record.size() - 2);
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i <= line.size(); ++i) {
    if (i < line.size() && line[i] == '"') quoted = !quoted;
    if (i == line.size() || (line[i] == ',' && !quoted)) {
      f.push_back(line.substr(start, i - start));
      start = i + 1;
    }
  }
  f.at(static_cast<size_t>(col) - 1) = value;
  std::string out;
  for (size_t i = 0; i < f.size(); ++i) out += (i ? "," : "") + f[i];
  return out + "\r\n";
}

// A 第6表 of about BYTES: one user after another, a row per service day,
// the text columns in kanji, kana, half-width kana and NEC specials.
std::string PlanRows(const testing::Corpus& corpus, size_t bytes) {
  const std::string base = corpus.Record("UPPLAN", "202407", "202612", /*sjis=*/false);
  static const char* kCodes[] = {"111211", "A21111", "131111", "112111"};
  static const char* kTexts[] = {"\"訪問介護　身体介護１\"",
                                 "\"ﾎｳﾓﾝｶｲｺﾞ ｾｲｶﾂｴﾝｼﾞｮ\"",
                                 "\"通所介護（①午前）\"",
                                 "\"備考、テキスト\"",
                                 "山田太郎",
                                 ""};
  std::string out;
  for (int user = 0; out.size() < bytes; ++user) {
    char insured[16];
    std::snprintf(insured, sizeof insured, "%010d", 12345 + user);
    for (int day = 1; day <= 30 && out.size() < bytes; ++day) {
      char date[16];
      std::snprintf(date, sizeof date, "202612%02d", day);
      std::string r = Edit(Edit(base, 3, insured), 10, date);
      r = Edit(Edit(r, 15, kCodes[(user + day) % 4]), 16, kTexts[(user + day) % 6]);
      r = Edit(r, 6, kTexts[user % 6]);
      if (day % 7 == 0) r = Edit(Edit(r, 12, "9999"), 13, "9999");
      out += testing::ToSjis(r);
    }
  }
  return out;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

std::vector<CorpusFile> PlanUnit(const std::string& sender, const std::string& recipient, size_t bytes,
                                 const std::string& stamp) {
  const testing::Corpus corpus(sender, recipient, stamp);
  std::vector<CorpusFile> unit = corpus.Unit("plan_6_7", true);
  size_t others = 0;
  for (const auto& f : unit) others += f.name.rfind("UPPLAN", 0) == 0 ? 0 : f.content.size();
  for (auto& f : unit) {
    if (f.name.rfind("UPPLAN", 0) == 0) f.content = PlanRows(corpus, bytes > others ? bytes - others : 1);
  }
  return unit;
}

nlohmann::json MeasureChecker(int mb, int rounds) {
  const Rules& rules = Rules::Standard();
  const testing::Corpus corpus;
  std::vector<CorpusFile> unit = PlanUnit(corpus.sender_, corpus.recipient_, static_cast<size_t>(mb) * 1000 * 1000);
  CorpusFile* plan = &unit[0];
  for (auto& f : unit) plan = f.name.rfind("UPPLAN", 0) == 0 ? &f : plan;
  const careplan::ParsedName parsed = rules.ParseName(plan->name).name;

  testing::TempDir dir;
  std::vector<careplan::FileToCheck> files;
  uint64_t bytes = 0;
  for (const auto& f : unit) {
    if (!WriteFileAtomic(dir.Sub(f.name), f.content).ok()) Die("cannot write " + f.name);
    files.push_back({f.name, dir.Sub(f.name), f.content.size()});
    bytes += f.content.size();
  }
  careplan::CheckOptions options;
  options.own_office = corpus.sender_;
  std::vector<double> content_s, unit_s;
  for (int i = 0; i < rounds; ++i) {
    double t0 = Now();
    const auto findings = careplan::CheckCsvContent(rules, parsed, plan->name, plan->content);
    content_s.push_back(Now() - t0);
    if (!findings.empty()) Die("generated data is not valid: " + careplan::FormatFinding(findings[0], false));
    t0 = Now();
    const careplan::CheckReport report = careplan::CheckSend(rules, files, options);
    unit_s.push_back(Now() - t0);
    if (!report.ok()) Die("generated unit is not valid: " + careplan::FormatFinding(report.findings[0], false));
  }
  return {{"plan_bytes", plan->content.size()},
          {"unit_bytes", bytes},
          {"rounds", rounds},
          {"mb_per_s", static_cast<double>(plan->content.size()) / 1e6 / Median(content_s)},
          {"unit_ms", Median(unit_s) * 1000}};
}

void PrintChecker(const nlohmann::json& j) {
  std::printf(
      "care plan checker, valid data, one core: %.1f MB 第6表 in memory at %.0f MB/s; %.1f MB unit from "
      "files in %.1f ms (median of %d)\n",
      j["plan_bytes"].get<double>() / 1e6, j["mb_per_s"].get<double>(), j["unit_bytes"].get<double>() / 1e6,
      j["unit_ms"].get<double>(), j["rounds"].get<int>());
}

}  // namespace tayori::bench
