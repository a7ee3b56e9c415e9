// Views: the JSON the local API answers with (docs/api.md), built from the
// agent library's results. Staff-facing text comes in both languages (ja,
// en); technical detail separately, for the screens' 詳細 toggle.
// Stateless; any thread.
#ifndef TAYORI_AGENT_SERVE_VIEWS_H_
#define TAYORI_AGENT_SERVE_VIEWS_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "agent/bulk.h"
#include "agent/handoff/runner.h"
#include "common/careplan/check.h"
#include "common/status.h"

namespace tayori::agent::serve {

using nlohmann::json;

// J as text; bytes that are not UTF-8 (in text another office or a file
// system wrote) become U+FFFD instead of failing the answer.
inline std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// {"error": {reason, ja, en, detail}}
json ErrorJson(const Status& status);
// The HTTP status for a failed STATUS.
int HttpStatus(const Status& status);

json FindingJson(const careplan::Finding& f);
json FindingsJson(const std::vector<careplan::Finding>& findings);
// The files of a message: name, size, and per file 登録/削除/PDF等.
json FilesJson(const pb::Manifest& m);
json InboxItemJson(const InboxItem& item);
// The hand-off's folders and counts, for ホーム.
json HandoffJson(const handoff::HandoffState& state);
json SentItemJson(const SentItem& item);
json ReceiptJson(const ReceiptInfo& r);
json OfficeJson(const pb::OfficeInfo& info);
json HomeJson(const HomeStatus& home, int64_t now, int unread);
// CHECKed files as one send: per file its kind and problems, and the send's.
json CheckJson(const std::vector<std::string>& paths, const careplan::CheckReport& report);
json BulkGroupJson(size_t index, const BulkGroup& g);
json DraftJson(const pb::Draft& d, const careplan::CheckReport& report);
json EventJson(const pb::Event& e);

}  // namespace tayori::agent::serve

#endif  // TAYORI_AGENT_SERVE_VIEWS_H_
