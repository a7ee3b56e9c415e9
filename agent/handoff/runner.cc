#include "agent/handoff/runner.h"

#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace tayori::agent::handoff {

Runner::Runner(std::string home, AgentConfig::Handoff config, Env* env, OpenAgent open_agent)
    : config_(config),
      open_agent_(std::move(open_agent)),
      exporter_(std::move(home), config, env),
      importer_(config, env) {
  state_.export_dir = config_.export_dir;
  state_.import_dir = config_.import_dir;
  thread_ = std::thread([this] { Loop(); });
}

Runner::~Runner() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Runner::MailArrived() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    import_due_ = true;
  }
  wake_.notify_all();
}

HandoffState Runner::State() {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

// One JSON line on stderr (the journal, under the user unit) when a side's
// problem starts, changes or ends; not one a second while it lasts.
void Runner::Logged(const char* side, const Status& st, std::string* last) {
  const std::string now = st.ok() ? "" : st.reason() + ": " + st.detail();
  if (now == *last) return;
  *last = now;
  nlohmann::json line = {{"event", st.ok() ? "handoff_recovered" : "handoff_problem"}, {"side", side}};
  if (!st.ok()) {
    line["reason"] = st.reason();
    line["detail"] = st.detail();
  }
  std::fprintf(stderr, "%s\n", line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

void Runner::Loop() {
  using Clock = std::chrono::steady_clock;
  std::unique_ptr<Agent> agent;
  Clock::time_point retry_import = Clock::time_point::max();  // after a failed pass
  while (true) {
    bool import = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      // The export folder is looked at every second; mail is imported when
      // it is pushed (or, after a failed pass, a few seconds later).
      wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_ || import_due_; });
      if (stop_) return;
      import = (import_due_ || Clock::now() >= retry_import) && !config_.import_dir.empty();
      import_due_ = false;
    }
    if (!agent) {
      auto opened = open_agent_();
      if (!opened.ok()) continue;
      agent = std::move(opened).value();
    }
    if (!config_.export_dir.empty()) Logged("export", exporter_.Pass(agent.get()), &export_problem_);
    if (import) {
      const Status st = importer_.Pass(agent.get());
      Logged("import", st, &import_problem_);
      retry_import = st.ok() ? Clock::time_point::max() : Clock::now() + std::chrono::seconds(5);
    }
    std::lock_guard<std::mutex> lock(mu_);
    state_.exported = exporter_.counts();
    state_.imported = importer_.counts();
  }
}

}  // namespace tayori::agent::handoff
