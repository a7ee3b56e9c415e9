// BulkAssignments: what a bulk send (一括送信) gives one recipient beyond its
// CSVs, from the command line's `--attach N=FILE` (a PDF or image for office
// N, repeatable) and `--message-for N=TEXT` (its own message; the last one
// wins). Stateless; any thread may call.
#ifndef TAYORI_AGENT_ASSIGNMENTS_H_
#define TAYORI_AGENT_ASSIGNMENTS_H_

#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace tayori::agent {

struct BulkAssignments {
  std::map<std::string, std::vector<std::string>> attachments;  // per office, in order given
  std::map<std::string, std::string> messages;                  // per office
};

// Parses ATTACH ("N=FILE" each) and MESSAGE_FOR ("N=TEXT" each); N must be an
// office number. The first malformed argument is a "usage" invalid argument
// that quotes it.
StatusOr<BulkAssignments> ParseBulkAssignments(const std::vector<std::string>& attach,
                                               const std::vector<std::string>& message_for);

}  // namespace tayori::agent

#endif  // TAYORI_AGENT_ASSIGNMENTS_H_
