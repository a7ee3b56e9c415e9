// Structured logs: one JSON object per line on stderr, e.g.
// {"ts":"2026-11-21T09:15:00.123Z","level":"info","event":"send_accepted",...}.
// Thread-safe.
#ifndef TAYORI_BROKER_LOG_H_
#define TAYORI_BROKER_LOG_H_

#include <nlohmann/json.hpp>
#include <string>

namespace tayori::broker {

void Log(const std::string& level, const std::string& event, nlohmann::json fields = {});

}  // namespace tayori::broker

#endif  // TAYORI_BROKER_LOG_H_
