#include "agent/assignments.h"

#include "common/ids.h"

namespace tayori::agent {
namespace {

// Splits "N=VALUE" where N is an office number; false if it is not one.
bool SplitAssignment(const std::string& arg, std::string* office, std::string* value) {
  const size_t eq = arg.find('=');
  if (eq == std::string::npos || !IsOfficeNumber(arg.substr(0, eq))) return false;
  *office = arg.substr(0, eq);
  *value = arg.substr(eq + 1);
  return true;
}

}  // namespace

StatusOr<BulkAssignments> ParseBulkAssignments(const std::vector<std::string>& attach,
                                               const std::vector<std::string>& message_for) {
  BulkAssignments out;
  std::string office, value;
  for (const auto& a : attach) {
    if (!SplitAssignment(a, &office, &value)) {
      return InvalidArgument("usage", "--attach takes N=FILE, got '" + a + "'");
    }
    out.attachments[office].push_back(value);
  }
  for (const auto& a : message_for) {
    if (!SplitAssignment(a, &office, &value)) {
      return InvalidArgument("usage", "--message-for takes N=TEXT, got '" + a + "'");
    }
    out.messages[office] = value;
  }
  return out;
}

}  // namespace tayori::agent
