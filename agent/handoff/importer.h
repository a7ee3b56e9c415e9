// Importer: the import side of the hand-off with the care software (R23).
// Each Pass() downloads every message not yet downloaded, of the kinds
// agent.yaml names, into the import folder: verified, never over an
// existing file, and acknowledged only once written (Agent::Fetch). The
// service runs a pass when new mail is pushed and after it (re)connects.
//
// Borrows ENV; the Agent is lent to each Pass. One thread.
#ifndef TAYORI_AGENT_HANDOFF_IMPORTER_H_
#define TAYORI_AGENT_HANDOFF_IMPORTER_H_

#include <string>

#include "agent/agent.h"
#include "agent/config.h"

namespace tayori::agent::handoff {

struct ImportCounts {
  int received = 0;           // messages downloaded since the service started
  int64_t last_activity = 0;  // Unix seconds of the last download
  std::string last_problem;   // why the last pass stopped (Japanese), "" if it did not
};

class Importer {
 public:
  Importer(AgentConfig::Handoff config, Env* env) : config_(std::move(config)), env_(env) {}

  // Downloads what is new with AGENT. An error is what stopped the pass; the
  // messages after it wait for the next.
  Status Pass(Agent* agent);
  const ImportCounts& counts() const { return counts_; }

 private:
  const AgentConfig::Handoff config_;
  Env* const env_;
  ImportCounts counts_;
};

}  // namespace tayori::agent::handoff

#endif  // TAYORI_AGENT_HANDOFF_IMPORTER_H_
