#include "broker/verbs.h"

namespace tayori::broker {
namespace {
using B = pb::Request::BodyCase;
constexpr Channel kOffice = Channel::kOffice;
constexpr Channel kAdmin = Channel::kAdmin;
constexpr Channel kBoth = Channel::kBoth;
}  // namespace

const std::vector<Verb>& VerbTable() {
  // clang-format off
  static const std::vector<Verb> table = {
    // body                 name              channel  anonymous data   handler
    {B::kEnrol,             "Enrol",          kOffice, true,  false, HandleEnrol},
    {B::kGetTrust,          "GetTrust",       kOffice, true,  false, HandleGetTrust},
    {B::kHello,             "Hello",          kOffice, false, false, HandleHello},
    {B::kLookup,            "Lookup",         kOffice, false, false, HandleLookup},
    {B::kSendBegin,         "SendBegin",      kOffice, false, false, HandleSendBegin},
    {B::kChunkPut,          "ChunkPut",       kOffice, false, true,  HandleChunkPut},
    {B::kCommit,            "Commit",         kOffice, false, false, HandleCommit},
    {B::kListInbox,         "ListInbox",      kOffice, false, false, HandleListInbox},
    {B::kListSent,          "ListSent",       kOffice, false, false, HandleListSent},
    {B::kFetchBegin,        "FetchBegin",     kOffice, false, false, HandleFetchBegin},
    {B::kChunkGet,          "ChunkGet",       kOffice, false, false, HandleChunkGet},
    {B::kAck,               "Ack",            kOffice, false, false, HandleAck},
    {B::kSubscribe,         "Subscribe",      kOffice, false, false, HandleSubscribe},
    {B::kNotices,           "Notices",        kBoth,   false, false, HandleNotices},
    {B::kOfficeAdd,         "OfficeAdd",      kAdmin,  false, false, HandleOfficeAdd},
    {B::kOfficeList,        "OfficeList",     kAdmin,  false, false, HandleOfficeList},
    {B::kLicenceRenew,      "LicenceRenew",   kAdmin,  false, false, HandleLicenceRenew},
    {B::kLicenceExpire,     "LicenceExpire",  kAdmin,  false, false, HandleLicenceExpire},
    {B::kTerminalList,      "TerminalList",   kAdmin,  false, false, HandleTerminalList},
    {B::kTerminalRemove,    "TerminalRemove", kAdmin,  false, false, HandleTerminalRemove},
    {B::kNoticePost,        "NoticePost",     kAdmin,  false, false, HandleNoticePost},
    {B::kNoticeWithdraw,    "NoticeWithdraw", kAdmin,  false, false, HandleNoticeWithdraw},
    {B::kStats,             "Stats",          kAdmin,  false, false, HandleStats},
    {B::kMaintenance,       "Maintenance",    kAdmin,  false, false, HandleMaintenance},
    {B::kBackup,            "Backup",         kAdmin,  false, false, HandleBackup},
  };
  // clang-format on
  return table;
}

const Verb* FindVerb(pb::Request::BodyCase body) {
  for (const Verb& v : VerbTable()) {
    if (v.body == body) return &v;
  }
  return nullptr;
}

Status Dispatch(ServerContext& ctx, bool admin_channel, const Call& call, bool has_data, pb::Response* out,
                std::string* out_data) {
  const Verb* verb = FindVerb(call.request.body_case());
  if (verb == nullptr) {
    return InvalidArgument("unknown_verb", "verb " + std::to_string(static_cast<int>(call.request.body_case())));
  }
  if (verb->channel == kOffice && admin_channel) {
    return PermissionDenied("usage", "office verbs are not served on the admin channel");
  }
  if (verb->channel == kAdmin && !admin_channel) {
    return PermissionDenied("usage", "admin verbs are served only on the admin channel");
  }
  if (has_data != verb->data_frame) {
    return InvalidArgument("bad_request", has_data ? "only chunk uploads carry a data frame"
                                                   : std::string(verb->name) + " needs a data frame");
  }
  if (call.caller.kind == Caller::kAnon && !verb->anonymous) {
    return Status(Code::kUnauthenticated, "not_enrolled", "this key is not enrolled; only enrolment is allowed");
  }
  if (call.caller.kind == Caller::kOffice && !verb->anonymous) {
    // Revocation and removal end a terminal's access at its next request.
    RETURN_IF_ERROR(ctx.CheckTerminal(call.caller));
  }
  return verb->handler(ctx, call, out, out_data);
}

}  // namespace tayori::broker
