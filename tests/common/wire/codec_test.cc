#include "common/wire/codec.h"

#include <gtest/gtest.h>

namespace tayori::wire {
namespace {

std::vector<zmq::message_t> Frames(std::initializer_list<std::string> parts) {
  std::vector<zmq::message_t> v;
  for (const auto& p : parts) v.emplace_back(p.data(), p.size());
  return v;
}

TEST(CodecTest, DecodesRequestWithDataFrame) {
  pb::Request r;
  r.set_req_id(7);
  r.mutable_chunk_put()->set_message_id("x");
  auto frames = Frames({Serialize(r), "chunk-bytes"});
  auto in = DecodeRequest(frames, 100);
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->request.req_id(), 7u);
  EXPECT_TRUE(in->has_data);
  EXPECT_EQ(in->data, "chunk-bytes");
}

TEST(CodecTest, GarbageFramesAreRefusedWithReasons) {
  auto none = Frames({});
  EXPECT_EQ(DecodeRequest(none, 100).status().reason(), "bad_request");
  auto three = Frames({"a", "b", "c"});
  EXPECT_EQ(DecodeRequest(three, 100).status().reason(), "bad_request");
  auto junk = Frames({std::string("\xff\xff\xff\xff\x0f", 5)});
  EXPECT_EQ(DecodeRequest(junk, 100).status().reason(), "bad_request");
  pb::Request empty;  // parses, but names no verb
  auto noverb = Frames({Serialize(empty)});
  EXPECT_EQ(DecodeRequest(noverb, 100).status().reason(), "unknown_verb");
  // A verb from a newer protocol: an unknown field number.
  std::string future = Serialize(empty) + std::string("\xc2\x3e\x00", 3);  // field 1000, empty bytes
  auto newer = Frames({future});
  EXPECT_EQ(DecodeRequest(newer, 100).status().reason(), "unknown_verb");
  pb::Request r;
  r.mutable_hello();
  auto big = Frames({Serialize(r), std::string(101, 'x')});
  EXPECT_EQ(DecodeRequest(big, 100).status().reason(), "frame_too_large");
}

TEST(CodecTest, ErrorResponsesRoundTrip) {
  Status st = FailedPrecondition("already_downloaded", "at 09:15");
  pb::Response r = ErrorResponse(9, st);
  Status back = StatusFromResponse(r);
  EXPECT_EQ(back.code(), Code::kFailedPrecondition);
  EXPECT_EQ(back.reason(), "already_downloaded");
  EXPECT_EQ(back.detail(), "at 09:15");
  pb::Response weird;
  weird.mutable_error()->set_code("no-such-code");
  EXPECT_EQ(StatusFromResponse(weird).code(), Code::kInternal);
  EXPECT_TRUE(StatusFromResponse(pb::Response()).ok());
}

}  // namespace
}  // namespace tayori::wire
