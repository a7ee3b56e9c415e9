// The broker's verbs as rows: for each request body of schema/tayori.proto,
// the channel it is served on, whether a key that is not enrolled may call
// it, whether it carries a data frame, and its handler. docs/protocol.md's
// verb table mirrors VerbTable() row for row.
//
// Dispatch() is the only authorisation gate: identity comes from the ZAP
// handler (broker/identity.h), never from ids inside a payload. Handlers
// live one file per feature (broker/verbs_*.cc) and borrow what they need
// from the ServerContext. Serving thread only.
#ifndef TAYORI_BROKER_VERBS_H_
#define TAYORI_BROKER_VERBS_H_

#include <string>
#include <vector>

#include "broker/context.h"
#include "broker/identity.h"
#include "common/status.h"
#include "tayori.pb.h"

namespace tayori::broker {

class Sweeper;

// One request as a handler sees it.
struct Call {
  const Caller& caller;
  const pb::Request& request;
  const std::string& data;  // the data frame (verbs that carry one)
  Sweeper* sweeper;         // maintenance verbs run retention now
};

// Fills OUT (and OUT_DATA, for a data frame back), or returns why not.
using Handler = Status (*)(ServerContext& ctx, const Call& call, pb::Response* out, std::string* out_data);

enum class Channel {
  kOffice,  // agents (ZAP domain "tayori")
  kAdmin,   // tayori-admin (ZAP domain "tayori-admin")
  kBoth,
};

struct Verb {
  pb::Request::BodyCase body;
  const char* name;  // as docs/protocol.md names it
  Channel channel;
  bool anonymous;   // a key that is not enrolled may call it
  bool data_frame;  // the request carries a data frame
  Handler handler;
};

const std::vector<Verb>& VerbTable();
// The row of BODY, or nullptr for a body this build does not know.
const Verb* FindVerb(pb::Request::BodyCase body);

// Checks CALL against its verb's row (channel, enrolment, data frame, a
// terminal's revocation) and runs the handler.
Status Dispatch(ServerContext& ctx, bool admin_channel, const Call& call, bool has_data, pb::Response* out,
                std::string* out_data);

// ---- handlers, one file per feature
// verbs_enrol.cc: enrolment, lookup and the trust anchor.
Status HandleEnrol(ServerContext& ctx, const Call& call, pb::Response* out, std::string* out_data);
Status HandleGetTrust(ServerContext& ctx, const Call& call, pb::Response* out, std::string* out_data);
Status HandleHello(ServerContext& ctx, const Call& call, pb::Response* out, std::string* out_data);
Status HandleLookup(ServerContext& ctx, const Call& call, pb::Response* out, std::string* out_data);
// verbs_send.cc: sending.
Status HandleSendBegin(ServerContext& ctx, const Call& call, pb::Response* out, std::string* out_data);
Status HandleChunkPut(ServerContext& ctx, const Call& call, pb::Response* out, std::string* out_data);
Status HandleCommit(ServerContext& ctx, const Call& call, pb::Response* out, std::string* out_data);
// verbs_fetch.cc: downloading and acknowledging.
Status HandleFetchBegin(ServerContext& ctx, const Call& call, pb::Response* out, std::string* out_data);
Status HandleChunkGet(ServerContext& ctx, const Call& call, pb::Response* out, std::string* out_data);
Status HandleAck(ServerContext& ctx, const Call& call, pb::Response* out, std::string* out_data);
// verbs_list.cc: the inbox and sent lists.
Status HandleListInbox(ServerContext& ctx, const Call& call, pb::Response* out, std::string* out_data);
Status HandleListSent(ServerContext& ctx, const Call& call, pb::Response* out, std::string* out_data);
// verbs_notices.cc: notices and subscriptions to pushed events.
Status HandleSubscribe(ServerContext& ctx, const Call& call, pb::Response* out, std::string* out_data);
Status HandleNotices(ServerContext& ctx, const Call& call, pb::Response* out, std::string* out_data);
Status HandleNoticePost(ServerContext& ctx, const Call& call, pb::Response* out, std::string* out_data);
Status HandleNoticeWithdraw(ServerContext& ctx, const Call& call, pb::Response* out, std::string* out_data);
// verbs_registry.cc: offices, licences and terminals.
Status HandleOfficeAdd(ServerContext& ctx, const Call& call, pb::Response* out, std::string* out_data);
Status HandleOfficeList(ServerContext& ctx, const Call& call, pb::Response* out, std::string* out_data);
Status HandleLicenceRenew(ServerContext& ctx, const Call& call, pb::Response* out, std::string* out_data);
Status HandleLicenceExpire(ServerContext& ctx, const Call& call, pb::Response* out, std::string* out_data);
Status HandleTerminalList(ServerContext& ctx, const Call& call, pb::Response* out, std::string* out_data);
Status HandleTerminalRemove(ServerContext& ctx, const Call& call, pb::Response* out, std::string* out_data);
// verbs_stats.cc: statistics, maintenance and backup.
Status HandleStats(ServerContext& ctx, const Call& call, pb::Response* out, std::string* out_data);
Status HandleMaintenance(ServerContext& ctx, const Call& call, pb::Response* out, std::string* out_data);
Status HandleBackup(ServerContext& ctx, const Call& call, pb::Response* out, std::string* out_data);

}  // namespace tayori::broker

#endif  // TAYORI_BROKER_VERBS_H_
