#include "common/env.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/support/test_util.h"

namespace tayori {
namespace {

TEST(EnvTest, FakeClockMovesOnlyWhenTold) {
  FakeEnv env(1000);
  EXPECT_EQ(env.NowMillis(), 1000);
  env.Advance(90LL * 86400 * 1000);
  EXPECT_EQ(env.NowSeconds(), 1 + 90LL * 86400);
}

TEST(EnvTest, FakeMonotonicClockIsApartFromTheWallClock) {
  FakeEnv env(1000);
  env.Advance(5000);
  EXPECT_EQ(env.MonotonicMillis(), 0);
  env.AdvanceMonotonic(250);
  EXPECT_EQ(env.MonotonicMillis(), 250);
  EXPECT_EQ(env.NowMillis(), 6000);
}

TEST(EnvTest, FilesThroughTheEnv) {
  testing::TempDir dir;
  Env* env = Env::Default();
  const std::string path = dir.Sub("a/b/file");
  ASSERT_TRUE(env->CreateDirs(dir.Sub("a/b"), 0700).ok());
  EXPECT_EQ(env->NewRandomAccessFile(path).status().code(), Code::kNotFound);
  EXPECT_EQ(env->ReadFile(path).status().code(), Code::kNotFound);
  {
    auto f = env->NewWritableFile(path, 0600);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append("hello ").ok());
    ASSERT_TRUE((*f)->Sync().ok());
    ASSERT_TRUE((*f)->Close().ok());
  }
  {
    auto f = env->NewAppendableFile(path, 0600);
    ASSERT_TRUE(f.ok());
    EXPECT_EQ((*f)->Size(), 6u);
    ASSERT_TRUE((*f)->Append("world").ok());
  }
  EXPECT_EQ(*env->ReadFile(path), "hello world");
  EXPECT_EQ(*env->GetFileSize(path), 11u);
  std::string part;
  ASSERT_TRUE((*env->NewRandomAccessFile(path))->Read(6, 100, &part).ok());
  EXPECT_EQ(part, "world");
  ASSERT_TRUE(env->TruncateFile(path, 5).ok());
  EXPECT_EQ(*env->ReadFile(path), "hello");
  ASSERT_TRUE(env->RenameFile(path, dir.Sub("a/moved")).ok());
  EXPECT_FALSE(env->FileExists(path));
  EXPECT_TRUE(env->IsRegularFile(dir.Sub("a/moved")));
  EXPECT_FALSE(env->IsRegularFile(dir.Sub("a/b")));
  EXPECT_EQ(env->GetChildren(dir.Sub("a")), (std::vector<std::string>{"b", "moved"}));
  EXPECT_TRUE(env->GetChildren(dir.Sub("missing")).empty());
  ASSERT_TRUE(env->RemoveFile(dir.Sub("a/moved")).ok());
  EXPECT_EQ(env->RemoveFile(dir.Sub("a/moved")).code(), Code::kNotFound);
  EXPECT_EQ(env->CreateDirs(dir.Sub("a/b/") + "x", 0700).ok(), true);
  ASSERT_TRUE(env->WriteFileAtomic(dir.Sub("plain"), "x").ok());
  EXPECT_EQ(env->CreateDirs(dir.Sub("plain/sub"), 0700).code(), Code::kIoError);
}

TEST(EnvTest, JstDatesCrossMidnightAtNineUtc) {
  // 2026-11-22 14:59:59 UTC is 23:59:59 JST; one second later is the 23rd.
  const int64_t t = 1795359599;
  EXPECT_EQ(JstDateTime(t), "2026-11-22 23:59");
  EXPECT_EQ(JstDate(t + 1), "2026-11-23");
}

TEST(EnvTest, ParseDateRejectsGarbage) {
  EXPECT_TRUE(ParseDate("2027-11-20").ok());
  EXPECT_EQ(DayToDate(*ParseDate("2024-02-29")), "2024-02-29");
  for (const char* bad : {"", "2027-13-01", "2027-02-30", "20271120", "2027-1-01", "abcd-ef-gh", "2027-11-20x"}) {
    auto d = ParseDate(bad);
    EXPECT_FALSE(d.ok()) << bad;
    if (!d.ok()) {
      EXPECT_EQ(d.status().reason(), "bad_date");
    }
  }
}

TEST(EnvTest, LicenceYearEndsTheDayBeforeTheAnniversary) {
  EXPECT_EQ(DayToDate(OneYearEnd(*ParseDate("2026-11-21"))), "2027-11-20");
  EXPECT_EQ(DayToDate(OneYearEnd(*ParseDate("2024-02-29"))), "2025-02-27");
}

TEST(EnvTest, DurationsAsConfigFilesWriteThem) {
  EXPECT_EQ(*ParseDuration("90d"), 90 * 86400);
  EXPECT_EQ(*ParseDuration("12h"), 12 * 3600);
  EXPECT_EQ(*ParseDuration("30m"), 1800);
  EXPECT_EQ(*ParseDuration("3s"), 3);
  for (const char* bad : {"", "d", "90", "90x", "-3s", "1.5h", "9999999999999d", " 3s"}) {
    EXPECT_FALSE(ParseDuration(bad).ok()) << bad;
  }
  EXPECT_EQ(FormatDuration(90 * 86400), "90d");
  EXPECT_EQ(FormatDuration(90), "90s");
}

TEST(EnvTest, AtomicWriteReplacesWholeFile) {
  testing::TempDir dir;
  const std::string path = dir.Sub("a/b/file");
  ASSERT_TRUE(MakeDirs(dir.Sub("a/b")).ok());
  ASSERT_TRUE(WriteFileAtomic(path, "first").ok());
  ASSERT_TRUE(WriteFileAtomic(path, "second").ok());
  EXPECT_EQ(*ReadFile(path), "second");
  EXPECT_EQ(ListDir(dir.Sub("a/b")), std::vector<std::string>{"file"});  // no temporary left
  EXPECT_FALSE(ReadFile(dir.Sub("missing")).ok());
  EXPECT_FALSE(WriteFileAtomic(dir.Sub("no/such/dir/file"), "x").ok());
}

// Writers racing on one file (two screens saving, an agent and a service)
// each leave a whole file: the result is one of theirs, never a mixture.
TEST(EnvTest, AtomicWritesRacingOnOneFileLeaveOneWholeFile) {
  testing::TempDir dir;
  const std::string path = dir.Sub("state");
  std::vector<std::thread> writers;
  std::atomic<int> failed{0};
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      const std::string content(64 * 1024, static_cast<char>('a' + w));
      for (int i = 0; i < 50; ++i) {
        if (!WriteFileAtomic(path, content).ok()) ++failed;
      }
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(failed.load(), 0);
  const std::string got = *ReadFile(path);
  ASSERT_EQ(got.size(), 64u * 1024);
  EXPECT_EQ(got.find_first_not_of(got[0]), std::string::npos);
  EXPECT_EQ(ListDir(dir.path()), std::vector<std::string>{"state"});
}

}  // namespace
TEST(EnvTest, ReadFileReadsEverySizeWhole) {
  testing::TempDir dir;
  for (size_t size :
       {size_t{0}, size_t{1}, size_t{4095}, size_t{1} << 20, (size_t{1} << 20) + 1, 3 * (size_t{1} << 20) + 7}) {
    std::string content(size, '\0');
    for (size_t i = 0; i < size; ++i) content[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
    const std::string path = dir.Sub("f" + std::to_string(size));
    ASSERT_TRUE(WriteFileAtomic(path, content).ok());
    auto got = Env::Default()->ReadFile(path);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->size(), size);
    EXPECT_TRUE(*got == content) << "size " << size;
  }
}

