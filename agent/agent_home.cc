// Agent: download receipts, pushed events and Home. See agent.h.
#include "agent/agent.h"

#include <algorithm>
#include <deque>

#include "common/ids.h"
#include "common/wire/codec.h"

namespace tayori::agent {

// ------------------------------------------------------------------ receipts, events, status

StatusOr<ReceiptInfo> Agent::Receipt(const std::string& message_id) {
  if (!IsId(message_id)) return InvalidArgument("message_not_found", "'" + message_id + "' is not a message id");
  ASSIGN_OR_RETURN(std::vector<pb::MailEntry> sent, ListAll(false));
  for (const pb::MailEntry& e : sent) {
    if (e.message_id() != message_id) continue;
    ReceiptInfo info;
    info.entry = e;
    if (e.receipt().empty()) {
      return FailedPrecondition(
          "receipt_missing",
          message_id + (e.state() == pb::EXPIRED ? " expired undownloaded" : " has not been downloaded yet"));
    }
    pb::Receipt r;
    if (!r.ParseFromString(e.receipt())) return Status(Code::kDataLoss, "signature_invalid", "receipt does not parse");
    ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::Certificate::FromDer(e.receipt_cert_der()));
    // The certificate must have been good when the broker took the receipt.
    ASSIGN_OR_RETURN(crypto::CertInfo ci, keys_.trust->Verify(cert, e.downloaded_unix()));
    RETURN_IF_ERROR(cert.VerifySignature(e.receipt(), e.receipt_signature()));
    pb::Manifest m;
    if (!m.ParseFromString(e.signed_().manifest())) {
      return Status(Code::kDataLoss, "signature_invalid", "the manifest of " + message_id + " does not parse");
    }
    bool files_match = r.file_sha256_size() == m.files_size();
    for (int i = 0; files_match && i < m.files_size(); ++i) files_match = r.file_sha256(i) == m.files(i).sha256();
    if (r.message_id() != message_id || ci.office != e.recipient_office() || r.recipient_office() != ci.office ||
        r.manifest_sha256() != crypto::Sha256Of(e.signed_().manifest()) || !files_match) {
      return Status(Code::kDataLoss, "signature_invalid", "the receipt does not match this send");
    }
    info.receipt = r;
    info.signer = ci;
    return info;
  }
  return NotFound("message_not_found", "no send " + message_id + " in this office's sent list");
}

Status Agent::Watch(const std::function<void(const pb::Event&)>& on_event, const std::function<bool()>& stop) {
  ASSIGN_OR_RETURN(wire::Client * client, Connection());
  int64_t next_subscribe = 0;
  bool subscribed = false;
  std::deque<std::string> recent;  // kind/message id of the last events passed on
  while (!stop()) {
    // Renewal is about a live connection: the monotonic clock.
    const int64_t now = env_->MonotonicMillis();
    if (now >= next_subscribe) {
      pb::Request req;
      req.mutable_subscribe();
      (void)client->Post(req, "", false);  // renewed every 20 s; the broker forgets after 60
      next_subscribe = now + 20000;
    }
    auto reply = client->Receive(500);
    if (!reply.ok()) continue;
    if (reply->response.has_event()) {
      // With several brokers the subscription may live on two of them for a
      // while, and each pushes its copy: pass each event on once.
      const pb::Event& e = reply->response.event();
      const std::string key = e.kind() + "/" + e.message_id();
      if (std::find(recent.begin(), recent.end(), key) != recent.end()) continue;
      recent.push_back(key);
      if (recent.size() > 256) recent.pop_front();
      on_event(e);
    } else if (!subscribed && reply->response.req_id() != 0) {
      RETURN_IF_ERROR(wire::StatusFromResponse(reply->response));
      subscribed = true;
      pb::Event ready;
      ready.set_kind("subscribed");
      ready.set_office(config_.office);
      ready.set_at_unix(env_->NowSeconds());
      on_event(ready);
    }
  }
  return Status::Ok();
}

StatusOr<HomeStatus> Agent::Home() {
  HomeStatus home;
  ASSIGN_OR_RETURN(wire::Client * client, Connection());
  pb::Request hello;
  hello.mutable_hello();
  ASSIGN_OR_RETURN(wire::Reply self, client->Call(hello));
  home.office = self.response.office();
  pb::Request notices;
  notices.mutable_notices();
  ASSIGN_OR_RETURN(wire::Reply n, client->Call(notices));
  home.notices = n.response.notices();
  ASSIGN_OR_RETURN(home.certificate, keys_.cert->Info());
  home.terminal = CheckTerminal();
  return home;
}

}  // namespace tayori::agent
