// Test support: temp folders, child processes with captured output, and a
// test CA with issued office certificates. Tests only.
#ifndef TAYORI_TESTS_SUPPORT_TEST_UTIL_H_
#define TAYORI_TESTS_SUPPORT_TEST_UTIL_H_

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "common/crypto/test_ca.h"

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
};

// A child process with stdout and stderr on pipes.
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
  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

 private:
  bool WaitFor(int which, const std::string& needle, int timeout_ms);
  bool Pump(int timeout_ms);  // reads what is available; false when both pipes closed

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_, err_;
  bool exited_ = false;
  int status_ = 0;
};

// Runs a program to completion (at most TIMEOUT_MS).
RunResult Run(const std::string& program, const std::vector<std::string>& args,
              const std::map<std::string, std::string>& env = {}, int timeout_ms = 60000);

// Where the built programs are (bin/ of the build tree).
std::string BinDir();

// True if some regular file under DIR contains NEEDLE (its path in *WHERE).
bool TreeContains(const std::string& dir, const std::string& needle, std::string* where);

std::string RandomHex(size_t bytes);

// A CA in a temp folder with helpers to issue office certificates.
class CaFixture {
 public:
  explicit CaFixture(const std::string& dir, int64_t now);
  // Writes DIR/<label>/cert.pem and key.pem; returns the folder.
  std::string Issue(const std::string& label, const std::string& office, const std::string& user,
                    crypto::CertType type, int64_t not_before, int64_t not_after);
  std::string IssueValid(const std::string& label, const std::string& office,
                         const std::string& user, int64_t now);
  crypto::TestCa& ca() { return ca_; }
  std::string ca_pem() const { return dir_ + "/ca.pem"; }
  std::string crl_pem() const { return dir_ + "/crl.pem"; }

 private:
  std::string dir_;
  crypto::TestCa ca_;
};

}  // namespace tayori::testing

#endif  // TAYORI_TESTS_SUPPORT_TEST_UTIL_H_
