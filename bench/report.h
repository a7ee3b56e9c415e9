// tayori-bench's figures: the JSON of one run on one store, as a person
// reads them, and two stores' runs side by side.
#ifndef TAYORI_BENCH_REPORT_H_
#define TAYORI_BENCH_REPORT_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace tayori::bench {

// One bulk send as measured: wall time to the last durable acceptance,
// CPU seconds and peak RSS of agent and broker, bytes sent.
struct BulkFigures {
  double seconds = 0, agent_cpu = 0, broker_cpu = 0;
  long agent_rss_kb = 0, broker_rss_kb = 0;
  uint64_t bytes = 0;
};

// One workload's figures (bulk, small bulk, baselines, crypto floor).
nlohmann::json WorkloadJson(const std::string& name, int groups, int mb, const BulkFigures& big,
                            const BulkFigures& small, int small_groups, double scp, double dd,
                            const nlohmann::json& floor);

// The figures of one run (on one store) for a person.
void PrintRun(const nlohmann::json& j);

// RUNS' same figures on each store, and each store's against the first:
// {"postgresql_to_rocksdb": [{"figure", "rocksdb", "postgresql", "ratio"}]}.
nlohmann::json CompareStores(const nlohmann::json& runs);

// CompareStores' result for a person.
void PrintComparison(const nlohmann::json& comparison);

}  // namespace tayori::bench

#endif  // TAYORI_BENCH_REPORT_H_
