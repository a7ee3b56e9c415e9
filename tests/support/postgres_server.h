// PostgresServer: a throwaway PostgreSQL server for tests. initdb into a
// temporary folder, then postgres listening only on a Unix socket in that
// folder (no TCP port), stopped and deleted with the object. PostgreSQL
// refuses to run as root: as root, both run as the `postgres` user that
// Debian's package creates. Any thread may call conninfo(); one owner.
#ifndef TAYORI_TESTS_SUPPORT_POSTGRES_SERVER_H_
#define TAYORI_TESTS_SUPPORT_POSTGRES_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "common/status.h"

namespace tayori::testing {

class PostgresServer {
 public:
  // Starts a server (failed_precondition "postgres_missing" if PostgreSQL's
  // programs are not installed).
  static StatusOr<std::unique_ptr<PostgresServer>> Start();
  ~PostgresServer();

  // A libpq connection string for database DBNAME on this server.
  std::string conninfo(const std::string& dbname = "postgres") const;
  // Creates database NAME (empty, owned by the test user).
  Status CreateDatabase(const std::string& name);
  // Stops the server at once (SIGKILL), as a crash would; Restart() starts
  // it again on the same data.
  void Crash();
  Status Restart();

 private:
  PostgresServer() = default;
  Status Launch();

  std::string bin_;  // /usr/lib/postgresql/N/bin
  std::string dir_;  // data/, the socket and the log live here
  pid_t pid_ = -1;
  uid_t uid_ = 0;  // who the server runs as
  gid_t gid_ = 0;
};

// Creates database NAME (empty) on the server CONNINFO reaches.
Status CreatePostgresDatabase(const std::string& conninfo, const std::string& name);

}  // namespace tayori::testing

#endif  // TAYORI_TESTS_SUPPORT_POSTGRES_SERVER_H_
