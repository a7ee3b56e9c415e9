// The Windows side of Env and the port layer (env_windows.cc,
// port_windows.cc), built by scripts/build-windows.sh and run under wine by
// tests/windows/wine_test.sh: Japanese paths, the POSIX-like sharing that
// durability code expects, owner-only files, and the helpers.
#include <windows.h>
// windows.h first.
#include <aclapi.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "common/env.h"
#include "common/port/port.h"
#include "common/port/utf16.h"

namespace tayori {
namespace {

// Wine (which runs these tests on Linux) keeps no access lists and has no
// rename with POSIX semantics; what depends on them runs on Windows only.
bool UnderWine() {
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  return ntdll != nullptr && GetProcAddress(ntdll, "wine_get_version") != nullptr;
}

// A fresh folder with a Japanese name under %TEMP%, removed afterwards.
class WindowsEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    wchar_t buf[MAX_PATH + 1];
    const DWORD n = GetTempPathW(MAX_PATH + 1, buf);
    ASSERT_GT(n, 0u);
    dir_ = port::Narrow(std::wstring_view(buf, n)) + "tayori-テスト-" + std::to_string(GetCurrentProcessId()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    ASSERT_TRUE(env_.CreateDirs(dir_ + "/受信/12月", 0755).ok());
  }
  void TearDown() override { RemoveTree(dir_); }

  void RemoveTree(const std::string& dir) {
    for (const std::string& name : env_.GetChildren(dir)) {
      const std::string path = dir + "\\" + name;
      if (env_.IsRegularFile(path)) {
        (void)env_.RemoveFile(path);
      } else {
        RemoveTree(path);
      }
    }
    (void)env_.RemoveDir(dir);
  }

  SystemEnv env_;
  std::string dir_;
};

TEST_F(WindowsEnvTest, JapaneseNamesRoundTrip) {
  const std::string path = dir_ + "/受信/12月/アセスメント票.pdf";
  ASSERT_TRUE(env_.WriteFileAtomic(path, "%PDF-1.7 本文").ok());
  auto back = env_.ReadFile(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, "%PDF-1.7 本文");
  EXPECT_EQ(env_.GetChildren(dir_ + "/受信/12月"), std::vector<std::string>{"アセスメント票.pdf"});
  // The same file through the wide API: the name on disk is the real one.
  EXPECT_NE(GetFileAttributesW(port::WidePath(path).c_str()), INVALID_FILE_ATTRIBUTES);
  EXPECT_EQ(*env_.GetFileSize(path), std::string("%PDF-1.7 本文").size());
}

TEST_F(WindowsEnvTest, RenameReplacesAFile) {
  const std::string path = dir_ + "/state.pb";
  ASSERT_TRUE(env_.WriteFileAtomic(path, "old").ok());
  ASSERT_TRUE(env_.WriteFileAtomic(path, "new").ok());
  EXPECT_EQ(*env_.ReadFile(path), "new");
  EXPECT_EQ(env_.GetChildren(dir_), (std::vector<std::string>{"state.pb", "受信"}));  // no temporary left
  ASSERT_TRUE(env_.WriteFileAtomic(dir_ + "/other", "x").ok());
  ASSERT_TRUE(env_.RenameFile(dir_ + "/other", path).ok());
  EXPECT_EQ(*env_.ReadFile(path), "x");
  EXPECT_EQ(env_.RenameFile(dir_ + "/other", path).reason(), "not_found");
}

TEST_F(WindowsEnvTest, RenameReplacesAFileThatIsOpenForReading) {
  if (UnderWine()) GTEST_SKIP() << "wine has no rename with POSIX semantics (Windows 10 1709 and later)";
  const std::string path = dir_ + "/state.pb";
  ASSERT_TRUE(env_.WriteFileAtomic(path, "old").ok());
  auto reader = env_.NewRandomAccessFile(path);
  ASSERT_TRUE(reader.ok());
  // What every durable write does: a temporary file renamed over the old one.
  Status st = env_.WriteFileAtomic(path, "new");
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(*env_.ReadFile(path), "new");
  std::string got;
  ASSERT_TRUE((*reader)->Read(0, 3, &got).ok());
  EXPECT_EQ(got, "old");  // the open handle still reads what it opened
}

TEST_F(WindowsEnvTest, AppendTruncateAndReadAtOffsets) {
  const std::string path = dir_ + "/journal";
  {
    auto f = env_.NewAppendableFile(path, 0644);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append("abc").ok());
    ASSERT_TRUE((*f)->Sync().ok());
    ASSERT_TRUE((*f)->Close().ok());
  }
  {
    auto f = env_.NewAppendableFile(path, 0644);
    ASSERT_TRUE(f.ok());
    EXPECT_EQ((*f)->Size(), 3u);
    ASSERT_TRUE((*f)->Append("defgh").ok());
    ASSERT_TRUE((*f)->Sync().ok());
  }
  auto r = env_.NewRandomAccessFile(path);
  ASSERT_TRUE(r.ok());
  std::string got;
  ASSERT_TRUE((*r)->Read(2, 4, &got).ok());
  EXPECT_EQ(got, "cdef");
  ASSERT_TRUE((*r)->Read(6, 100, &got).ok());
  EXPECT_EQ(got, "gh");  // fewer only at the end
  char buf[128];
  std::memset(buf, '#', sizeof buf);
  size_t n = 99;
  ASSERT_TRUE((*r)->ReadTo(5, 100, buf, &n).ok());  // straight into the caller's memory
  EXPECT_EQ(std::string(buf, n), "fgh");
  EXPECT_EQ(buf[n], '#');
  ASSERT_TRUE(env_.TruncateFile(path, 4).ok());
  EXPECT_EQ(*env_.ReadFile(path), "abcd");
  EXPECT_GT(*env_.GetFileModificationNanos(path), int64_t{1700000000} * 1000000000);
}

