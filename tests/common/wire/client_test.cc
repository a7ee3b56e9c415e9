#include "common/wire/client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "common/crypto/curve.h"
#include "common/wire/codec.h"

namespace tayori::wire {
namespace {

// A broker that cannot reach its store for the first UNAVAILABLE requests
// (it answers "unavailable", as during a database failover), then answers
// each with a commit, or with REFUSAL if one is given.
class FlakyBroker {
 public:
  explicit FlakyBroker(int unavailable, Status refusal = Status::Ok()) : unavailable_(unavailable), refusal_(refusal) {
    auto kp = crypto::NewCurveKeyPair();
    EXPECT_TRUE(kp.ok());
    public_key_ = kp->public_z85;
    router_.set(zmq::sockopt::curve_server, 1);
    router_.set(zmq::sockopt::curve_secretkey, kp->secret_z85);
    router_.set(zmq::sockopt::linger, 0);
    router_.bind("tcp://127.0.0.1:0");
    endpoint_ = router_.get(zmq::sockopt::last_endpoint);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FlakyBroker() {
    stop_ = true;
    thread_.join();
  }

  ClientOptions Options() const {
    auto kp = crypto::NewCurveKeyPair();
    ClientOptions o;
    o.endpoint = endpoint_;
    o.server_key = public_key_;
    o.public_key = kp->public_z85;
    o.secret_key = kp->secret_z85;
    o.attempt_timeout_ms = 2000;
    o.deadline_ms = 10000;
    o.unavailable_pause_ms = 1;
    return o;
  }
  int requests() const { return requests_; }

 private:
  void Serve() {
    while (!stop_) {
      zmq::pollitem_t item{router_.handle(), 0, ZMQ_POLLIN, 0};
      if (zmq::poll(&item, 1, std::chrono::milliseconds(20)) == 0) continue;
      std::vector<zmq::message_t> frames = RecvAll(router_);
      if (frames.size() < 2) continue;
      std::vector<zmq::message_t> body;
      for (size_t i = 1; i < frames.size(); ++i) body.push_back(std::move(frames[i]));
      auto in = DecodeRequest(body, 1 << 20);
      if (!in.ok()) continue;
      pb::Response r;
      if (requests_++ < unavailable_) {
        r = ErrorResponse(in->request.req_id(),
                          Status(Code::kUnavailable, "store_unavailable", "the database is unreachable"));
      } else if (!refusal_.ok()) {
        r = ErrorResponse(in->request.req_id(), refusal_);
      } else {
        r.set_req_id(in->request.req_id());
        r.mutable_commit()->set_accepted_unix(1234);
      }
      router_.send(zmq::buffer(frames[0].data(), frames[0].size()), zmq::send_flags::sndmore);
      router_.send(zmq::buffer(Serialize(r)), zmq::send_flags::none);
    }
  }

  const int unavailable_;
  const Status refusal_;
  std::atomic<int> requests_{0};
  std::atomic<bool> stop_{false};
  zmq::context_t context_{1};
  zmq::socket_t router_{context_, zmq::socket_type::router};
  std::string endpoint_, public_key_;
  std::thread thread_;
};

pb::Request Commit() {
  pb::Request req;
  req.mutable_commit()->set_message_id("01AAAAAAAAAAAAAAAAAAAAAAAA");
  return req;
}

TEST(ClientTest, OnlyAddressesAClientCanReachAreConnectable) {
  for (const char* good :
       {"tcp://127.0.0.1:7701", "tcp://broker.example.jp:7701", "tcp://10.0.0.1:1", "tcp://a:1,tcp://b:65535"}) {
    EXPECT_TRUE(ConnectableEndpoint(good)) << good;
  }
  for (const char* bad : {"tcp://0.0.0.0:7701", "tcp://*:7701", "tcp://[::]:7701", "tcp://[::1]:7701", "tcp://0:7701",
                          "tcp://h:0", "tcp://h:65536", "tcp://h:99999999999", "tcp://h:", "tcp://:1", "tcp://h",
                          "http://h:1", "", "tcp://0.0.0.0:1,tcp://h:2", "tcp://h:2,", "tcp://h:1x"}) {
    EXPECT_FALSE(ConnectableEndpoint(bad)) << bad;
  }
}

TEST(ClientTest, AnUnavailableAnswerIsAskedAgainUntilItIsAnswered) {
  FlakyBroker broker(3);
  auto client = Client::Connect(broker.Options());
  ASSERT_TRUE(client.ok());
  auto reply = (*client)->Call(Commit());
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->response.commit().accepted_unix(), 1234);
  EXPECT_EQ(broker.requests(), 4);
}

TEST(ClientTest, AStoreThatStaysUnavailableEndsWithTheBrokersAnswerAtTheDeadline) {
  FlakyBroker broker(1 << 30);
  ClientOptions o = broker.Options();
  o.deadline_ms = 1500;  // several rounds even where a round trip is slow (TSan)
  o.unavailable_pause_ms = 20;
  auto client = Client::Connect(o);
  ASSERT_TRUE(client.ok());
  auto reply = (*client)->Call(Commit());
  EXPECT_EQ(reply.status().code(), Code::kUnavailable);
  EXPECT_EQ(reply.status().reason(), "store_unavailable");
  EXPECT_GT(broker.requests(), 1);
}

TEST(ClientTest, OtherRefusalsAreNotAskedAgain) {
  FlakyBroker broker(0, Status(Code::kNotFound, "message_not_found", "no such upload"));
  auto client = Client::Connect(broker.Options());
  ASSERT_TRUE(client.ok());
  auto reply = (*client)->Call(Commit());
  EXPECT_EQ(reply.status().reason(), "message_not_found");
  EXPECT_EQ(broker.requests(), 1);
}

}  // namespace
}  // namespace tayori::wire
