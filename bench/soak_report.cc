// The soak's figures for a person, and whether they show anything lost
// (soak.h).
#include <cstdio>
#include <string>

#include "bench/soak.h"

namespace tayori::bench {

using nlohmann::json;

void PrintSoak(const json& j) {
  std::printf("soak: %d terminals connected and subscribed (in %.1f s), %d s of sends at %.1f/s of %d KB\n",
              j["terminals"].get<int>(), j["all_subscribed_seconds"].get<double>(), j["seconds"].get<int>(),
              j["sends_per_second"].get<double>(), j["kb"].get<int>());
  std::printf("  sends %llu (failed %llu), downloads %llu (failed %llu, damaged %llu, never done %llu)\n",
              j["sends"].get<unsigned long long>(), j["send_failed"].get<unsigned long long>(),
              j["downloads"].get<unsigned long long>(), j["download_failed"].get<unsigned long long>(),
              j["damaged"].get<unsigned long long>(), j["not_downloaded"].get<unsigned long long>());
  std::printf("  events missed: new_mail %llu, downloaded %llu; misrouted %llu, duplicated %llu\n",
              j["new_mail_missed"].get<unsigned long long>(), j["downloaded_missed"].get<unsigned long long>(),
              j["events_misrouted"].get<unsigned long long>(), j["duplicate_events"].get<unsigned long long>());
  std::printf("  connections lost %llu; subscription renewals unanswered %llu, refused %llu\n",
              j["connections_lost"].get<unsigned long long>(), j["renewals_unanswered"].get<unsigned long long>(),
              j["renewals_refused"].get<unsigned long long>());
  std::printf("  first subscription (with the CURVE handshake) p50/p99 %.1f/%.1f ms\n",
              j["first_subscribe_ms"]["p50"].get<double>(), j["first_subscribe_ms"]["p99"].get<double>());
  std::printf("  p50/p99 ms: send %.1f/%.1f, download %.1f/%.1f, new_mail event %.1f/%.1f, renewal %.1f/%.1f\n",
              j["send_ms"]["p50"].get<double>(), j["send_ms"]["p99"].get<double>(),
              j["download_ms"]["p50"].get<double>(), j["download_ms"]["p99"].get<double>(),
              j["new_mail_event_ms"]["p50"].get<double>(), j["new_mail_event_ms"]["p99"].get<double>(),
              j["renewal_ms"]["p50"].get<double>(), j["renewal_ms"]["p99"].get<double>());
  const json& rss = j["broker_rss_mib"];
  std::printf(
      "  broker RSS: %.1f MiB before the terminals connected, %.1f MiB after %.0f s, %.1f MiB at the end, peak %.1f "
      "MiB; CPU %.0f%% of a core\n",
      j["broker_rss_mib_before_connections"].get<double>(), rss["after_warm_up"].get<double>(),
      rss["warm_up_seconds"].get<double>(), rss["at_end"].get<double>(), rss["peak"].get<double>(),
      j["broker_cpu_share"].get<double>() * 100);
  const json& mem = j["broker_memory_mib"];
  if (mem["at_end"].contains("store")) {
    const json& w = mem["after_warm_up"];
    const json& e = mem["at_end"];
    std::printf(
        "  memory after %.0f s / at the end (MiB): store (memtables, block cache, table readers) %.1f / %.1f, "
        "C heap in use %.1f / %.1f, heap free kept %.1f / %.1f\n",
        rss["warm_up_seconds"].get<double>(), w.value("store", 0.0), e["store"].get<double>(),
        w.value("heap_in_use", 0.0), e["heap_in_use"].get<double>(), w.value("heap_free", 0.0),
        e["heap_free"].get<double>());
  }
  auto growth = [](const json& g) {
    char text[32] = "not measured";
    if (g.is_number()) std::snprintf(text, sizeof text, "%+.2f MiB", g.get<double>());
    return std::string(text);
  };
  std::printf("  over the second half of the sends, a minute: RSS %s, heap footprint (in use + free kept) %s\n",
              growth(mem["rss_growth_per_minute_second_half"]).c_str(),
              growth(mem["heap_footprint_growth_per_minute_second_half"]).c_str());
}

bool SoakClean(const json& j) {
  for (const char* k : {"send_failed", "download_failed", "damaged", "not_downloaded", "new_mail_missed",
                        "downloaded_missed", "events_misrouted", "events_for_unknown_sends", "duplicate_events",
                        "malformed_frames", "connections_lost", "renewals_unanswered", "renewals_refused"}) {
    if (j[k].get<uint64_t>() != 0) return false;
  }
  return j["sends"].get<uint64_t>() > 0;
}

}  // namespace tayori::bench
