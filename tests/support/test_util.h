// Test support: temp folders, child processes with captured output, and a
// test CA with issued office certificates. Tests only.
#ifndef TAYORI_TESTS_SUPPORT_TEST_UTIL_H_
#define TAYORI_TESTS_SUPPORT_TEST_UTIL_H_

#include <sys/resource.h>
#include <sys/types.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/crypto/test_ca.h"
#include "common/wire/client.h"

namespace tayori::testing {

// A fresh folder under $TMPDIR, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct RunResult {
  int exit_code = -1;  // -1: killed or did not finish
  std::string out;
  std::string err;
  double cpu_seconds = 0;  // user + system
  long max_rss_kb = 0;     // peak resident set
};

// A child process with stdout and stderr on pipes, read continuously by a
// thread of its own (a child never blocks on a full pipe).
class Process {
 public:
  // Starts PROGRAM (a path) with ARGS; ENV entries are added to ours.
  Process(const std::string& program, const std::vector<std::string>& args,
          const std::map<std::string, std::string>& env = {});
  ~Process();  // kills the child if still running

  // Reads until a line of stdout (or stderr) containing NEEDLE arrives;
  // false on EOF or after TIMEOUT_MS. Lines read are kept in out()/err().
  bool WaitForOut(const std::string& needle, int timeout_ms);
  bool WaitForErr(const std::string& needle, int timeout_ms);
  void Kill(int signal);
  // Waits for exit, collecting the rest of the output.
  RunResult Finish(int timeout_ms);
  pid_t pid() const { return pid_; }
  // What the child printed so far.
  const std::string& out();
  const std::string& err();

 private:
  bool WaitFor(int which, const std::string& needle, int timeout_ms);
  void ReadLoop();

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string out_, err_;            // guarded by mu_
  std::string out_copy_, err_copy_;  // snapshots returned by out()/err()
  bool eof_ = false;                 // guarded by mu_
  std::thread reader_;
  bool exited_ = false;
  int status_ = 0;
  struct rusage usage_ {};
};

// Runs a program to completion (at most TIMEOUT_MS).
RunResult Run(const std::string& program, const std::vector<std::string>& args,
              const std::map<std::string, std::string>& env = {}, int timeout_ms = 60000);

// Where the built programs are: bin/ of the build tree, or
// $TAYORI_TEST_BIN_DIR when set (scripts/syscall-audit.sh wraps them there).
std::string BinDir();
// FIELD of /proc/PID/status in kB (VmRSS, VmHWM, ...); -1 if absent.
long ProcStatusKb(pid_t pid, const std::string& field);

// True if some regular file under DIR contains NEEDLE (its path in *WHERE).
bool TreeContains(const std::string& dir, const std::string& needle, std::string* where);

std::string RandomHex(size_t bytes);

// A raw wire client on the connection identity of the terminal set up in
// HOME (its CURVE key), for sending what a well-behaved agent never would.
std::unique_ptr<wire::Client> ConnectAs(const std::string& home, const std::string& endpoint,
                                        const std::string& server_key, int deadline_ms = 10000);

// A CA in a temp folder with helpers to issue office certificates.
class CaFixture {
 public:
  explicit CaFixture(const std::string& dir, int64_t now);
  // Writes DIR/<label>/cert.pem and key.pem; returns the folder.
  std::string Issue(const std::string& label, const std::string& office, const std::string& user, crypto::CertType type,
                    int64_t not_before, int64_t not_after);
  std::string IssueValid(const std::string& label, const std::string& office, const std::string& user, int64_t now);
  crypto::TestCa& ca() { return ca_; }
  std::string ca_pem() const { return dir_ + "/ca.pem"; }
  std::string crl_pem() const { return dir_ + "/crl.pem"; }

 private:
  std::string dir_;
  crypto::TestCa ca_;
};

}  // namespace tayori::testing

#endif  // TAYORI_TESTS_SUPPORT_TEST_UTIL_H_