TEST_F(WindowsEnvTest, MissingFilesAreNotFound) {
  EXPECT_EQ(env_.NewRandomAccessFile(dir_ + "/none").status().reason(), "not_found");
  EXPECT_EQ(env_.GetFileSize(dir_ + "/none/x").status().reason(), "not_found");
  EXPECT_EQ(env_.RemoveFile(dir_ + "/none").reason(), "not_found");
  EXPECT_FALSE(env_.FileExists(dir_ + "/none"));
  EXPECT_TRUE(env_.GetChildren(dir_ + "/none").empty());
  EXPECT_FALSE(env_.SyncDir(dir_ + "/none").ok());
  EXPECT_TRUE(env_.SyncDir(dir_).ok());
}

TEST_F(WindowsEnvTest, CreateDirsTakesDriveLettersAndBothSeparators) {
  const std::string deep = dir_ + "\\a/b\\c";
  ASSERT_TRUE(env_.CreateDirs(deep, 0755).ok());
  EXPECT_TRUE(env_.FileExists(deep));
  EXPECT_FALSE(env_.IsRegularFile(deep));
  ASSERT_TRUE(env_.WriteFileAtomic(dir_ + "/file", "x").ok());
  EXPECT_FALSE(env_.CreateDirs(dir_ + "/file", 0755).ok());  // exists, not a folder
}

// What mode 0600 means on Windows: one access entry, for the owner, and
// nothing inherited from the folder.
TEST_F(WindowsEnvTest, OwnerOnlyFilesHaveOneProtectedEntry) {
  if (UnderWine()) GTEST_SKIP() << "wine accepts access lists but keeps none";
  const std::string path = dir_ + "/key.pem";
  ASSERT_TRUE(env_.WriteFileAtomic(path, "secret", 0600).ok());
  PACL dacl = nullptr;
  PSECURITY_DESCRIPTOR sd = nullptr;
  ASSERT_EQ(GetNamedSecurityInfoW(port::WidePath(path).c_str(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, nullptr,
                                  nullptr, &dacl, nullptr, &sd),
            static_cast<DWORD>(ERROR_SUCCESS));
  ASSERT_NE(dacl, nullptr);
  EXPECT_EQ(dacl->AceCount, 1);
  SECURITY_DESCRIPTOR_CONTROL control = 0;
  DWORD revision = 0;
  ASSERT_TRUE(GetSecurityDescriptorControl(sd, &control, &revision));
  EXPECT_TRUE(control & SE_DACL_PROTECTED);
  LocalFree(sd);
  EXPECT_EQ(*env_.ReadFile(path), "secret");
}

TEST(WindowsPortTest, PathsTakeBackslashesAndDriveLetters) {
  EXPECT_TRUE(port::IsAbsolutePath("C:\\Users\\x"));
  EXPECT_TRUE(port::IsAbsolutePath("c:/x"));
  EXPECT_TRUE(port::IsAbsolutePath("\\\\server\\share\\x"));
  EXPECT_FALSE(port::IsAbsolutePath("C:x"));
  EXPECT_FALSE(port::IsAbsolutePath("書類\\x.csv"));
  EXPECT_EQ(DirName("C:\\書類\\利用票.csv"), "C:\\書類");
  EXPECT_EQ(BaseName("C:\\書類\\利用票.csv"), "利用票.csv");
  EXPECT_EQ(BaseName("Z:/tmp/a.pdf"), "a.pdf");
  EXPECT_TRUE(port::IsAbsolutePath(port::AbsolutePath("書類\\x.csv")));
  // Shown to staff as Windows writes paths.
  EXPECT_EQ(port::DisplayPath("C:\\Users\\x/tayori/agent"), "C:\\Users\\x\\tayori\\agent");
}

TEST(WindowsPortTest, StateLivesUnderLocalAppData) {
  SetEnvironmentVariableW(L"LOCALAPPDATA", L"C:\\Users\\さくら\\AppData\\Local");
  EXPECT_EQ(port::UserStateBase(), "C:\\Users\\さくら\\AppData\\Local");
  EXPECT_EQ(DefaultStateDir(), "C:\\Users\\さくら\\AppData\\Local/tayori");
}

TEST(WindowsPortTest, Utf16RoundTripsAndRefusesBrokenUtf8) {
  EXPECT_EQ(port::Narrow(port::Widen("居宅介護支援事業所")), "居宅介護支援事業所");
  EXPECT_EQ(port::WidePath("a/b/c"), L"a\\b\\c");
  EXPECT_TRUE(port::Widen("\xff\xfe").empty());
}

TEST(WindowsPortTest, CodePage932DecodesAndPointsAtTheBadByte) {
  port::Cp932ToUtf8 cp932;
  std::string utf8;
  size_t bad = 99;
  // 利用票 in Shift_JIS, then a lead byte without its trail byte.
  ASSERT_TRUE(cp932.Convert("\x97\x98\x97\x70\x95\x5b", &utf8, &bad));
  EXPECT_EQ(utf8, "利用票");
  EXPECT_FALSE(cp932.Convert(std::string("ab\x97\x98\x85", 5), &utf8, &bad));
  EXPECT_EQ(bad, 4u);
}

TEST(WindowsPortTest, PagesAreZeroedAndWritable) {
  char* p = static_cast<char*>(port::AllocatePages(1 << 20));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p[12345], 0);
  p[12345] = 'x';
  port::FreePages(p, 1 << 20);
}

}  // namespace
}  // namespace tayori
