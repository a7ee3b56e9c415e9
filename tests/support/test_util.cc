#include "tests/support/test_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <sodium.h>

#include "common/crypto/curve.h"
#include "common/env.h"
#include "common/ids.h"

extern char** environ;

namespace tayori::testing {
namespace {

int64_t MonoMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

crypto::TestCa OpenCa(const std::string& dir, int64_t now) {
  Status st = crypto::TestCa::Init(dir, now);
  if (!st.ok()) throw std::runtime_error(st.ToString());
  auto ca = crypto::TestCa::Open(dir);
  if (!ca.ok()) throw std::runtime_error(ca.status().ToString());
  return std::move(ca).value();
}

}  // namespace

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/tayori-test-XXXXXX";
  char* made = ::mkdtemp(tmpl.data());
  if (made == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Process::Process(const std::string& program, const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    for (const auto& kv : env) ::setenv(kv.first.c_str(), kv.second.c_str(), 1);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(program.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(program.c_str(), argv.data());
    std::fprintf(stderr, "exec %s failed: %s\n", program.c_str(), std::strerror(errno));
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
  reader_ = std::thread([this] { ReadLoop(); });
}

Process::~Process() {
  if (!exited_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
  }
  if (reader_.joinable()) reader_.join();
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

void Process::ReadLoop() {
  bool out_open = true, err_open = true;
  while (out_open || err_open) {
    struct pollfd fds[2];
    int n = 0;
    if (out_open) fds[n++] = {out_fd_, POLLIN, 0};
    if (err_open) fds[n++] = {err_fd_, POLLIN, 0};
    if (::poll(fds, static_cast<nfds_t>(n), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < n; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      const bool is_out = fds[i].fd == out_fd_;
      if (got <= 0) {
        (is_out ? out_open : err_open) = false;
        continue;
      }
      std::lock_guard<std::mutex> lock(mu_);
      (is_out ? out_ : err_).append(buf, static_cast<size_t>(got));
      cv_.notify_all();
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  eof_ = true;
  cv_.notify_all();
}

const std::string& Process::out() {
  std::lock_guard<std::mutex> lock(mu_);
  out_copy_ = out_;
  return out_copy_;
}

const std::string& Process::err() {
  std::lock_guard<std::mutex> lock(mu_);
  err_copy_ = err_;
  return err_copy_;
}

bool Process::WaitFor(int which, const std::string& needle, int timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
    return (which == 1 ? out_ : err_).find(needle) != std::string::npos || eof_;
  }) && (which == 1 ? out_ : err_).find(needle) != std::string::npos;
}

bool Process::WaitForOut(const std::string& needle, int timeout_ms) { return WaitFor(1, needle, timeout_ms); }
bool Process::WaitForErr(const std::string& needle, int timeout_ms) { return WaitFor(2, needle, timeout_ms); }

void Process::Kill(int signal) {
  if (!exited_ && pid_ > 0) ::kill(pid_, signal);
}

RunResult Process::Finish(int timeout_ms) {
  const int64_t end = MonoMs() + timeout_ms;
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return eof_; });
  }
  RunResult r;
  if (!exited_) {
    while (MonoMs() < end) {
      pid_t got = ::wait4(pid_, &status_, WNOHANG, &usage_);
      if (got == pid_) {
        exited_ = true;
        break;
      }
      struct timespec ts {
        0, 10 * 1000 * 1000
      };
      ::nanosleep(&ts, nullptr);  // polling for the child's exit, not waiting for time
    }
  }
  if (!exited_) {
    ::kill(pid_, SIGKILL);
    ::wait4(pid_, &status_, 0, &usage_);
    exited_ = true;
    status_ = -1;
  }
  if (reader_.joinable()) reader_.join();
  r.exit_code = status_ != -1 && WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  r.cpu_seconds =
      usage_.ru_utime.tv_sec + usage_.ru_utime.tv_usec / 1e6 + usage_.ru_stime.tv_sec + usage_.ru_stime.tv_usec / 1e6;
  r.max_rss_kb = usage_.ru_maxrss;
  std::lock_guard<std::mutex> lock(mu_);
  r.out = out_;
  r.err = err_;
  return r;
}

RunResult Run(const std::string& program, const std::vector<std::string>& args,
              const std::map<std::string, std::string>& env, int timeout_ms) {
  Process p(program, args, env);
  return p.Finish(timeout_ms);
}

long ProcStatusKb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  }
  return -1;
}

std::string BinDir() {
  const char* dir = std::getenv("TAYORI_TEST_BIN_DIR");
  return dir != nullptr && *dir != '\0' ? dir : TAYORI_BIN_DIR;
}

bool TreeContains(const std::string& dir, const std::string& needle, std::string* where) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    auto data = ReadFile(entry.path().string());
    if (data.ok() && data->find(needle) != std::string::npos) {
      if (where != nullptr) *where = entry.path().string();
      return true;
    }
  }
  return false;
}

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  return ToHex(raw);
}

std::unique_ptr<wire::Client> ConnectAs(const std::string& home, const std::string& endpoint,
                                        const std::string& server_key, int deadline_ms) {
  auto secret = ReadFile(home + "/keys/curve.key");
  if (!secret.ok()) throw std::runtime_error("no terminal in " + home);
  std::string sk = *secret;
  while (!sk.empty() && (sk.back() == '\n' || sk.back() == '\r')) sk.pop_back();
  wire::ClientOptions o;
  o.endpoint = endpoint;
  o.server_key = server_key;
  o.public_key = *crypto::CurvePublicFromSecret(sk);
  o.secret_key = sk;
  o.attempt_timeout_ms = 1000;
  o.deadline_ms = deadline_ms;
  auto client = wire::Client::Connect(o);
  if (!client.ok()) throw std::runtime_error(client.status().ToString());
  return std::move(client).value();
}

CaFixture::CaFixture(const std::string& dir, int64_t now) : dir_(dir), ca_(OpenCa(dir, now)) {}

std::string CaFixture::Issue(const std::string& label, const std::string& office, const std::string& user,
                             crypto::CertType type, int64_t not_before, int64_t not_after) {
  auto issued = ca_.Issue({office, user, type, not_before, not_after});
  if (!issued.ok()) throw std::runtime_error(issued.status().ToString());
  const std::string out = dir_ + "/" + label;
  if (!MakeDirs(out).ok() || !WriteFileAtomic(out + "/cert.pem", issued->cert_pem).ok() ||
      !WriteFileAtomic(out + "/key.pem", issued->key_pem, 0600).ok()) {
    throw std::runtime_error("cannot write issued certificate");
  }
  return out;
}

std::string CaFixture::IssueValid(const std::string& label, const std::string& office, const std::string& user,
                                  int64_t now) {
  return Issue(label, office, user, crypto::CertType::kCareInsurance, now - 3600, now + 365 * 86400LL);
}

}  // namespace tayori::testing
