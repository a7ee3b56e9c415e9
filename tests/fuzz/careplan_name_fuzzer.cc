// libFuzzer target: standard file-name parsing on arbitrary names, and the
// service-type patterns of the CSV versions that v4 names are held to.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/careplan/check.h"
#include "common/careplan/rules.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string name(reinterpret_cast<const char*>(data), size);
  const auto& rules = tayori::careplan::Rules::Standard();
  tayori::careplan::NameCheck n = rules.ParseName(name);
  if (n.ok) {
    // A parsed name is consistent with what it was parsed from.
    if (n.name.kind == nullptr || n.name.sender.size() != 10 || n.name.recipient.size() != 10 ||
        n.name.stamp.size() != 14 || name.rfind(n.name.kind->prefix, 0) != 0) {
      __builtin_trap();
    }
    // A v4 name's service types fit the pattern of some CSV version.
    bool fits = n.name.naming == tayori::careplan::Naming::kV3;
    for (const auto& v : rules.versions()) {
      fits = fits || (v.naming == tayori::careplan::Naming::kV4 && v.service_type.Matches(n.name.sender_type) &&
                      v.service_type.Matches(n.name.recipient_type));
    }
    if (!fits) __builtin_trap();
  } else if (n.problem.ja.empty() || n.problem.en.empty()) {
    __builtin_trap();
  }
  (void)tayori::careplan::CheckAttachmentName(rules, name);
  (void)tayori::careplan::CheckAttachmentContent(rules, "x.pdf", name);
  return 0;
}
