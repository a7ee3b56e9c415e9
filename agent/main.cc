// tayori-agent: the office terminal. See README.md for every command; each is
// a row of the table below, implemented under cli/.
#include <CLI/CLI.hpp>

#include "agent/cli/commands.h"
#include "agent/cli/output.h"
#include "agent/config.h"
#include "common/port/port.h"
#include "common/version.h"

namespace cli = tayori::agent::cli;

namespace {

// In the order `tayori-agent --help` lists them.
const cli::Command kCommands[] = {
    {"init", "set up this terminal with the office certificate", cli::AddInitOptions, cli::RunInit},
    {"enrol", "register this terminal's keys with the broker", cli::AddEnrolOptions, cli::RunEnrol},
    {"lookup", "can an office receive now?", cli::AddLookupOptions, cli::RunLookup},
    {"send", "send files with a message to one office", cli::AddSendOptions, cli::RunSend},
    {"check", "check files against the care plan standard, offline", cli::AddCheckOptions, cli::RunCheck},
    {"inbox", "受信一覧: messages for this office", cli::AddInboxOptions, cli::RunInbox},
    {"fetch", "データ取得: download messages into a folder", cli::AddFetchOptions, cli::RunFetch},
    {"sent", "送信一覧: this office's sends and their status", cli::AddSentOptions, cli::RunSent},
    {"receipt", "verify and show the recipient's signed download receipt", cli::AddReceiptOptions, cli::RunReceipt},
    {"watch", "print new mail, downloads and expiries as they happen", cli::AddWatchOptions, cli::RunWatch},
    {"status", "ホーム: system status, licence, notices", cli::AddStatusOptions, cli::RunStatus},
    {"draft", "下書き: keep a send to finish later", cli::AddDraftOptions, cli::RunDraft},
    {"bulk", "一括送信: send many CSVs, grouped by recipient, up to 50 sends", cli::AddBulkOptions, cli::RunBulk},
    {"serve", "run as a service: the staff screens in the browser, new mail as it arrives", cli::AddServeOptions,
     cli::RunServe},
    {"open", "a fresh sign-in address for the screens of the running service", cli::AddOpenOptions, cli::RunOpen},
};

}  // namespace

int main(int argc, char** argv) {
  // Chunk buffers of a MiB come and go all the time: keep them on the heap
  // instead of a fresh mmap (and page faults) for each. A whole file read
  // for the care plan checks (up to the send limit) gets pages of its own,
  // given back when the check ends.
  tayori::port::TuneAllocator();
  // UTF-8 arguments: on Windows, Japanese file names as typed.
  const std::vector<std::string> args = tayori::port::Utf8Arguments(argc, argv);
  std::vector<char*> utf8_argv;
  for (const std::string& a : args) utf8_argv.push_back(const_cast<char*>(a.c_str()));
  CLI::App app{"tayori-agent: send and receive care plan data (ケアプランデータ連携)"};
  app.require_subcommand(1);
  app.fallthrough();  // --home and --lang may also follow the command
  cli::Context ctx{tayori::agent::DefaultAgentHome(), "", tayori::Env::Default()};
  app.add_option("--home", ctx.home, "this terminal's folder (keys, history)");
  app.add_option("--lang", ctx.lang, "ja (default) or en");
  bool details = false;
  app.add_flag("--details", details, "show technical details (for support) under messages");
  app.set_version_flag("--version", std::string("tayori-agent ") + tayori::kVersion);
  std::vector<std::pair<CLI::App*, const cli::Command*>> commands;
  for (const cli::Command& c : kCommands) {
    CLI::App* cmd = app.add_subcommand(c.name, c.help);
    c.add_options(cmd);
    commands.emplace_back(cmd, &c);
  }
  try {
    app.parse(static_cast<int>(utf8_argv.size()), utf8_argv.data());
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    return cli::CommandLineError(e.what(), dynamic_cast<const CLI::RequiredError*>(&e) != nullptr);
  }
  cli::SetDetails(details);

  cli::SetLang(tayori::agent::LocaleLang());
  if (!ctx.lang.empty()) {
    auto lang = tayori::ParseLang(ctx.lang);
    if (!lang.ok()) return cli::Fail(lang.status());
    cli::SetLang(*lang);
  }
  for (const auto& [cmd, c] : commands) {
    if (cmd->parsed()) return c->run(ctx);
  }
  return 0;
}
