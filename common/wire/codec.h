// Framing of tayori messages on ZeroMQ sockets (docs/protocol.md).
//
// A request is one frame holding a serialized pb::Request, optionally
// followed by one raw data frame (chunk bytes, never copied into protobuf).
// A response is the same with pb::Response. A ROUTER peer's identity frame is
// handled by the caller, not here. Stateless; any thread.
#ifndef TAYORI_COMMON_WIRE_CODEC_H_
#define TAYORI_COMMON_WIRE_CODEC_H_

#include <string>
#include <vector>
#include <zmq.hpp>

#include "common/status.h"
#include "tayori.pb.h"

namespace tayori::wire {

struct Incoming {
  pb::Request request;
  std::string data;
  bool has_data = false;
};

// Decodes FRAMES (identity already removed). Reasons: bad_request for a
// malformed envelope, unknown_verb for a request whose body this build does
// not know, frame_too_large for a data frame over MAX_DATA bytes.
StatusOr<Incoming> DecodeRequest(std::vector<zmq::message_t>& frames, size_t max_data);

// The response carrying STATUS as its error.
pb::Response ErrorResponse(uint64_t req_id, const Status& status);
// The Status an error response carries (ok if none).
Status StatusFromResponse(const pb::Response& response);

std::string Serialize(const google::protobuf::MessageLite& m);

// Receives every part of one message already waiting on SOCKET (empty if
// none). May throw zmq::error_t, like the socket calls it wraps.
std::vector<zmq::message_t> RecvAll(zmq::socket_t& socket);

}  // namespace tayori::wire

#endif  // TAYORI_COMMON_WIRE_CODEC_H_
