#include "tests/support/postgres_server.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <vector>

namespace tayori::testing {
namespace {

// Runs PROGRAM with ARGS as UID/GID, output to LOG; returns its pid.
pid_t Spawn(const std::vector<std::string>& args, uid_t uid, gid_t gid, const std::string& log) {
  // Everything the child needs is made before fork: it may not allocate.
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  ::setpgid(0, 0);  // its own group: Crash() stops the server with its backends
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
  }
  if (::getuid() == 0 && (::setgid(gid) != 0 || ::setuid(uid) != 0)) ::_exit(126);
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

int Wait(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The newest installed PostgreSQL's programs, or "".
std::string FindBin() {
  std::string best;
  int best_version = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    const int v = std::atoi(e.path().filename().c_str());
    if (v > best_version && ::access((e.path() / "bin/initdb").c_str(), X_OK) == 0) {
      best_version = v;
      best = (e.path() / "bin").string();
    }
  }
  return best;
}

}  // namespace

StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Start() {
  std::unique_ptr<PostgresServer> s(new PostgresServer());
  s->bin_ = FindBin();
  if (s->bin_.empty()) {
    return FailedPrecondition("postgres_missing", "PostgreSQL is not installed (apt-get install postgresql-15)");
  }
  s->uid_ = ::getuid();
  s->gid_ = ::getgid();
  if (s->uid_ == 0) {
    const struct passwd* pw = ::getpwnam("postgres");
    if (pw == nullptr) return FailedPrecondition("postgres_missing", "running as root and there is no postgres user");
    s->uid_ = pw->pw_uid;
    s->gid_ = pw->pw_gid;
  }
  std::string tmpl = (std::filesystem::temp_directory_path() / "tayori-pg-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return IoError("mkdtemp failed");
  s->dir_ = tmpl;
  if (::chown(s->dir_.c_str(), s->uid_, s->gid_) != 0 && ::getuid() == 0) return IoError("chown " + s->dir_);
  const std::string log = s->dir_ + "/server.log";
  const int rc = Wait(Spawn({s->bin_ + "/initdb", "-D", s->dir_ + "/data", "-U", "tayori", "-A", "trust", "-E", "UTF8",
                             "--locale=C", "--no-sync", "--no-instructions"},
                            s->uid_, s->gid_, log));
  if (rc != 0) return Internal("initdb failed (exit " + std::to_string(rc) + "); see " + log);
  RETURN_IF_ERROR(s->Launch());
  return s;
}

Status PostgresServer::Launch() {
  const std::string log = dir_ + "/server.log";
  // Durable as in production (fsync on): the tests may crash it.
  pid_ = Spawn({bin_ + "/postgres", "-D", dir_ + "/data", "-k", dir_, "-c", "listen_addresses=", "-p", "5432", "-c",
                "max_connections=40", "-c", "shared_buffers=16MB"},
               uid_, gid_, log);
  const std::string info = conninfo();
  for (int i = 0; i < 600; ++i) {  // up to 30 s for start-up (and crash recovery)
    if (PQping(info.c_str()) == PQPING_OK) return Status::Ok();
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return Internal("postgres exited at start; see " + log);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Internal("postgres did not answer within 30 s; see " + log);
}

PostgresServer::~PostgresServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGQUIT);  // immediate shutdown: nothing to keep
    Wait(pid_);
  }
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

std::string PostgresServer::conninfo(const std::string& dbname) const {
  return "host=" + dir_ + " port=5432 user=tayori dbname=" + dbname + " connect_timeout=5";
}

Status PostgresServer::CreateDatabase(const std::string& name) { return CreatePostgresDatabase(conninfo(), name); }

Status CreatePostgresDatabase(const std::string& conninfo, const std::string& name) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    const std::string why = PQerrorMessage(c);
    PQfinish(c);
    return Internal("cannot connect: " + why);
  }
  PGresult* r = PQexec(c, ("CREATE DATABASE " + name).c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  const std::string why = PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(c);
  return ok ? Status::Ok() : Internal("CREATE DATABASE " + name + ": " + why);
}

void PostgresServer::Crash() {
  if (pid_ <= 0) return;
  // The postmaster and its backends at once, as a power cut would stop them.
  ::kill(-pid_, SIGKILL);
  Wait(pid_);
  pid_ = -1;
}

Status PostgresServer::Restart() { return Launch(); }

}  // namespace tayori::testing
