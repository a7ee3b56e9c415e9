#include "common/wire/codec.h"

namespace tayori::wire {

StatusOr<Incoming> DecodeRequest(std::vector<zmq::message_t>& frames, size_t max_data) {
  if (frames.empty() || frames.size() > 2) {
    return InvalidArgument("bad_request", "a request is 1 or 2 frames, got " + std::to_string(frames.size()));
  }
  Incoming in;
  if (!in.request.ParseFromArray(frames[0].data(), static_cast<int>(frames[0].size()))) {
    return InvalidArgument("bad_request", "the first frame is not a tayori request");
  }
  if (in.request.body_case() == pb::Request::BODY_NOT_SET) {
    return InvalidArgument("unknown_verb", "the request names no verb this broker knows");
  }
  if (frames.size() == 2) {
    if (frames[1].size() > max_data) {
      return InvalidArgument("frame_too_large", "data frame of " + std::to_string(frames[1].size()) +
                                                    " bytes exceeds " + std::to_string(max_data));
    }
    in.data.assign(static_cast<const char*>(frames[1].data()), frames[1].size());
    in.has_data = true;
  }
  return in;
}

pb::Response ErrorResponse(uint64_t req_id, const Status& status) {
  pb::Response r;
  r.set_req_id(req_id);
  r.mutable_error()->set_code(CodeName(status.code()));
  r.mutable_error()->set_reason(status.reason());
  r.mutable_error()->set_detail(status.detail());
  return r;
}

Status StatusFromResponse(const pb::Response& response) {
  if (!response.has_error()) return Status::Ok();
  const pb::Error& e = response.error();
  Code code = Code::kInternal;
  for (int c = 0; c <= static_cast<int>(Code::kInternal); ++c) {
    if (e.code() == CodeName(static_cast<Code>(c))) code = static_cast<Code>(c);
  }
  if (code == Code::kOk) code = Code::kInternal;
  return Status(code, e.reason().empty() ? "internal" : e.reason(), e.detail());
}

std::vector<zmq::message_t> RecvAll(zmq::socket_t& socket) {
  std::vector<zmq::message_t> frames;
  while (true) {
    zmq::message_t m;
    if (!socket.recv(m, zmq::recv_flags::dontwait)) break;
    const bool more = m.more();
    frames.push_back(std::move(m));
    if (!more) break;
  }
  return frames;
}

std::string Serialize(const google::protobuf::MessageLite& m) {
  std::string out;
  m.SerializeToString(&out);
  return out;
}

}  // namespace tayori::wire
