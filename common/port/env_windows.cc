// Env's files and clocks on Windows (env.h), with the Win32 API's wide
// functions: every path is UTF-8 inside tayori and UTF-16 here, so Japanese
// file names work whatever the system's code page.
//
// Durability on NTFS: WritableFile::Sync is FlushFileBuffers (data and the
// file's own metadata); RenameFile renames with POSIX semantics and then
// flushes the renamed file, or else (older Windows, other file systems) is
// MoveFileExW with MOVEFILE_WRITE_THROUGH, which returns once the rename is
// on disk. Windows has no fsync of a folder, so SyncDir only checks that
// the folder exists.
// Files are opened with FILE_SHARE_DELETE so that, as on POSIX, a file may
// be renamed over or removed while another handle reads it. A file or
// folder created with a mode that gives nothing to group and others (0600,
// 0700) gets an access list that lets in its owner alone.
#include <windows.h>
// windows.h first: the headers below need its types.
#include <aclapi.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "common/env.h"
#include "common/port/utf16.h"

namespace tayori {
namespace {

using port::Narrow;
using port::WidePath;

Status WinError(const std::string& what, const std::string& path, DWORD err = GetLastError()) {
  const std::string detail = what + " " + path + ": Windows error " + std::to_string(err);
  if (err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND) return NotFound("not_found", detail);
  return IoError(detail);
}

// Only the user running tayori (its owner) may read or write PATH, as mode
// 0600 or 0700 says on POSIX: a protected access list, nothing inherited.
Status RestrictToOwner(const std::string& path) {
  HANDLE token = nullptr;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) return WinError("cannot read the user of", path);
  alignas(TOKEN_USER) unsigned char buf[512];
  DWORD len = 0;
  const BOOL got = GetTokenInformation(token, TokenUser, buf, sizeof buf, &len);
  CloseHandle(token);
  if (!got) return WinError("cannot read the user of", path);
  const auto* user = reinterpret_cast<const TOKEN_USER*>(buf);

  EXPLICIT_ACCESSW access{};
  access.grfAccessPermissions = GENERIC_ALL;
  access.grfAccessMode = SET_ACCESS;
  access.grfInheritance = SUB_CONTAINERS_AND_OBJECTS_INHERIT;
  access.Trustee.TrusteeForm = TRUSTEE_IS_SID;
  access.Trustee.TrusteeType = TRUSTEE_IS_USER;
  access.Trustee.ptstrName = static_cast<LPWSTR>(user->User.Sid);
  PACL acl = nullptr;
  DWORD rc = SetEntriesInAclW(1, &access, nullptr, &acl);
  if (rc != ERROR_SUCCESS) return WinError("cannot build the access list of", path, rc);
  std::wstring wide = WidePath(path);
  rc = SetNamedSecurityInfoW(wide.data(), SE_FILE_OBJECT,
                             DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, nullptr, nullptr, acl,
                             nullptr);
  LocalFree(acl);
  if (rc != ERROR_SUCCESS) return WinError("cannot restrict access to", path, rc);
  return Status::Ok();
}

bool OwnerOnly(int mode) { return (mode & 077) == 0; }

class WindowsWritableFile : public WritableFile {
 public:
  WindowsWritableFile(std::string path, HANDLE h, uint64_t size) : path_(std::move(path)), h_(h), size_(size) {}
  ~WindowsWritableFile() override {
    if (h_ != INVALID_HANDLE_VALUE) CloseHandle(h_);
  }
  Status Append(std::string_view data) override {
    size_t off = 0;
    while (off < data.size()) {
      const DWORD want = static_cast<DWORD>(std::min<size_t>(data.size() - off, 1u << 30));
      DWORD wrote = 0;
      if (!WriteFile(h_, data.data() + off, want, &wrote, nullptr)) return WinError("cannot write", path_);
      off += wrote;
    }
    size_ += data.size();
    return Status::Ok();
  }
  Status Sync() override {
    if (!FlushFileBuffers(h_)) return WinError("cannot flush", path_);
    return Status::Ok();
  }
  Status Close() override {
    if (h_ == INVALID_HANDLE_VALUE) return Status::Ok();
    const BOOL ok = CloseHandle(h_);
    h_ = INVALID_HANDLE_VALUE;
    if (!ok) return WinError("cannot close", path_);
    return Status::Ok();
  }
  uint64_t Size() const override { return size_; }

