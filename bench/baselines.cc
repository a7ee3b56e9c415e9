#include "bench/baselines.h"

#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "common/env.h"
#include "tests/support/test_util.h"

namespace tayori::bench {
namespace {

double Now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

int FreePort() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

}  // namespace

// Seconds for scp (aes128-gcm) of FILES to a private sshd on loopback; <0 if unavailable.
double ScpSeconds(const std::vector<std::string>& files, const std::string& dir) {
  if (::access("/usr/sbin/sshd", X_OK) != 0 || ::access("/usr/bin/scp", X_OK) != 0) return -1;
  const std::string d = dir + "/ssh";
  if (!MakeDirs(d, 0700).ok() || !MakeDirs("/run/sshd", 0755).ok()) return -1;
  for (const char* k : {"host", "client"}) {
    testing::RunResult r = testing::Run("/usr/bin/ssh-keygen", {"-q", "-t", "ed25519", "-N", "", "-f", d + "/" + k});
    if (r.exit_code != 0) return -1;
  }
  std::filesystem::copy_file(d + "/client.pub", d + "/authorized_keys");
  const int port = FreePort();
  const Status config =
      WriteFileAtomic(d + "/sshd_config", "Port " + std::to_string(port) + "\nListenAddress 127.0.0.1\nHostKey " + d +
                                              "/host\nAuthorizedKeysFile " + d +
                                              "/authorized_keys\nPasswordAuthentication no\n"
                                              "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
                                              "PermitRootLogin prohibit-password\nPidFile " +
                                              d +
                                              "/sshd.pid\n"
                                              "Subsystem sftp internal-sftp\nCiphers aes128-gcm@openssh.com\n");
  if (!config.ok()) return -1;
  testing::Process sshd("/usr/sbin/sshd", {"-D", "-e", "-f", d + "/sshd_config"});
  const std::string dest = dir + "/dest";
  if (!MakeDirs(dest).ok()) return -1;
  const struct passwd* pw = ::getpwuid(::getuid());
  std::vector<std::string> args = {
      "-q", "-B",          "-c", "aes128-gcm@openssh.com",   "-P", std::to_string(port),
      "-i", d + "/client", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"};
  args.insert(args.end(), files.begin(), files.end());
  args.push_back(std::string(pw ? pw->pw_name : "root") + "@127.0.0.1:" + dest + "/");
  // sshd needs a moment to listen: retry the connection, not a fixed sleep.
  for (int attempt = 0; attempt < 50; ++attempt) {
    testing::RunResult probe =
        testing::Run("/usr/bin/ssh", {"-q", "-p", std::to_string(port), "-i", d + "/client", "-o", "BatchMode=yes",
                                      "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                                      std::string(pw ? pw->pw_name : "root") + "@127.0.0.1", "true"});
    if (probe.exit_code == 0) break;
    if (attempt == 49) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const double t0 = Now();
  testing::RunResult r = testing::Run("/usr/bin/scp", args, {}, 3600 * 1000);
  const double seconds = Now() - t0;
  sshd.Kill(SIGTERM);
  return r.exit_code == 0 ? seconds : -1;
}

// Seconds for dd conv=fsync of FILES (one dd each, like one commit per send).
double DdSeconds(const std::vector<std::string>& files, const std::string& dir) {
  const std::string dest = dir + "/dest";
  if (!MakeDirs(dest).ok()) return -1;
  const double t0 = Now();
  for (const auto& f : files) {
    testing::RunResult r = testing::Run(
        "/bin/dd", {"if=" + f, "of=" + dest + "/" + f.substr(f.rfind('/') + 1), "bs=1M", "conv=fsync", "status=none"});
    if (r.exit_code != 0) return -1;
  }
  return Now() - t0;
}

}  // namespace tayori::bench
