// Integration: a peer that sends frame after frame and never finishes its
// request, against the real tayori-broker. libzmq holds such a message
// whole before the broker sees it; the broker cuts the connection once it is
// past max_connection_backlog_bytes, stays small, and serves the others.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <zmq.hpp>

#include "common/crypto/curve.h"
#include "common/wire/client.h"
#include "tests/support/cluster.h"
#include "tests/support/test_util.h"

namespace tayori {
namespace {

using testing::Cluster;

// Peak resident memory of process PID, in KiB.
uint64_t PeakRssKib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6));
  }
  return 0;
}

class FloodTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // With 64 KiB chunks the broker raises the limit to 17 × 320 KiB.
    c_.StartBroker("0", "max_connection_backlog_bytes: 1048576\n");
  }

  // Sends one message of COUNT frames of SIZE bytes, all views of one
  // buffer, from a fresh (unenrolled) key, and waits for the connection to
  // drop. False if it stays up for 30 s.
  bool FloodUntilCut(int count, size_t size) {
    auto kp = crypto::NewCurveKeyPair();
    EXPECT_TRUE(kp.ok());
    zmq::context_t ctx;
    zmq::socket_t s(ctx, zmq::socket_type::dealer);
    s.set(zmq::sockopt::curve_serverkey, c_.broker_key());
    s.set(zmq::sockopt::curve_publickey, kp->public_z85);
    s.set(zmq::sockopt::curve_secretkey, kp->secret_z85);
    s.set(zmq::sockopt::linger, 0);
    s.set(zmq::sockopt::reconnect_ivl, -1);
    EXPECT_EQ(zmq_socket_monitor(s.handle(), "inproc://flood", ZMQ_EVENT_DISCONNECTED), 0);
    zmq::socket_t monitor(ctx, zmq::socket_type::pair);
    monitor.set(zmq::sockopt::rcvtimeo, 30000);
    monitor.connect("inproc://flood");
    s.connect(c_.endpoint());
    const std::string block(size, 'x');
    for (int i = 0; i < count; ++i) {
      zmq::message_t frame(const_cast<char*>(block.data()), block.size(), [](void*, void*) {});
      s.send(frame, i + 1 < count ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
    zmq::message_t event;
    const bool cut = monitor.recv(event).has_value();
    zmq_socket_monitor(s.handle(), nullptr, 0);
    return cut;
  }

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

  size_t CutsLogged() {
    const std::string err = c_.broker()->err();
    size_t n = 0;
    for (size_t at = err.find("connection_cut"); at != std::string::npos; at = err.find("connection_cut", at + 1)) ++n;
    return n;
  }

  Cluster c_;
};

TEST_F(FloodTest, LargeFramesThatNeverEndAreCutAndTheBrokerStaysSmall) {
  ASSERT_TRUE(OthersAreServed());
  const uint64_t before = PeakRssKib(c_.broker()->pid());
  ASSERT_GT(before, 0u);
  // 512 MiB in frames of 128 KiB, each under the broker's frame cap.
  ASSERT_TRUE(FloodUntilCut(4096, 128 << 10));
  const uint64_t after = PeakRssKib(c_.broker()->pid());
  EXPECT_LT(after - before, 128u << 10) << "peak RSS grew from " << before << " KiB to " << after << " KiB";
  EXPECT_EQ(CutsLogged(), 1u) << c_.broker()->err();
  EXPECT_TRUE(OthersAreServed());
}

TEST_F(FloodTest, AMillionTinyFramesAreCutToo) {
  ASSERT_TRUE(FloodUntilCut(1000000, 1));
  EXPECT_EQ(CutsLogged(), 1u) << c_.broker()->err();
  EXPECT_TRUE(OthersAreServed());
}

// A terminal uploading a whole send at once (window 256: 10 MB in flight,
// more than the limit) is held back by the broker's queue, not cut.
TEST_F(FloodTest, AWideWindowIsNotCut) {
  c_.Office("a", "0123456789", "KJ000000000001");
  c_.Office("b", "1299999999", "KJ000000000002");
  std::string yaml = *ReadFile(c_.Sub("a/agent.yaml"));
  yaml.replace(yaml.find("window: 2"), 9, "window: 256");
  ASSERT_TRUE(WriteFileAtomic(c_.Sub("a/agent.yaml"), yaml).ok());
  const std::string path = c_.WriteFile("big.pdf", "%PDF-1.7\n" + testing::RandomHex(4900000));
  auto r = c_.Agent("a", {"send", "--to", "1299999999", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(CutsLogged(), 0u) << c_.broker()->err();
}

}  // namespace
}  // namespace tayori