 private:
  const std::string path_;
  HANDLE h_;
  uint64_t size_;
};

class WindowsRandomAccessFile : public RandomAccessFile {
 public:
  WindowsRandomAccessFile(std::string path, HANDLE h) : path_(std::move(path)), h_(h) {}
  ~WindowsRandomAccessFile() override { CloseHandle(h_); }
  // ReadFile at an offset given in OVERLAPPED: each call names its own
  // offset, so concurrent reads do not disturb one another.
  Status Read(uint64_t offset, size_t n, std::string* out) const override {
    out->resize(n);
    size_t got = 0;
    Status st = ReadTo(offset, n, out->data(), &got);
    out->resize(got);
    return st;
  }
  Status ReadTo(uint64_t offset, size_t n, char* dst, size_t* got) const override {
    *got = 0;
    while (*got < n) {
      OVERLAPPED at{};
      const uint64_t pos = offset + *got;
      at.Offset = static_cast<DWORD>(pos);
      at.OffsetHigh = static_cast<DWORD>(pos >> 32);
      const DWORD want = static_cast<DWORD>(std::min<size_t>(n - *got, 1u << 30));
      DWORD read = 0;
      if (!ReadFile(h_, dst + *got, want, &read, &at)) {
        if (GetLastError() == ERROR_HANDLE_EOF) break;
        return WinError("cannot read", path_);
      }
      if (read == 0) break;
      *got += read;
    }
    return Status::Ok();
  }

 private:
  const std::string path_;
  const HANDLE h_;
};

constexpr DWORD kShareAll = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;

// Windows 10 1709's rename with POSIX semantics, which the headers declare
// only for later targets than the Windows 10 that tayori builds for.
constexpr auto kFileRenameInfoEx = static_cast<FILE_INFO_BY_HANDLE_CLASS>(22);
constexpr DWORD kRenameReplaceIfExists = 0x1;
constexpr DWORD kRenamePosixSemantics = 0x2;

StatusOr<std::unique_ptr<WritableFile>> OpenWritable(const std::string& path, bool append, int mode) {
  const std::wstring wide = WidePath(path);
  if (wide.empty()) return InvalidArgument("bad_path", "not a valid file name: " + path);
  HANDLE h = CreateFileW(wide.c_str(), GENERIC_WRITE, kShareAll, nullptr, append ? OPEN_ALWAYS : CREATE_ALWAYS,
                         FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) return WinError("cannot create", path);
  LARGE_INTEGER size{};
  if (!GetFileSizeEx(h, &size) || (append && !SetFilePointerEx(h, LARGE_INTEGER{}, nullptr, FILE_END))) {
    Status s = WinError("cannot open", path);
    CloseHandle(h);
    return s;
  }
  if (OwnerOnly(mode)) {
    Status s = RestrictToOwner(path);
    if (!s.ok()) {
      CloseHandle(h);
      return s;
    }
  }
  return std::unique_ptr<WritableFile>(new WindowsWritableFile(path, h, static_cast<uint64_t>(size.QuadPart)));
}

bool Attributes(const std::string& path, WIN32_FILE_ATTRIBUTE_DATA* data) {
  const std::wstring wide = WidePath(path);
  return !wide.empty() && GetFileAttributesExW(wide.c_str(), GetFileExInfoStandard, data);
}

}  // namespace

StatusOr<std::unique_ptr<RandomAccessFile>> SystemEnv::NewRandomAccessFile(const std::string& path) {
  const std::wstring wide = WidePath(path);
  if (wide.empty()) return InvalidArgument("bad_path", "not a valid file name: " + path);
  HANDLE h = CreateFileW(wide.c_str(), GENERIC_READ, kShareAll, nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) return WinError("cannot open", path);
  return std::unique_ptr<RandomAccessFile>(new WindowsRandomAccessFile(path, h));
}

StatusOr<std::unique_ptr<WritableFile>> SystemEnv::NewWritableFile(const std::string& path, int mode) {
  return OpenWritable(path, false, mode);
}

StatusOr<std::unique_ptr<WritableFile>> SystemEnv::NewAppendableFile(const std::string& path, int mode) {
  return OpenWritable(path, true, mode);
}

Status SystemEnv::TruncateFile(const std::string& path, uint64_t size) {
  HANDLE h = CreateFileW(WidePath(path).c_str(), GENERIC_WRITE, kShareAll, nullptr, OPEN_EXISTING,
                         FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) return WinError("cannot truncate", path);
  LARGE_INTEGER at{};
  at.QuadPart = static_cast<LONGLONG>(size);
  const BOOL ok = SetFilePointerEx(h, at, nullptr, FILE_BEGIN) && SetEndOfFile(h);
  const DWORD err = GetLastError();
  CloseHandle(h);
  if (!ok) return WinError("cannot truncate", path, err);
  return Status::Ok();
}

StatusOr<uint64_t> SystemEnv::GetFileSize(const std::string& path) {
  WIN32_FILE_ATTRIBUTE_DATA data{};
  if (!Attributes(path, &data)) return WinError("cannot stat", path);
  return (static_cast<uint64_t>(data.nFileSizeHigh) << 32) | data.nFileSizeLow;
}

StatusOr<int64_t> SystemEnv::GetFileModificationNanos(const std::string& path) {
  WIN32_FILE_ATTRIBUTE_DATA data{};
  if (!Attributes(path, &data)) return WinError("cannot stat", path);
  // FILETIME: 100 ns ticks since 1601-01-01.
  const int64_t ticks = static_cast<int64_t>((static_cast<uint64_t>(data.ftLastWriteTime.dwHighDateTime) << 32) |
                                             data.ftLastWriteTime.dwLowDateTime);
  constexpr int64_t kEpochTicks = 116444736000000000;  // 1970-01-01
  return (ticks - kEpochTicks) * 100;
}

