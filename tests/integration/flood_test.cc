// Integration: peers that send frame after frame and never finish their
// request, against the real tayori-broker. libzmq holds such a message
// whole before the broker sees it; the broker cuts a connection past
// max_connection_backlog_bytes, and those waiting longest when all together
// pass max_total_backlog_bytes, stays small, and serves the others.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "common/crypto/curve.h"
#include "common/wire/client.h"
#include "tests/support/cluster.h"
#include "tests/support/test_util.h"

namespace tayori {
namespace {

using testing::Cluster;

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// One peer, from a fresh (unenrolled) key: the office channel lets any key
// connect, as enrolment needs. From SOURCE (a local address) if given.
class Flooder {
 public:
  Flooder(zmq::context_t* ctx, const std::string& endpoint, const std::string& server_key, int n,
          const std::string& source = "")
      : socket_(*ctx, zmq::socket_type::dealer), monitor_(*ctx, zmq::socket_type::pair) {
    auto kp = crypto::NewCurveKeyPair();
    EXPECT_TRUE(kp.ok());
    socket_.set(zmq::sockopt::curve_serverkey, server_key);
    socket_.set(zmq::sockopt::curve_publickey, kp->public_z85);
    socket_.set(zmq::sockopt::curve_secretkey, kp->secret_z85);
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::reconnect_ivl, -1);
    const std::string watch = "inproc://flood-" + std::to_string(n);
    EXPECT_EQ(
        zmq_socket_monitor(socket_.handle(), watch.c_str(), ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED), 0);
    monitor_.connect(watch);
    // libzmq's "tcp://SOURCE:PORT;HOST:PORT" connects from SOURCE.
    socket_.connect(source.empty() ? endpoint : "tcp://" + source + ":0;" + endpoint.substr(6));
  }
  ~Flooder() { zmq_socket_monitor(socket_.handle(), nullptr, 0); }