// A file that only knows Read: ReadTo's default goes through it.
class StringFile : public RandomAccessFile {
 public:
  explicit StringFile(std::string data) : data_(std::move(data)) {}
  Status Read(uint64_t offset, size_t n, std::string* out) const override {
    *out = offset >= data_.size() ? "" : data_.substr(static_cast<size_t>(offset), n);
    return Status::Ok();
  }

 private:
  const std::string data_;
};

TEST(EnvTest, ReadToReadsStraightIntoTheCallersBuffer) {
  testing::TempDir dir;
  const std::string content = testing::RandomHex(3 * 4096 + 11);
  const std::string path = dir.Sub("f");
  ASSERT_TRUE(WriteFileAtomic(path, content).ok());
  auto system = Env::Default()->NewRandomAccessFile(path);
  ASSERT_TRUE(system.ok());
  const StringFile plain(content);
  const std::vector<const RandomAccessFile*> files = {system->get(), &plain};
  for (const RandomAccessFile* f : files) {
    std::string buf(content.size() + 100, '#');
    size_t got = 99;
    ASSERT_TRUE(f->ReadTo(5, 4096, buf.data(), &got).ok());
    EXPECT_EQ(got, 4096u);
    EXPECT_EQ(buf.substr(0, got), content.substr(5, 4096));
    EXPECT_EQ(buf[got], '#') << "wrote past what it read";
    // Fewer at the end of the file, none past it.
    ASSERT_TRUE(f->ReadTo(content.size() - 3, 100, buf.data(), &got).ok());
    EXPECT_EQ(got, 3u);
    EXPECT_EQ(buf.substr(0, 3), content.substr(content.size() - 3));
    ASSERT_TRUE(f->ReadTo(content.size() + 10, 100, buf.data(), &got).ok());
    EXPECT_EQ(got, 0u);
  }
}

}  // namespace tayori
