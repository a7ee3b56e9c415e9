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
      {{"--groups", "0"}, "--groups 1..50"},
      {{"--groups", "51"}, "--groups 1..50"},
      {{"--groups", "5", "--small-groups", "6"}, "--small-groups 1..groups"},
      {{"--mb", "11"}, "--mb 1..10"},
      {{"--kb", "0"}, "--kb 1..102400"},
      {{"--kb", "102401"}, "--kb 1..102400"},
      {{"--sends", "-3"}, "--sends positive"},
      {{"--groups", "many"}, "--groups"},
      {{"--kb", "99999999999999999999"}, "--kb"},
      {{"--workload", "xml"}, "--workload"},
      {{"--no-such-flag"}, "--no-such-flag"},
      {{"--soak", "--soak-agents", "1"}, "--soak-agents 2..100000"},
      {{"--soak", "--soak-seconds", "0"}, "--soak-seconds"},
      {{"--soak", "--soak-rate", "0"}, "--soak-rate positive"},
      {{"--soak", "--soak-rate", "nan"}, "--soak-rate positive"},
      {{"--soak", "--soak-rate", "inf"}, "--soak-rate positive"},
      {{"--soak", "--soak-warmup", "-1"}, "--soak-warmup 0..100000"},
      {{"--soak", "--soak-warmup", "100001"}, "--soak-warmup 0..100000"},
      {{"--soak", "--kb", "200000"}, "--kb 1..102400"},
  };
  for (const BadFlags& c : cases) {
    std::string line;
    for (const std::string& a : c.args) line += a + " ";
    SCOPED_TRACE(line);
    testing::RunResult r = testing::Run(testing::BinDir() + "/tayori-bench", c.args, {}, 30000);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(c.named), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("primitives"), std::string::npos) << "measured before refusing: " << r.err;
  }
}

TEST(BenchFlagsTest, HelpExitsWithStatusZero) {
  testing::RunResult r = testing::Run(testing::BinDir() + "/tayori-bench", {"--help"}, {}, 30000);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--soak-warmup"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace tayori
