#include "broker/zap_handler.h"

#include <chrono>
#include <vector>

#include "broker/identity.h"
#include "broker/log.h"
#include "common/wire/codec.h"

namespace tayori::broker {
namespace {
constexpr char kZapEndpoint[] = "inproc://zeromq.zap.01";
std::string Str(const zmq::message_t& m) { return m.to_string(); }
}  // namespace

ZapHandler::~ZapHandler() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  socket_.close();
}

Status ZapHandler::Start() {
  try {
    socket_ = zmq::socket_t(*context_, zmq::socket_type::rep);
    socket_.set(zmq::sockopt::linger, 0);
    socket_.bind(kZapEndpoint);
  } catch (const zmq::error_t& e) {
    return Internal(std::string("cannot bind the ZAP handler: ") + e.what());
  }
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void ZapHandler::Loop() {
  while (!stop_) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    try {
      if (zmq::poll(&item, 1, std::chrono::milliseconds(100)) == 0) continue;
      std::vector<zmq::message_t> request = wire::RecvAll(socket_);
      Answer(request);
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) return;
      Log("error", "zap_error", {{"detail", e.what()}});
    }
  }
}

// REQUEST: version, request id, domain, address, identity, mechanism,
// credentials...
void ZapHandler::Answer(std::vector<zmq::message_t>& request) {
  std::string status = "400", text = "denied", user;
  if (request.size() >= 7 && Str(request[0]) == "1.0" && Str(request[5]) == "CURVE" && request[6].size() == 32) {
    const std::string domain = Str(request[2]);
    Caller caller;
    caller.curve_pk = Str(request[6]);
    if (domain == kAdminDomain) {
      if (caller.curve_pk == admin_public_raw_) {
        caller.kind = Caller::kAdmin;
        status = "200", text = "OK", user = FormatIdentity(caller);
      }
    } else if (domain == kOfficeDomain) {
      auto office = store_->OfficeForCurveKey(caller.curve_pk);
      if (office.ok()) {
        caller.kind = Caller::kOffice;
        caller.office = *office;
      }
      // A store that cannot answer must not turn an office into a stranger
      // (or worse): the handshake fails and the client tries again.
      if (office.ok() || office.status().code() == Code::kNotFound) {
        status = "200", text = "OK", user = FormatIdentity(caller);
      } else {
        status = "500", text = "registry unavailable";
        Log("error", "zap_store_error", {{"detail", office.status().ToString()}});
      }
    }
  }
  if (status != "200") Log("warn", "zap_denied", {{"address", request.size() > 3 ? Str(request[3]) : ""}});
  const std::string version = "1.0";
  const std::string request_id = request.size() > 1 ? Str(request[1]) : "";
  socket_.send(zmq::buffer(version), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(request_id), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(status), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(text), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(user), zmq::send_flags::sndmore);
  socket_.send(zmq::str_buffer(""), zmq::send_flags::none);
}

}  // namespace tayori::broker
