#include "broker/config.h"

#include <gtest/gtest.h>

namespace tayori::broker {
namespace {

TEST(BrokerConfigTest, EmptyConfigGivesDefaults) {
  auto o = ParseBrokerConfig("");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->endpoint, "tcp://127.0.0.1:7701");
  EXPECT_EQ(o->max_files, 7u);
  EXPECT_EQ(o->max_send_bytes, 10ull << 20);
}

TEST(BrokerConfigTest, ShippedConfigStatesTheDefaults) {
  auto shipped = LoadBrokerConfig(std::string(TAYORI_SOURCE_DIR) + "/config/broker.yaml");
  ASSERT_TRUE(shipped.ok()) << shipped.status().ToString();
  BrokerOptions d;
  EXPECT_EQ(shipped->endpoint, d.endpoint);
  EXPECT_EQ(shipped->admin_endpoint, d.admin_endpoint);
  EXPECT_EQ(shipped->data_dir, d.data_dir);
  EXPECT_EQ(shipped->max_chunk_bytes, d.max_chunk_bytes);
  EXPECT_EQ(shipped->max_send_bytes, d.max_send_bytes);
  EXPECT_EQ(shipped->max_files, d.max_files);
  EXPECT_EQ(shipped->io_threads, d.io_threads);
  EXPECT_EQ(shipped->retention_seconds, d.retention_seconds);
  EXPECT_EQ(shipped->expired_keep_seconds, d.expired_keep_seconds);
  EXPECT_EQ(shipped->upload_timeout_seconds, d.upload_timeout_seconds);
  EXPECT_EQ(shipped->sweep_interval_seconds, d.sweep_interval_seconds);
  EXPECT_EQ(shipped->lease_seconds, d.lease_seconds);
  EXPECT_EQ(shipped->metrics_endpoint, d.metrics_endpoint);
  EXPECT_EQ(shipped->max_connection_backlog_bytes, d.max_connection_backlog_bytes);
  EXPECT_EQ(shipped->max_total_backlog_bytes, d.max_total_backlog_bytes);
  EXPECT_EQ(shipped->max_connections, d.max_connections);
  EXPECT_EQ(shipped->max_connections_per_address, d.max_connections_per_address);
}

TEST(BrokerConfigTest, ReadsEveryKey) {
  auto o = ParseBrokerConfig(
      "endpoint: tcp://127.0.0.1:0\nadmin_endpoint: tcp://127.0.0.1:0\ndata_dir: /d\n"
      "ca_cert: /c.pem\nca_crl: /crl.pem\nmax_chunk_bytes: 65536\nmax_send_bytes: 1000\n"
      "max_files: 3\nio_threads: 1\nretention: 3s\nexpired_keep: 2h\nupload_timeout: 1d\n"
      "sweep_interval: 1s\nlease: 30m\nmetrics_endpoint: 127.0.0.1:0\n"
      "public_endpoint: tcp://broker.example.jp:7701\nmax_connection_backlog_bytes: 33554432\n"
      "max_total_backlog_bytes: 67108864\nmax_connections: 500\nmax_connections_per_address: 20\n");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->data_dir, "/d");
  EXPECT_EQ(o->public_endpoint, "tcp://broker.example.jp:7701");
  EXPECT_EQ(o->max_chunk_bytes, 65536u);
  EXPECT_EQ(o->max_files, 3u);
  EXPECT_EQ(o->retention_seconds, 3);
  EXPECT_EQ(o->expired_keep_seconds, 7200);
  EXPECT_EQ(o->upload_timeout_seconds, 86400);
  EXPECT_EQ(o->lease_seconds, 1800);
  EXPECT_EQ(o->max_connection_backlog_bytes, 32u << 20);
  EXPECT_EQ(o->max_total_backlog_bytes, 64u << 20);
  EXPECT_EQ(o->max_connections, 500u);
  EXPECT_EQ(o->max_connections_per_address, 20u);
}

TEST(BrokerConfigTest, GarbageIsRefusedNamingTheKey) {
  struct Case {
    const char* yaml;
    const char* names;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"endpoint: [unclosed", "not YAML"},
           {"- a\n- b\n", "map"},
           {"endpont: tcp://x:1\n", "endpont"},
           {"max_files: many\n", "max_files"},
           {"max_files: 0\n", "max_files"},
           {"max_chunk_bytes: 12\n", "max_chunk_bytes"},
           {"endpoint: http://x\n", "endpoint"},
           {"io_threads: -3\n", "io_threads"},
           {"max_connection_backlog_bytes: 0\n", "max_connection_backlog_bytes"},
           {"max_connection_backlog_bytes: -1\n", "max_connection_backlog_bytes"},
           {"max_connection_backlog_bytes: lots\n", "max_connection_backlog_bytes"},
           {"max_total_backlog_bytes: 1048576\n", "max_total_backlog_bytes"},
           {"max_connections: 0\n", "max_connections"},
           {"max_connections: -5\n", "max_connections"},
           {"max_connections: many\n", "max_connections"},
           {"max_connections_per_address: 0\n", "max_connections_per_address"},
           {"max_connections_per_address: -1\n", "max_connections_per_address"},
           {"max_connections_per_address: 1e3\n", "max_connections_per_address"},
           {"retention: forever\n", "retention"},
           {"retention: 0s\n", "retention"},
           {"retention: 90\n", "retention"},
           {"sweep_interval: [1]\n", "sweep_interval"},
           {"metrics_endpoint: nowhere\n", "metrics_endpoint"},
           {"public_endpoint: tcp://0.0.0.0:7701\n", "public_endpoint"},
           {"public_endpoint: tcp://broker.example.jp:0\n", "public_endpoint"},
           {"public_endpoint: broker.example.jp\n", "public_endpoint"},
           {"\x01\x02\x03", ""},
       }) {
    auto o = ParseBrokerConfig(c.yaml);
    ASSERT_FALSE(o.ok()) << c.yaml;
    EXPECT_EQ(o.status().reason(), "config_invalid");
    EXPECT_NE(o.status().detail().find(c.names), std::string::npos) << o.status().detail();
  }
  EXPECT_EQ(LoadBrokerConfig("/no/such/file.yaml").status().reason(), "config_invalid");
}

}  // namespace
}  // namespace tayori::broker