  // Queues one message of COUNT frames, each a view of BLOCK (which must
  // outlive the flooder).
  void Send(const std::string& block, int count) {
    for (int i = 0; i < count; ++i) {
      zmq::message_t frame(const_cast<char*>(block.data()), block.size(), [](void*, void*) {});
      socket_.send(frame, i + 1 < count ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }

  zmq::socket_t& socket() { return socket_; }

  // True once the CURVE handshake is done (false after 30 s).
  bool WaitUntilConnected() { return WaitFor(ZMQ_EVENT_HANDSHAKE_SUCCEEDED, 30000); }
  // True once the broker has dropped the connection (false after 30 s).
  bool WaitUntilCut() { return WaitFor(ZMQ_EVENT_DISCONNECTED, 30000); }
  // True if the broker has dropped the connection already.
  bool WasCut() { return WaitFor(ZMQ_EVENT_DISCONNECTED, 0); }

 private:
  bool WaitFor(uint16_t wanted, int timeout_ms) {
    monitor_.set(zmq::sockopt::rcvtimeo, timeout_ms);
    zmq::message_t head, address;
    while (monitor_.recv(head)) {
      if (head.more()) (void)monitor_.recv(address);
      uint16_t event = 0;
      if (head.size() >= sizeof event) std::memcpy(&event, head.data(), sizeof event);
      if (event == wanted) return true;
    }
    return false;
  }

  zmq::socket_t socket_;
  zmq::socket_t monitor_;
};

class FloodTest : public ::testing::Test {
 protected:
  // With 64 KiB chunks the broker raises a limit to 17 × 320 KiB (5.3 MiB).
  void StartBroker(const std::string& limits) { c_.StartBroker("0", limits); }

  // Another fresh key is answered (the trust anchor, which any key may read).
  bool OthersAreServed() {
    auto kp = crypto::NewCurveKeyPair();
    wire::ClientOptions o;
    o.endpoint = c_.endpoint();
    o.server_key = c_.broker_key();
    o.public_key = kp->public_z85;
    o.secret_key = kp->secret_z85;
    o.deadline_ms = 20000;
    auto client = wire::Client::Connect(o);
    if (!client.ok()) return false;
    pb::Request trust;
    trust.mutable_get_trust();
    auto reply = (*client)->Call(trust);
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    return reply.ok();
  }

  using Flooders = std::vector<std::unique_ptr<Flooder>>;
  // COUNT peers numbered from FIRST (from SOURCE if given), each expected
  // to finish its handshake.
  Flooders Connected(zmq::context_t* ctx, int first, int count, const std::string& source = "") {
    Flooders peers;
    for (int i = first; i < first + count; ++i) {
      peers.push_back(std::make_unique<Flooder>(ctx, c_.endpoint(), c_.broker_key(), i, source));
      EXPECT_TRUE(peers.back()->WaitUntilConnected()) << "peer " << i;
    }
    return peers;
  }
  // COUNT peers numbered from FIRST, each expected to be disconnected.
  Flooders Refused(zmq::context_t* ctx, int first, int count) {
    Flooders peers;
    for (int i = first; i < first + count; ++i) {
      peers.push_back(std::make_unique<Flooder>(ctx, c_.endpoint(), c_.broker_key(), i));
    }
    for (auto& p : peers) EXPECT_TRUE(p->WaitUntilCut());
    return peers;
  }

  uint64_t BrokerPeakRssKib() { return static_cast<uint64_t>(testing::ProcStatusKb(c_.broker()->pid(), "VmHWM")); }

  Cluster c_;
};

TEST_F(FloodTest, LargeFramesThatNeverEndAreCutAndTheBrokerStaysSmall) {
  StartBroker("max_connection_backlog_bytes: 1048576\n");
  ASSERT_TRUE(OthersAreServed());
  const uint64_t before = BrokerPeakRssKib();
  ASSERT_GT(before, 0u);
  const std::string block(128 << 10, 'x');  // under the broker's frame cap
  zmq::context_t ctx;
  Flooder f(&ctx, c_.endpoint(), c_.broker_key(), 0);
  f.Send(block, 4096);  // 512 MiB
  ASSERT_TRUE(f.WaitUntilCut());
  ASSERT_TRUE(c_.broker()->WaitForErr("connection_cut", 10000));
  const uint64_t after = BrokerPeakRssKib();
  std::printf("broker peak RSS %lu KiB before, %lu KiB after 512 MiB\n", before, after);
  EXPECT_LT(after - before, 128u << 10) << "peak RSS grew from " << before << " KiB to " << after << " KiB";
  EXPECT_EQ(Count(c_.broker()->err(), "\"limit\":\"max_connection_backlog_bytes\""), 1u) << c_.broker()->err();
  EXPECT_TRUE(OthersAreServed());
}

TEST_F(FloodTest, AMillionTinyFramesAreCutToo) {
  StartBroker("max_connection_backlog_bytes: 1048576\n");
  const std::string block(1, 'x');
  zmq::context_t ctx;
  Flooder f(&ctx, c_.endpoint(), c_.broker_key(), 0);
  f.Send(block, 1000000);
  ASSERT_TRUE(f.WaitUntilCut());
  ASSERT_TRUE(c_.broker()->WaitForErr("connection_cut", 10000));
  EXPECT_TRUE(OthersAreServed());
}

// Four peers, each allowed 32 MiB, together allowed 32 MiB: some are cut
// for the total before they reach their own limit. A connection that has
// sent nothing since its handshake, older than all of them, is left be.
TEST_F(FloodTest, ManyConnectionsTogetherAreBoundedToo) {
  StartBroker("max_connection_backlog_bytes: 33554432\nmax_total_backlog_bytes: 33554432\n");
  const uint64_t before = BrokerPeakRssKib();
  const std::string block(128 << 10, 'x');
  zmq::context_t ctx;
  Flooder idle(&ctx, c_.endpoint(), c_.broker_key(), 9);
  ASSERT_TRUE(idle.WaitUntilConnected());
  std::vector<std::unique_ptr<Flooder>> peers;
  for (int i = 0; i < 4; ++i) peers.push_back(std::make_unique<Flooder>(&ctx, c_.endpoint(), c_.broker_key(), i));
  for (auto& p : peers) p->Send(block, 2048);  // 256 MiB each: none finishes before a cut
  for (auto& p : peers) ASSERT_TRUE(p->WaitUntilCut());
  const uint64_t after = BrokerPeakRssKib();
  std::printf("broker peak RSS %lu KiB before, %lu KiB after 4 × 256 MiB\n", before, after);
  EXPECT_LT(after - before, 160u << 10) << "peak RSS grew from " << before << " KiB to " << after << " KiB";
  EXPECT_GE(Count(c_.broker()->err(), "\"limit\":\"max_total_backlog_bytes\""), 1u) << c_.broker()->err();
  EXPECT_TRUE(OthersAreServed());
  EXPECT_FALSE(idle.WasCut());  // after a round trip, so a cut would have shown
}

// 700 whole requests of 60 KiB (42 MB) sent at once on one connection:
// far more than the limit, but each is taken as it comes and counts, so
// nothing is cut and every one is answered.
TEST_F(FloodTest, ManyWholeRequestsAtOnceAreNotCut) {
  StartBroker("max_connection_backlog_bytes: 1048576\n");
  const std::string block(60 << 10, 'x');
  zmq::context_t ctx;
  Flooder f(&ctx, c_.endpoint(), c_.broker_key(), 0);
  zmq::socket_t& s = f.socket();
  pb::Request trust;
  trust.mutable_get_trust();
  const std::string head = trust.SerializeAsString();
  constexpr int kRequests = 700;
  for (int i = 0; i < kRequests; ++i) {
    s.send(zmq::buffer(head), zmq::send_flags::sndmore);
    zmq::message_t frame(const_cast<char*>(block.data()), block.size(), [](void*, void*) {});
    s.send(frame, zmq::send_flags::none);
  }
  s.set(zmq::sockopt::rcvtimeo, 20000);
  int answers = 0;
  for (zmq::message_t m; answers < kRequests && s.recv(m); ++answers) {
    while (m.more()) (void)s.recv(m);
  }
  EXPECT_EQ(answers, kRequests) << c_.broker()->err();
  EXPECT_EQ(Count(c_.broker()->err(), "connection_cut"), 0u) << c_.broker()->err();
}

// A terminal uploading a whole 9.5 MB send at once (window 256 chunks of
// 64 KiB) is not cut.
TEST_F(FloodTest, AWideWindowIsNotCut) {
  StartBroker("max_connection_backlog_bytes: 1048576\n");
  c_.Office("a", "0123456789", "KJ000000000001");
  c_.Office("b", "1299999999", "KJ000000000002");
  std::string yaml = *ReadFile(c_.Sub("a/agent.yaml"));
  yaml.replace(yaml.find("window: 2"), 9, "window: 256");
  ASSERT_TRUE(WriteFileAtomic(c_.Sub("a/agent.yaml"), yaml).ok());
  const std::string path = c_.WriteFile("big.pdf", "%PDF-1.7\n" + testing::RandomHex(4750000));
  auto r = c_.Agent("a", {"send", "--to", "1299999999", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Count(c_.broker()->err(), "connection_cut"), 0u) << c_.broker()->err();
}

// Connections beyond max_connections are disconnected as they come; once
// others have gone, new ones are served again.
TEST_F(FloodTest, ConnectionsBeyondTheLimitAreRefused) {
  StartBroker("max_connections: 3\n");
  zmq::context_t ctx;
  Flooders open = Connected(&ctx, 0, 3);
  Flooders more = Refused(&ctx, 3, 3);
  for (auto& p : open) EXPECT_FALSE(p->WasCut());
  EXPECT_TRUE(c_.broker()->WaitForErr("\"refused_max_connections\"", 10000)) << c_.broker()->err();
  EXPECT_EQ(Count(c_.broker()->err(), "refused_max_connections_per_address"), 0u) << c_.broker()->err();
  EXPECT_EQ(Count(c_.broker()->err(), "connection_cut"), 0u) << c_.broker()->err();
  // Two leave; a client that keeps trying is let in.
  more.clear();
  open.resize(1);
  EXPECT_TRUE(OthersAreServed()) << c_.broker()->err();
}

// One address cannot hold every place: beyond max_connections_per_address
// its connections are disconnected as they come, while another address is
// served, and the first is again once its connections go.
TEST_F(FloodTest, ConnectionsBeyondThePerAddressLimitAreRefused) {
  StartBroker("max_connections_per_address: 2\n");
  zmq::context_t ctx;
  Flooders open = Connected(&ctx, 0, 2);
  Flooders more = Refused(&ctx, 2, 2);
  EXPECT_TRUE(c_.broker()->WaitForErr("\"refused_max_connections_per_address\"", 10000)) << c_.broker()->err();
  // Another address (loopback has many) is let in.
  Flooders elsewhere = Connected(&ctx, 4, 2, "127.0.0.2");
  // The guard takes connections in the order they came: once a later one
  // from the full address is refused, the others were let be for good.
  more = Refused(&ctx, 6, 1);
  for (auto& p : elsewhere) EXPECT_FALSE(p->WasCut());
  for (auto& p : open) EXPECT_FALSE(p->WasCut());
  // One of the first goes; a client that keeps trying from there gets in.
  open.resize(1);
  EXPECT_TRUE(OthersAreServed()) << c_.broker()->err();
}

}  // namespace
}  // namespace tayori
