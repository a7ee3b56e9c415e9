// The tayori-agent commands (README.md lists them). Each command has a
// function that adds its options and flags to its CLI11 subcommand, and a
// function that runs it once the command line is parsed; agent/main.cc puts
// them in its table. A command's options live in its own file until the
// process exits. Main thread only.
#ifndef TAYORI_AGENT_CLI_COMMANDS_H_
#define TAYORI_AGENT_CLI_COMMANDS_H_

#include <memory>
#include <string>

#include "agent/agent.h"
#include "common/env.h"
#include "common/status.h"

namespace CLI {
class App;
}

namespace tayori::agent::cli {

// What every command gets from the command line before it runs.
struct Context {
  std::string home;  // --home: this terminal's folder
  std::string lang;  // --lang as given; empty: the locale, then agent.yaml
  Env* env = nullptr;
};

// Opens the agent of CTX.home; unless --lang was given, its configured
// language (if any) becomes this run's.
StatusOr<std::unique_ptr<Agent>> OpenAgent(const Context& ctx);

// One row of the table: a subcommand of tayori-agent.
struct Command {
  const char* name;
  const char* help;
  void (*add_options)(CLI::App* cmd);
  int (*run)(const Context& ctx);  // the process's exit status
};

// cli/setup_commands.cc: set-up and the terminal's state.
void AddInitOptions(CLI::App* cmd);
int RunInit(const Context& ctx);
void AddEnrolOptions(CLI::App* cmd);
int RunEnrol(const Context& ctx);
void AddLookupOptions(CLI::App* cmd);
int RunLookup(const Context& ctx);
void AddCheckOptions(CLI::App* cmd);
int RunCheck(const Context& ctx);
void AddStatusOptions(CLI::App* cmd);
int RunStatus(const Context& ctx);

// cli/send_commands.cc: sending, drafts, bulk sends.
void AddSendOptions(CLI::App* cmd);
int RunSend(const Context& ctx);
void AddDraftOptions(CLI::App* cmd);
int RunDraft(const Context& ctx);
void AddBulkOptions(CLI::App* cmd);
int RunBulk(const Context& ctx);

// cli/receive_commands.cc: the inbox, downloads, the sent list, events.
void AddInboxOptions(CLI::App* cmd);
int RunInbox(const Context& ctx);
void AddFetchOptions(CLI::App* cmd);
int RunFetch(const Context& ctx);
void AddSentOptions(CLI::App* cmd);
int RunSent(const Context& ctx);
void AddReceiptOptions(CLI::App* cmd);
int RunReceipt(const Context& ctx);
void AddWatchOptions(CLI::App* cmd);
int RunWatch(const Context& ctx);

// cli/serve_commands.cc: the long-running service with the staff screens.
void AddServeOptions(CLI::App* cmd);
int RunServe(const Context& ctx);
void AddOpenOptions(CLI::App* cmd);
int RunOpen(const Context& ctx);

}  // namespace tayori::agent::cli

#endif  // TAYORI_AGENT_CLI_COMMANDS_H_
