// tayori-bench refuses flags out of range or malformed with exit status 2
// and names what is allowed, before it starts anything.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/test_util.h"

namespace tayori {
namespace {

struct BadFlags {
  std::vector<std::string> args;
  std::string named;  // in the message
};

TEST(BenchFlagsTest, BadFlagsExitWithStatusTwoAndSayWhatIsAllowed) {
  const std::vector<BadFlags> cases = {
      {{"--groups", "0"}, "--groups must be 1..50"},
      {{"--groups", "51"}, "--groups must be 1..50"},
      {{"--groups", "5", "--small-groups", "6"}, "--small-groups must be 1..groups"},
      {{"--mb", "11"}, "--mb must be 1..10"},
      {{"--kb", "0"}, "--kb must be 1..100000"},
      {{"--kb", "100001"}, "--kb must be 1..100000"},
      {{"--sends", "-3"}, "--sends must be 1..100000"},
      {{"--sends", "100001"}, "--sends must be 1..100000"},
      {{"--scale", "-1"}, "--scale must be 0..1000000"},
      {{"--scale", "1000001"}, "--scale must be 0..1000000"},
      {{"--groups", "many"}, "--groups"},
      {{"--kb", "99999999999999999999"}, "--kb"},
      {{"--workload", "xml"}, "--workload"},
      {{"--no-such-flag"}, "--no-such-flag"},
      {{"--soak", "--soak-agents", "1"}, "--soak-agents must be 2..100000"},
      {{"--soak", "--soak-seconds", "0"}, "--soak-seconds must be 1..86400"},
      {{"--soak", "--soak-seconds", "86401"}, "--soak-seconds must be 1..86400"},
      {{"--soak", "--soak-rate", "0"}, "--soak-rate must be 0.01..1000"},
      {{"--soak", "--soak-rate", "1e300"}, "--soak-rate must be 0.01..1000"},
      {{"--soak", "--soak-rate", "nan"}, "--soak-rate must be 0.01..1000"},
      {{"--soak", "--soak-rate", "inf"}, "--soak-rate must be 0.01..1000"},
      {{"--soak", "--soak-warmup", "-1"}, "--soak-warmup must be 0..100000"},
      {{"--soak", "--soak-warmup", "100001"}, "--soak-warmup must be 0..100000"},
      {{"--soak", "--kb", "200000"}, "--kb must be 1..100000"},
  };
  for (const BadFlags& c : cases) {
    std::string line;
    for (const std::string& a : c.args) line += a + " ";
    SCOPED_TRACE(line);
    testing::RunResult r = testing::Run(testing::BinDir() + "/tayori-bench", c.args, {}, 30000);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(c.named), std::string::npos) << r.err;
    // Refused before anything was measured or started.
    EXPECT_EQ(r.err.find("..."), std::string::npos) << r.err;
  }
}

TEST(BenchFlagsTest, HelpExitsWithStatusZero) {
  testing::RunResult r = testing::Run(testing::BinDir() + "/tayori-bench", {"--help"}, {}, 30000);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--soak-warmup"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace tayori
