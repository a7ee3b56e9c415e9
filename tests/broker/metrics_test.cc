// The metrics endpoint (broker/metrics.h): serves scrapes, refuses bodies
// without buffering them, and is not held up by idle connections.
#include "broker/metrics.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

namespace tayori::broker {
namespace {

int Port(const std::string& host_port) { return std::stoi(host_port.substr(host_port.rfind(':') + 1)); }

TEST(MetricsTest, ServesScrapesAndRefusesBodies) {
  Metrics metrics;
  metrics.SendAccepted(100, 0.01);
  auto endpoint = metrics.Serve("127.0.0.1:0");
  ASSERT_TRUE(endpoint.ok()) << endpoint.status().ToString();
  httplib::Client client("127.0.0.1", Port(*endpoint));
  client.set_read_timeout(10, 0);
  auto got = client.Get("/metrics");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  EXPECT_NE(got->body.find("tayori_sends_total 1"), std::string::npos) << got->body;
  // A large body is refused from its header, not read into memory.
  auto posted = client.Post("/metrics", std::string(64 * 1024, 'x'), "text/plain");
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 413);
}

// Connections refused are counted by the limit that refused them, as one
// counter with a label.
TEST(MetricsTest, RefusedConnectionsAreCountedByLimit) {
  Metrics metrics;
  metrics.ConnectionRefused(true);
  metrics.ConnectionRefused(true);
  metrics.ConnectionRefused(false);
  const std::string text = metrics.Render();
  EXPECT_NE(text.find("tayori_connections_refused_total{limit=\"max_connections\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("tayori_connections_refused_total{limit=\"max_connections_per_address\"} 2\n"), std::string::npos)
      << text;
  const std::string type = "# TYPE tayori_connections_refused_total counter\n";
  ASSERT_NE(text.find(type), std::string::npos) << text;
  EXPECT_EQ(text.find(type, text.find(type) + 1), std::string::npos) << "declared twice:\n" << text;
}

TEST(MetricsTest, IdleConnectionsDoNotStopScrapes) {
  Metrics metrics;
  auto endpoint = metrics.Serve("127.0.0.1:0");
  ASSERT_TRUE(endpoint.ok());
  // More idle connections than the server has workers.
  std::vector<int> idle;
  for (int i = 0; i < 40; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(Port(*endpoint)));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    idle.push_back(fd);
  }
  httplib::Client client("127.0.0.1", Port(*endpoint));
  client.set_connection_timeout(30, 0);
  client.set_read_timeout(30, 0);
  auto got = client.Get("/metrics");
  for (int fd : idle) ::close(fd);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
}

}  // namespace
}  // namespace tayori::broker