Status SystemEnv::RenameFile(const std::string& from, const std::string& to) {
  const std::wstring wide_from = WidePath(from);
  const std::wstring wide_to = WidePath(to);
  // POSIX semantics first (Windows 10 1709 and later, on NTFS): TO is
  // replaced even while another handle has it open, as rename(2) does;
  // then FlushFileBuffers commits the rename with the file.
  HANDLE h = CreateFileW(wide_from.c_str(), DELETE | GENERIC_WRITE, kShareAll, nullptr, OPEN_EXISTING,
                         FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h != INVALID_HANDLE_VALUE) {
    std::vector<char> buf(sizeof(FILE_RENAME_INFO) + wide_to.size() * sizeof(wchar_t));
    auto* info = reinterpret_cast<FILE_RENAME_INFO*>(buf.data());
    const DWORD flags = kRenameReplaceIfExists | kRenamePosixSemantics;  // a DWORD where ReplaceIfExists was
    std::memcpy(info, &flags, sizeof flags);
    info->RootDirectory = nullptr;
    info->FileNameLength = static_cast<DWORD>(wide_to.size() * sizeof(wchar_t));
    std::memcpy(info->FileName, wide_to.data(), info->FileNameLength);
    const bool renamed =
        SetFileInformationByHandle(h, kFileRenameInfoEx, info, static_cast<DWORD>(buf.size())) && FlushFileBuffers(h);
    CloseHandle(h);
    if (renamed) return Status::Ok();
  }
  // Older Windows and other file systems: a write-through move, which
  // returns once the rename is on disk. It fails while TO is open
  // elsewhere, so a reader that has it open for a moment is waited for
  // (up to a second).
  for (int attempt = 0;; ++attempt) {
    if (MoveFileExW(wide_from.c_str(), wide_to.c_str(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
      return Status::Ok();
    }
    const DWORD err = GetLastError();
    if ((err != ERROR_ACCESS_DENIED && err != ERROR_SHARING_VIOLATION) || attempt == 100) {
      return WinError("cannot rename " + from + " onto", to, err);
    }
    Sleep(10);
  }
}

Status SystemEnv::RemoveFile(const std::string& path) {
  if (!DeleteFileW(WidePath(path).c_str())) return WinError("cannot remove", path);
  return Status::Ok();
}

Status SystemEnv::RemoveDir(const std::string& dir) {
  if (!RemoveDirectoryW(WidePath(dir).c_str())) return WinError("cannot remove directory", dir);
  return Status::Ok();
}

Status SystemEnv::SyncDir(const std::string& dir) {
  WIN32_FILE_ATTRIBUTE_DATA data{};
  if (!Attributes(dir, &data)) return WinError("cannot open directory", dir);
  if (!(data.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) return IoError("not a directory: " + dir);
  return Status::Ok();
}

Status SystemEnv::CreateDirs(const std::string& dir, int mode) {
  if (dir.empty()) return Status::Ok();
  // Each prefix ending before a separator, then DIR itself; "C:", "\\" and
  // the server and share of a UNC path exist or do not, they are not made.
  DWORD last_error = 0;
  bool created = false;
  for (size_t pos = 0; pos <= dir.size(); ++pos) {
    if (pos < dir.size() && dir[pos] != '/' && dir[pos] != '\\') continue;
    const std::string partial = dir.substr(0, pos);
    if (partial.empty() || partial.back() == ':' || partial.back() == '/' || partial.back() == '\\') continue;
    if (CreateDirectoryW(WidePath(partial).c_str(), nullptr)) {
      created = pos == dir.size();
    } else if (GetLastError() != ERROR_ALREADY_EXISTS) {
      last_error = GetLastError();
    }
  }
  WIN32_FILE_ATTRIBUTE_DATA data{};
  if (!Attributes(dir, &data))
    return WinError("cannot create directory", dir, last_error ? last_error : GetLastError());
  if (!(data.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) return IoError("not a directory: " + dir);
  if (created && OwnerOnly(mode)) return RestrictToOwner(dir);
  return Status::Ok();
}

bool SystemEnv::FileExists(const std::string& path) {
  WIN32_FILE_ATTRIBUTE_DATA data{};
  return Attributes(path, &data);
}

bool SystemEnv::IsRegularFile(const std::string& path) {
  WIN32_FILE_ATTRIBUTE_DATA data{};
  return Attributes(path, &data) && !(data.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY);
}

std::vector<std::string> SystemEnv::GetChildren(const std::string& dir) {
  std::vector<std::string> names;
  const std::wstring pattern = WidePath(dir) + L"\\*";
  WIN32_FIND_DATAW found{};
  HANDLE h = FindFirstFileExW(pattern.c_str(), FindExInfoBasic, &found, FindExSearchNameMatch, nullptr, 0);
  if (h == INVALID_HANDLE_VALUE) return names;
  do {
    std::string name = Narrow(found.cFileName);
    if (!name.empty() && name != "." && name != "..") names.push_back(std::move(name));
  } while (FindNextFileW(h, &found));
  FindClose(h);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace tayori
