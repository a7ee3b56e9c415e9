// Verbs: the inbox and sent lists, a page at a time (see broker/verbs.h).
#include <map>
#include <string>

#include "broker/verbs.h"
#include "common/ids.h"

namespace tayori::broker {
namespace {

constexpr uint32_t kDefaultPage = 100;
constexpr uint32_t kMaxPage = 500;
// A page ends after the entry that takes it past this many bytes, so a
// response fits the 1 MiB every client accepts (docs/protocol.md) whatever
// the entries carry (manifests of seven files, receipts, certificates).
constexpr size_t kMaxPageBytes = 512 << 10;

enum class Box { kInbox, kSent };

Status List(ServerContext& ctx, const Caller& c, const pb::ListRequest& r, Box box, pb::Response* out) {
  const size_t limit = r.limit() == 0 ? kDefaultPage : std::min(r.limit(), kMaxPage);
  if (!r.after_id().empty() && !IsId(r.after_id())) {
    return InvalidArgument("bad_request", "after_id is not a message id");
  }
  ASSIGN_OR_RETURN(auto page, box == Box::kInbox ? ctx.store->ListInbox(c.office, r.after_id(), limit + 1)
                                                 : ctx.store->ListSent(c.office, r.after_id(), limit + 1));
  pb::ListResponse* list = out->mutable_list();
  size_t bytes = 0, i = 0;
  std::map<std::string, std::string> names;
  for (; i < page.size() && i < limit && bytes < kMaxPageBytes; ++i) {
    pb::MailEntry* e = list->add_entries();
    ctx.FillEntry(page[i], e, &names);
    bytes += e->ByteSizeLong();
  }
  list->set_more(page.size() > i);
  return Status::Ok();
}

}  // namespace

Status HandleListInbox(ServerContext& ctx, const Call& call, pb::Response* out, std::string*) {
  return List(ctx, call.caller, call.request.list_inbox(), Box::kInbox, out);
}

Status HandleListSent(ServerContext& ctx, const Call& call, pb::Response* out, std::string*) {
  return List(ctx, call.caller, call.request.list_sent(), Box::kSent, out);
}

}  // namespace tayori::broker
