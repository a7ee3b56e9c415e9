// The one output layer of tayori-agent's commands: the language of this run
// (Japanese by default, or English), JSON or text, progress on stderr, errors
// and their exit codes, and the shapes several commands print (findings, mail
// entries). main sets the language; --json and --quiet are bound here. Called
// from the main thread only (Bulk serialises its callbacks onto one).
#ifndef TAYORI_AGENT_CLI_OUTPUT_H_
#define TAYORI_AGENT_CLI_OUTPUT_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/agent.h"
#include "common/careplan/check.h"
#include "common/messages.h"
#include "common/status.h"
#include "tayori.pb.h"

namespace CLI {
class App;
}

namespace tayori::agent::cli {

using nlohmann::json;

// The language of this run: the locale's, then --lang or agent.yaml.
void SetLang(Lang lang);
// A command line CLI11 could not parse, in the locale's language: what is
// missing (REQUIRED: WHAT is CLI11's "X is required") or wrong, and where to
// look. Returns the exit status (2).
int CommandLineError(const std::string& what, bool required);
// --details: show the technical detail line under each message.
void SetDetails(bool details);
Lang CurrentLang();
// True when this run speaks Japanese.
bool J();

// Adds --json (print JSON instead of text) and --quiet (no progress) to CMD.
void AddJsonFlag(CLI::App* cmd, const std::string& help = "");
void AddQuietFlag(CLI::App* cmd, const std::string& help = "");
bool JsonOut();

// STATUS in this run's language (common/messages.h).
std::string Rendered(const Status& status);
// Prints STATUS to stderr and returns the exit code: 2 for an invalid
// argument, 1 for anything else.
int Fail(const Status& status);

// J to stdout: indented as one document, or on one line (event streams).
void PrintJson(const json& j);
void PrintJsonLine(const json& j);

// Progress on stderr: a bar on a terminal, else "progress LABEL DONE/TOTAL"
// lines. None under --quiet or --json.
Progress MakeProgress();

// Japan time "YYYY-MM-DD HH:MM", or "" for 0.
std::string When(int64_t unix_seconds);

// Care plan findings: as JSON objects, or one line each after INDENT.
json FindingJson(const careplan::Finding& f);
json FindingsJson(const std::vector<careplan::Finding>& findings);
void PrintFindings(FILE* out, const std::vector<careplan::Finding>& findings, const char* indent);

// A mail entry of the inbox or the sent list, with its decrypted MESSAGE.
json EntryJson(const pb::MailEntry& e, const std::string& message);
// 未 (kept until), 済 (when, receipt) or 期限切れ, in this run's language.
std::string EntryState(const pb::MailEntry& e);
// One indented "name (size B)" line per file.
std::string EntryFileList(const pb::MailEntry& e);

}  // namespace tayori::agent::cli

#endif  // TAYORI_AGENT_CLI_OUTPUT_H_
