// The fault-injecting Env that the durability tests rely on: its faults
// happen, and a power cut keeps exactly what was synced.
#include "tests/support/fault_env.h"

#include <gtest/gtest.h>

#include "tests/support/test_util.h"

namespace tayori::testing {
namespace {

TEST(FaultEnvTest, FailedFsyncLeavesTheOldVersion) {
  TempDir dir;
  FaultInjectionEnv env(Env::Default());
  const std::string path = dir.Sub("record");
  ASSERT_TRUE(env.WriteFileAtomic(path, "old").ok());
  env.FailSyncs(true);
  Status st = env.WriteFileAtomic(path, "new");
  EXPECT_EQ(st.code(), Code::kIoError);
  EXPECT_NE(st.detail().find("fsync"), std::string::npos) << st.ToString();
  EXPECT_EQ(*env.ReadFile(path), "old");
  EXPECT_FALSE(env.FileExists(path + ".tmp"));
  env.FailSyncs(false);
  EXPECT_TRUE(env.WriteFileAtomic(path, "new").ok());
  EXPECT_EQ(*env.ReadFile(path), "new");
}

TEST(FaultEnvTest, FullDiskFailsAppendsAndLosesNothing) {
  TempDir dir;
  FaultInjectionEnv env(Env::Default());
  const std::string path = dir.Sub("record");
  ASSERT_TRUE(env.WriteFileAtomic(path, "old").ok());
  env.SetSpaceLeft(10);
  Status st = env.WriteFileAtomic(path, std::string(100, 'x'));
  EXPECT_EQ(st.code(), Code::kIoError);
  EXPECT_NE(st.detail().find("No space"), std::string::npos);
  EXPECT_EQ(*env.ReadFile(path), "old");
  env.SetSpaceLeft(-1);
  EXPECT_TRUE(env.WriteFileAtomic(path, std::string(100, 'x')).ok());
}

TEST(FaultEnvTest, PowerLossKeepsWhatWasSynced) {
  TempDir dir;
  FaultInjectionEnv env(Env::Default());
  // Atomically written (file and folder synced): survives.
  ASSERT_TRUE(env.WriteFileAtomic(dir.Sub("durable"), "kept").ok());
  // Synced, then more appended without a sync: the tail goes.
  {
    auto f = env.NewWritableFile(dir.Sub("log"), 0600);
    ASSERT_TRUE((*f)->Append("synced").ok());
    ASSERT_TRUE((*f)->Sync().ok());
    ASSERT_TRUE((*f)->Append(" lost").ok());
  }
  ASSERT_TRUE(env.SyncDir(dir.path()).ok());
  // Created but its folder never synced: gone.
  {
    auto f = env.NewWritableFile(dir.Sub("new"), 0600);
    ASSERT_TRUE((*f)->Append("x").ok());
    ASSERT_TRUE((*f)->Sync().ok());
  }
  // Renamed over an old version without a folder sync: the old one returns.
  {
    auto f = env.NewWritableFile(dir.Sub("durable.tmp"), 0600);
    ASSERT_TRUE((*f)->Append("replacement").ok());
    ASSERT_TRUE((*f)->Sync().ok());
  }
  ASSERT_TRUE(env.RenameFile(dir.Sub("durable.tmp"), dir.Sub("durable")).ok());
  EXPECT_EQ(*env.ReadFile(dir.Sub("durable")), "replacement");

  ASSERT_TRUE(env.DropUnsyncedData().ok());
  EXPECT_EQ(*env.ReadFile(dir.Sub("durable")), "kept");
  EXPECT_EQ(*env.ReadFile(dir.Sub("log")), "synced");
  EXPECT_FALSE(env.FileExists(dir.Sub("new")));
}

}  // namespace
}  // namespace tayori::testing
