#include "bench/checker_bench.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
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

// MINUTES after midnight as HHMM.
std::string Hhmm(int minutes) {
  char b[8];
  std::snprintf(b, sizeof b, "%02d%02d", minutes / 60 % 24, minutes % 60);
  return b;
}

// A 第6表 of about BYTES as a care manager's software exports one: user
// after user (insured number, name, care level), a row for each service
// on the days of the month it is planned (times, codes and names, units,
// provider office and name), values drawn from pools with a fixed seed:
// varied as an export is, not one row repeated, which would compress a
// hundredfold and flatter every figure taken on it.
std::string PlanRows(size_t bytes) {
  static const char* kSurnames[] = {"山田", "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "中村",
                                    "小林", "加藤", "吉田", "山本", "斎藤", "松本", "井上", "木村"};
  static const char* kGiven[] = {"太郎", "花子", "一郎", "ヨシ子", "正男", "キヨ", "勝", "トミ",
                                 "和夫", "ハル", "清",   "フミ",   "茂",   "静江", "博", "ミツ"};
  struct Service {
    const char* code;
    const char* name;
    int units;
  };
  static const Service kServices[] = {
      {"111211", "訪問介護　身体介護１", 244}, {"111311", "訪問介護　身体介護２", 387},
      {"112111", "訪問介護　生活援助２", 179}, {"A21111", "ﾎｳﾓﾝｶﾞﾀｻｰﾋﾞｽ1", 287},
      {"131111", "訪問看護Ｉ１", 313},         {"151211", "通所介護（①午前）", 658},
      {"155111", "通所介護入浴介助加算Ⅰ", 40}, {"161111", "通所リハ１１", 369},
      {"171111", "福祉用具貸与", 120},         {"211111", "短期入所生活介護Ⅰ１", 603},
      {"116211", "訪問介護処遇改善加算Ⅰ", 0},  {"13A111", "訪問看護特別管理加算Ⅱ", 250}};
  std::mt19937 rng(20261201);
  auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  char providers[40][11];
  for (auto& p : providers) std::snprintf(p, sizeof p, "13%08d", pick(100000000));
  std::string out;
  char buf[512];
  for (int user = 0; out.size() < bytes; ++user) {
    char insured[16];
    std::snprintf(insured, sizeof insured, "%010d", pick(1000000000));
    // One draw per statement: the order of draws in one expression is the
    // compiler's, and the data would differ between compilers.
    const int surname = pick(16), given = pick(16);
    const std::string name = std::string(kSurnames[surname]) + "　" + kGiven[given];
    const int level = 21 + pick(5);
    const int services = 1 + pick(4);
    for (int s = 0; s < services && out.size() < bytes; ++s) {
      const Service& svc = kServices[pick(12)];
      const char* provider = providers[pick(40)];
      const int start = 8 * 60 + 15 * pick(36);
      const int length = 30 * (1 + pick(4));
      for (int day = 1 + pick(3); day <= 31 && out.size() < bytes; day += 1 + pick(3)) {
        const bool untimed = svc.units < 130;  // rentals and additions: no time of day
        const int insurer = pick(40);
        const int created = 20 + pick(9);
        const int units = svc.units + pick(5);
        const int over_30_days = pick(50) == 0 ? 1 : 0;
        std::snprintf(buf, sizeof buf,
                      "202407,13%04d,%s,202611%02d,202612,\"%s\",%d,20240401,20270331,202612%02d,%d,%s,%s,1,%s,"
                      "\"%s\",%d,0,1,%s,\"事業所%s\",0,%d,,\r\n",
                      insurer, insured, created, name.c_str(), level, day, 1 + (day % 7),
                      untimed ? "9999" : Hhmm(start).c_str(), untimed ? "9999" : Hhmm(start + length).c_str(), svc.code,
                      svc.name, units, provider, provider + 6, over_30_days);
        out += testing::ToSjis(buf);
      }
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
    if (f.name.rfind("UPPLAN", 0) == 0) f.content = PlanRows(bytes > others ? bytes - others : 1);
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
