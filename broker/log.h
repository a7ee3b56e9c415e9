// Structured logs: one JSON object per line on stderr, e.g.
// {"ts":"2026-11-21T09:15:00.123Z","level":"info","event":"send_accepted",...}.
// Lines below the level set by SetLogLevel (default info) are dropped.
// Thread-safe. Fields never carry file contents or message text.
#ifndef TAYORI_BROKER_LOG_H_
#define TAYORI_BROKER_LOG_H_

#include <nlohmann/json.hpp>
#include <string>

namespace tayori::broker {

void Log(const std::string& level, const std::string& event, nlohmann::json fields = {});

// LEVEL is debug, info, warn or error; false for anything else. With APPLY
// false it only checks the name. Call before the broker's threads start.
bool SetLogLevel(const std::string& level, bool apply = true);

}  // namespace tayori::broker

#endif  // TAYORI_BROKER_LOG_H_
