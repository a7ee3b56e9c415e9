// Care plan findings as the agent stores and reports them: to and from the
// pb.Problem of a received record, the findings of a received message, and
// the refusal Status of a send that breaks the rules. Stateless; any thread.
#ifndef TAYORI_AGENT_FINDINGS_H_
#define TAYORI_AGENT_FINDINGS_H_

#include <string>
#include <vector>

#include "common/careplan/check.h"
#include "common/status.h"
#include "tayori.pb.h"

namespace tayori::agent {

pb::Problem ProblemToProto(const careplan::Finding& finding);
careplan::Finding ProblemFromProto(const pb::Problem& problem);

// The rules a received message breaks. With PATHS (saved files, in manifest
// order) the content is checked too; otherwise only what the names show.
std::vector<careplan::Finding> ReceivedProblems(const pb::Manifest& m, const std::vector<std::string>& paths);

// A refusal carrying every finding of REPORT, which must have one (English
// detail; the CLI prints them in the user's language before it gets here).
Status FindingsStatus(const careplan::CheckReport& report);

}  // namespace tayori::agent

#endif  // TAYORI_AGENT_FINDINGS_H_
