#include "bench/report.h"

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "bench/checker_bench.h"

namespace tayori::bench {

using nlohmann::json;

// One workload's figures, as main builds them.
json WorkloadJson(const std::string& name, int groups, int mb, const BulkFigures& big, const BulkFigures& small,
                  int small_groups, double scp, double dd, const json& floor) {
  const double mbs = static_cast<double>(big.bytes) / 1e6;
  return {{"workload", name},
          {"groups", groups},
          {"mb_per_group", mb},
          {"bytes", big.bytes},
          {"seconds", big.seconds},
          {"mb_per_s", mbs / big.seconds},
          {"agent_cpu_seconds", big.agent_cpu},
          {"broker_cpu_seconds", big.broker_cpu},
          {"agent_cpu_s_per_mb", big.agent_cpu / mbs},
          {"broker_cpu_s_per_mb", big.broker_cpu / mbs},
          {"agent_peak_rss_mib", big.agent_rss_kb / 1024.0},
          {"broker_peak_rss_mib", big.broker_rss_kb / 1024.0},
          {"small_bulk",
           {{"groups", small_groups},
            {"seconds", small.seconds},
            {"agent_peak_rss_mib", small.agent_rss_kb / 1024.0},
            {"broker_peak_rss_mib", small.broker_rss_kb / 1024.0}}},
          {"scp_seconds", scp},
          {"dd_fsync_seconds", dd},
          {"ratio_to_scp", scp > 0 ? big.seconds / scp : -1},
          {"ratio_to_dd", dd > 0 ? big.seconds / dd : -1},
          {"floor", floor}};
}

// The figures of J (as main builds them) for a person.
void PrintRun(const json& j) {
  std::printf("broker store: %s\n", j["store"].get<std::string>().c_str());
  const json& p = j["primitives"];
  std::printf(
      "per byte on one core: AES-256-GCM %.0f MB/s, SHA-256 %.0f MB/s, CurveZMQ box %.0f MB/s, care plan "
      "checker %.0f MB/s; fdatasync of 1 MiB %.2f ms, of 4 KiB %.2f ms\n",
      p["aes_gcm_mb_s"].get<double>(), p["sha256_mb_s"].get<double>(), p["curve_box_mb_s"].get<double>(),
      j["checker"]["mb_per_s"].get<double>(), p["fsync_1mib_ms"].get<double>(), p["fsync_4kib_ms"].get<double>());
  for (const json& w : j["workloads"]) {
    const double scp = w["scp_seconds"], dd = w["dd_fsync_seconds"], seconds = w["seconds"];
    std::printf("bulk send, %s workload, %d x %d MB (%.0f MB): %.2f s, %.1f MB/s\n",
                w["workload"].get<std::string>().c_str(), w["groups"].get<int>(), w["mb_per_group"].get<int>(),
                w["bytes"].get<double>() / 1e6, seconds, w["mb_per_s"].get<double>());
    std::printf(
        "  CPU: agent %.2f s (%.2f ms/MB), broker %.2f s (%.2f ms/MB); crypto and check floor: agent %.2f s, "
        "broker %.2f s, %.2f s on two cores\n",
        w["agent_cpu_seconds"].get<double>(), w["agent_cpu_s_per_mb"].get<double>() * 1000,
        w["broker_cpu_seconds"].get<double>(), w["broker_cpu_s_per_mb"].get<double>() * 1000,
        w["floor"]["agent_seconds"].get<double>(), w["floor"]["broker_seconds"].get<double>(),
        w["floor"]["two_core_seconds"].get<double>());
    std::printf("  packed (zstd where it pays) to %.1f %% of the plaintext at %.0f MB/s on one core\n",
                w["floor"]["packed_ratio"].get<double>() * 100, w["floor"]["pack_mb_s"].get<double>());
    std::printf("  peak RSS: agent %.1f MiB, broker %.1f MiB (bulk of %d: agent %.1f MiB, broker %.1f MiB)\n",
                w["agent_peak_rss_mib"].get<double>(), w["broker_peak_rss_mib"].get<double>(),
                w["small_bulk"]["groups"].get<int>(), w["small_bulk"]["agent_peak_rss_mib"].get<double>(),
                w["small_bulk"]["broker_peak_rss_mib"].get<double>());
    if (scp > 0) {
      std::printf("  scp (aes128-gcm, loopback) of the same bytes: %.2f s -> tayori / scp = %.2f\n", scp,
                  seconds / scp);
    } else {
      std::printf("  scp baseline not available\n");
    }
    std::printf("  dd conv=fsync of the same bytes: %.2f s -> tayori / dd = %.2f\n", dd, seconds / dd);
  }
  const json& dl = j["downloads"];
  const json& single = j["single_send"];
  const json& scale = j["scale"];
  std::printf("downloads: %d recipients at once, %.0f MB in %.2f s: %.1f MB/s\n", dl["recipients"].get<int>(),
              dl["bytes"].get<double>() / 1e6, dl["seconds"].get<double>(), dl["mb_per_s"].get<double>());
  std::printf("single %d KB send to durable acceptance, %d sends: p50 %.1f ms, p99 %.1f ms\n", single["kb"].get<int>(),
              single["sends"].get<int>(), single["p50_ms"].get<double>(), single["p99_ms"].get<double>());
  if (scale["messages"].get<int>() > 0) {
    std::printf("mailbox of %d pending: a page of 100 lists in %.2f ms (first), %.2f ms (middle)\n",
                scale["messages"].get<int>(), scale["list_first_page_ms"].get<double>(),
                scale["list_middle_page_ms"].get<double>());
    std::printf("send p99 while they all expire: %.1f ms (pending %llu -> %llu during the sends); without: %.1f ms\n",
                scale["send_p99_ms_during_expiry"].get<double>(),
                scale["pending_when_sends_began"].get<unsigned long long>(),
                scale["pending_when_sends_ended"].get<unsigned long long>(), scale["send_p99_ms_quiet"].get<double>());
  }
  tayori::bench::PrintChecker(j["checker"]);
}

json CompareStores(const json& runs) {
  // Seconds and milliseconds: a ratio above 1 is slower than the first store.
  std::vector<std::pair<std::string, std::string>> figures;
  for (size_t i = 0; i < runs[0]["workloads"].size(); ++i) {
    const std::string w = runs[0]["workloads"][i]["workload"].get<std::string>();
    figures.push_back({"bulk_" + w + "_seconds", "/workloads/" + std::to_string(i) + "/seconds"});
    figures.push_back({"bulk_" + w + "_broker_cpu_seconds", "/workloads/" + std::to_string(i) + "/broker_cpu_seconds"});
    figures.push_back(
        {"bulk_" + w + "_broker_peak_rss_mib", "/workloads/" + std::to_string(i) + "/broker_peak_rss_mib"});
  }
  figures.push_back({"downloads_seconds", "/downloads/seconds"});
  figures.push_back({"single_send_p50_ms", "/single_send/p50_ms"});
  figures.push_back({"single_send_p99_ms", "/single_send/p99_ms"});
  if (runs[0]["scale"]["messages"].get<int>() > 0) {
    figures.push_back({"list_first_page_ms", "/scale/list_first_page_ms"});
    figures.push_back({"list_middle_page_ms", "/scale/list_middle_page_ms"});
    figures.push_back({"send_p99_ms_quiet", "/scale/send_p99_ms_quiet"});
    figures.push_back({"send_p99_ms_during_expiry", "/scale/send_p99_ms_during_expiry"});
  }
  json out = json::object();
  const std::string first = runs[0]["store"].get<std::string>();
  for (size_t k = 1; k < runs.size(); ++k) {
    json ratios = json::array();
    for (const auto& [name, at] : figures) {
      const double a = runs[0].at(json::json_pointer(at)).get<double>();
      const double b = runs[k].at(json::json_pointer(at)).get<double>();
      ratios.push_back(
          {{"figure", name}, {first, a}, {runs[k]["store"].get<std::string>(), b}, {"ratio", a > 0 ? b / a : -1}});
    }
    out[runs[k]["store"].get<std::string>() + "_to_" + first] = ratios;
  }
  return out;
}

void PrintComparison(const json& comparison) {
  for (const auto& [title, ratios] : comparison.items()) {
    const std::string first = title.substr(title.rfind("_to_") + 4);  // "postgresql_to_rocksdb"
    std::printf("%s (same run; above 1: slower or larger):\n", title.c_str());
    for (const json& f : ratios) {
      std::printf("  %-36s", f["figure"].get<std::string>().c_str());
      // The other store, then the first: the ratio is the one over the other.
      for (const auto& [key, v] : f.items()) {
        if (key != "figure" && key != "ratio" && key != first) std::printf(" %s %.2f", key.c_str(), v.get<double>());
      }
      std::printf(" / %s %.2f", first.c_str(), f[first].get<double>());
      std::printf(" -> %.2f\n", f["ratio"].get<double>());
    }
    std::printf("  (broker CPU and RSS are the broker process's: the database server's own are not counted)\n");
  }
}

}  // namespace tayori::bench
