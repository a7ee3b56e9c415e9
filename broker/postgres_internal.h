// What the two files of the PostgreSQL store share (broker/
// postgres_mailbox_store.cc, postgres_store_sharing.cc): a result, a
// statement, and the notice receiver both connections use. Include only
// from those files.
#ifndef TAYORI_BROKER_POSTGRES_INTERNAL_H_
#define TAYORI_BROKER_POSTGRES_INTERNAL_H_

#include <libpq-fe.h>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "broker/postgres_mailbox_store.h"

namespace tayori::broker {

// One result, cleared when it goes.
class PostgresMailboxStore::Result {
 public:
  explicit Result(PGresult* r) : r_(r) {}
  Result(Result&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Result(const Result&) = delete;
  ~Result() {
    if (r_ != nullptr) PQclear(r_);
  }
  int rows() const { return PQntuples(r_); }
  // Rows an INSERT, UPDATE or DELETE touched.
  int affected() const { return std::atoi(PQcmdTuples(r_)); }
  bool null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
  std::string bytes(int row, int col) const {
    return std::string(PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col)));
  }
  // A bigint column (binary results: 8 bytes, big-endian).
  int64_t int64(int row, int col) const {
    const auto* p = reinterpret_cast<const unsigned char*>(PQgetvalue(r_, row, col));
    if (PQgetlength(r_, row, col) != 8) return 0;
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
    return static_cast<int64_t>(v);
  }

 private:
  PGresult* r_;
};

struct PostgresMailboxStore::Statement {
  std::string sql;
  std::vector<std::optional<std::string>> params;  // nullopt: NULL
};

// What the server says outside an answer: its warnings and errors go to
// the log as one JSON line (database_said); notices and below are dropped.
void LogServerNotice(void* arg, const PGresult* r);

}  // namespace tayori::broker

#endif  // TAYORI_BROKER_POSTGRES_INTERNAL_H_
