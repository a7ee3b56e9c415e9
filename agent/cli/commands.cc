#include "agent/cli/commands.h"

#include "agent/cli/output.h"

namespace tayori::agent::cli {

StatusOr<std::unique_ptr<Agent>> OpenAgent(const Context& ctx) {
  auto opened = Agent::Open(ctx.home, ctx.env);
  if (opened.ok() && ctx.lang.empty() && (*opened)->config().lang) SetLang(*(*opened)->config().lang);
  return opened;
}

}  // namespace tayori::agent::cli
