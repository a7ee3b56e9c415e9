#include "agent/config.h"

#include <gtest/gtest.h>

#include "common/env.h"

namespace tayori::agent {
namespace {

AgentConfig Valid() {
  AgentConfig c;
  c.broker = "tcp://127.0.0.1:7701";
  c.broker_key = std::string(40, 'a');
  c.office = "0123456789";
  c.user_id = "KJ000000000001";
  return c;
}

TEST(AgentConfigTest, FormatThenParseRoundTrips) {
  AgentConfig c = Valid();
  c.lang = Lang::kEn;
  c.window = 3;
  auto back = ParseAgentConfig(FormatAgentConfig(c));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->office, "0123456789");  // stays text, leading zero kept
  EXPECT_EQ(back->lang, Lang::kEn);
  EXPECT_FALSE(ParseAgentConfig(FormatAgentConfig(Valid()))->lang.has_value());
  EXPECT_EQ(back->window, 3u);
  c.handoff.export_dir = "/srv/kaigo/出力";
  c.handoff.import_dir = "/srv/kaigo/取込";
  c.handoff.import_kinds = {"registration"};
  c.handoff.quiet_s = 2;
  back = ParseAgentConfig(FormatAgentConfig(c));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->handoff.export_dir, "/srv/kaigo/出力");
  EXPECT_EQ(back->handoff.import_dir, "/srv/kaigo/取込");
  EXPECT_EQ(back->handoff.import_kinds, std::set<std::string>{"registration"});
  EXPECT_EQ(back->handoff.quiet_s, 2);
}

// The commented hand-off block of config/agent.yaml, uncommented, is valid
// and states the defaults.
TEST(AgentConfigTest, ShippedHandoffExampleStatesTheDefaults) {
  std::string text = *ReadFile(std::string(TAYORI_SOURCE_DIR) + "/config/agent.yaml");
  const size_t at = text.find("# handoff:");
  ASSERT_NE(at, std::string::npos);
  std::string block;
  for (size_t pos = at; pos < text.size();) {
    const size_t end = text.find('\n', pos);
    std::string line = text.substr(pos, end - pos);
    pos = end == std::string::npos ? text.size() : end + 1;
    if (line.rfind("# ", 0) != 0) break;
    line = line.substr(2);
    if (line.find("#") != std::string::npos && line.find("#") == line.find_first_not_of(' ')) continue;
    block += line + "\n";
  }
  auto c = ParseAgentConfig(FormatAgentConfig(Valid()) + block);
  ASSERT_TRUE(c.ok()) << c.status().ToString() << "\n" << block;
  AgentConfig::Handoff d;
  EXPECT_FALSE(c->handoff.export_dir.empty());
  EXPECT_EQ(c->handoff.import_kinds, d.import_kinds);
  EXPECT_EQ(c->handoff.quiet_s, d.quiet_s);
  EXPECT_EQ(c->handoff.unit_wait_s, d.unit_wait_s);
}

TEST(AgentConfigTest, ShippedConfigStatesTheDefaults) {
  auto text = ReadFile(std::string(TAYORI_SOURCE_DIR) + "/config/agent.yaml");
  ASSERT_TRUE(text.ok());
  auto shipped = ParseAgentConfig(*text);
  ASSERT_TRUE(shipped.ok()) << shipped.status().ToString();
  AgentConfig d;
  EXPECT_EQ(shipped->lang, Lang::kJa);  // shown set in the sample; unset by default
  EXPECT_FALSE(d.lang.has_value());
  EXPECT_EQ(shipped->chunk_size, d.chunk_size);
  EXPECT_EQ(shipped->window, d.window);
  EXPECT_EQ(shipped->attempt_timeout_s, d.attempt_timeout_s);
  EXPECT_EQ(shipped->timeout_s, d.timeout_s);
  EXPECT_EQ(shipped->listen, d.listen);
  EXPECT_EQ(shipped->download_dir, d.download_dir);
}

TEST(AgentConfigTest, SeveralBrokersAreAListOrCommaSeparated) {
  const std::string rest =
      "broker_key: \"" + std::string(40, 'a') + "\"\noffice: '0123456789'\nuser_id: KJ000000000001\n";
  auto listed = ParseAgentConfig("broker: [tcp://b1:7701, tcp://b2:7701]\n" + rest);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(listed->broker, "tcp://b1:7701,tcp://b2:7701");
  auto back = ParseAgentConfig(FormatAgentConfig(*listed));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->broker, listed->broker);
  std::string many = "broker: [";
  for (int i = 0; i < 17; ++i) many += (i ? ", " : "") + std::string("tcp://b:") + std::to_string(7000 + i);
  for (const std::string& bad : {std::string("broker: [tcp://b1:7701, ftp://b2]\n"), std::string("broker: []\n"),
                                 std::string("broker: tcp://b1:7701,\n"), std::string("broker: [tcp://]\n"),
                                 std::string("broker: tcp://0.0.0.0:7701\n"), many + "]\n"}) {
    auto c = ParseAgentConfig(bad + rest);
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_NE(c.status().detail().find("broker"), std::string::npos) << c.status().detail();
  }
}

TEST(AgentConfigTest, GarbageIsRefusedNamingTheKey) {
  const std::string good = FormatAgentConfig(Valid());
  for (const auto& [yaml, key] : std::vector<std::pair<std::string, std::string>>{
           {"{", "YAML"},
           {"just text", "map"},
           {good + "colour: blue\n", "colour"},
           {good + "window: 0\n", "window"},
           {good + "chunk_size: lots\n", "chunk_size"},
           {good + "lang: fr\n", "lang"},
           {good + "listen: 0.0.0.0:7780\n", "listen"},
           {good + "listen: 127.0.0.1:http\n", "listen"},
           {good + "download_dir: relative/path\n", "download_dir"},
           {good + "handoff: /srv/x\n", "handoff"},
           {good + "handoff:\n  export_dir: relative\n", "handoff"},
           {good + "handoff:\n  export_dir: /a\n  import_dir: /a\n", "handoff"},
           {good + "handoff:\n  import_kinds: [everything]\n", "handoff.import_kinds"},
           {good + "handoff:\n  quiet_s: 0\n", "handoff.quiet_s"},
           {good + "handoff:\n  quiet_s: 10\n  unit_wait_s: 5\n", "handoff.unit_wait_s"},
           {good + "handoff:\n  watch: yes\n", "handoff.watch"},
           // A Z85 key beginning with '>' reads as a folded block: the error says to quote it.
           {"broker: tcp://x:1\nbroker_key: >" + std::string(39, 'a') +
                "\noffice: '0123456789'\nuser_id: KJ000000000001\n",
            "double quotes"},
           {"broker: tcp://x:1\nbroker_key: short\noffice: '0123456789'\nuser_id: KJ000000000001\n", "broker_key"},
       }) {
    auto c = ParseAgentConfig(yaml);
    ASSERT_FALSE(c.ok()) << yaml;
    EXPECT_EQ(c.status().reason(), "config_invalid");
    EXPECT_NE(c.status().detail().find(key), std::string::npos) << c.status().detail();
  }
}

}  // namespace
}  // namespace tayori::agent
