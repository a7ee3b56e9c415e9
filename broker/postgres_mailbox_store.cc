#include "broker/postgres_mailbox_store.h"

#include <libpq-fe.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>

#include "broker/log.h"
#include "broker/postgres_internal.h"
#include "common/ids.h"

namespace tayori::broker {

// The tables. Each message is one row: the record's protobuf bytes and the
// columns it is found by (the dedup, expiry, inbox and sent indexes of the
// RocksDB store). Chunk bytes are ciphertext, stored without compression.
static const char* const kSchema = R"sql(
CREATE TABLE IF NOT EXISTS tayori_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS offices (office text PRIMARY KEY, record bytea NOT NULL);
CREATE TABLE IF NOT EXISTS curve_keys (curve_pk bytea PRIMARY KEY, office text NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
  message_id text PRIMARY KEY,
  sender text NOT NULL,
  recipient text NOT NULL,
  send_id text NOT NULL,
  expire_unix bigint NOT NULL,
  committed boolean NOT NULL DEFAULT false,
  record bytea NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS messages_dedup ON messages (sender, send_id);
CREATE INDEX IF NOT EXISTS messages_expiry ON messages (expire_unix, message_id);
CREATE INDEX IF NOT EXISTS messages_inbox ON messages (recipient, message_id) WHERE committed;
CREATE INDEX IF NOT EXISTS messages_sent ON messages (sender, message_id) WHERE committed;
CREATE TABLE IF NOT EXISTS chunks (
  message_id text NOT NULL,
  file bigint NOT NULL,
  chunk bigint NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (message_id, file, chunk));
ALTER TABLE chunks ALTER COLUMN data SET STORAGE EXTERNAL;
CREATE TABLE IF NOT EXISTS notices (id text PRIMARY KEY, record bytea NOT NULL);
)sql";

// Serializes schema creation between brokers starting at once.
static const char* const kSchemaLock = "SELECT pg_advisory_xact_lock(7701770177)";

namespace {

// A bigint parameter (binary format: 8 bytes, big-endian).
std::string Int8(int64_t v) {
  std::string out(8, '\0');
  uint64_t u = static_cast<uint64_t>(v);
  for (int i = 7; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>(u & 0xff);
    u >>= 8;
  }
  return out;
}

// What a failed statement means for the broker: a database it cannot reach
// or cannot write is unavailable (retrying may help, the agent does);
// anything else is an internal error with the server's message.
Status FromPg(PGconn* conn, const PGresult* r, const std::string& what) {
  const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(conn);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  if (PQstatus(conn) != CONNECTION_OK || state == nullptr || std::strncmp(state, "08", 2) == 0 ||
      std::strncmp(state, "57P", 3) == 0) {
    return Status(Code::kUnavailable, "store_unavailable", what + ": the database is unreachable: " + message);
  }
  if (std::strcmp(state, "23505") == 0) {
    // The same send begun at once through two brokers: the first holds it.
    return Status(Code::kUnavailable, "store_unavailable",
                  what + ": the send is being stored by another broker; the retry resumes it");
  }
  if (std::strcmp(state, "25006") == 0) {
    return Status(Code::kUnavailable, "store_unavailable",
                  what + ": the database is read-only (a standby, or the primary is being switched): " + message);
  }
  return Internal(what + ": " + message + " (SQLSTATE " + state + ")");
}

}  // namespace

StatusOr<std::unique_ptr<PostgresMailboxStore>> PostgresMailboxStore::Open(const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &error);
  if (parsed == nullptr) {
    std::string why = error != nullptr ? error : "not a libpq connection string";
    PQfreemem(error);
    while (!why.empty() && why.back() == '\n') why.pop_back();
    return InvalidArgument("config_invalid", "store: " + why);
  }
  PQconninfoFree(parsed);
  std::unique_ptr<PostgresMailboxStore> store(new PostgresMailboxStore(conninfo));
  std::lock_guard<std::mutex> l(store->mu_);
  RETURN_IF_ERROR(store->Ready());
  RETURN_IF_ERROR(store->CreateSchema());
  return store;
}

// What the server says outside an answer: its warnings and errors (a session
// ended by a failing primary: "terminating connection due to unexpected
// postmaster exit") go to the log as one JSON line, not raw to stderr;
// notices ("already exists, skipping") and below are dropped.
void LogServerNotice(void* /*arg*/, const PGresult* r) {
  const char* severity = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
  const std::string_view level = severity == nullptr ? "" : severity;
  if (level == "NOTICE" || level == "INFO" || level == "LOG" || level == "DEBUG") return;
  const char* message = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
  Log("warn", "database_said", {{"severity", level}, {"message", message == nullptr ? "" : message}});
}

PostgresMailboxStore::~PostgresMailboxStore() {
  if (conn_ != nullptr) PQfinish(conn_);
  if (listen_ != nullptr) PQfinish(listen_);
}

Status PostgresMailboxStore::Ready() {
  if (conn_ == nullptr) {
    conn_ = PQconnectdb(conninfo_.c_str());
    PQsetNoticeReceiver(conn_, LogServerNotice, nullptr);
    ++resets_;
  } else if (PQstatus(conn_) != CONNECTION_OK) {
    PQreset(conn_);  // a new session: session locks are gone
    ++resets_;
  }
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn_);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return Status(Code::kUnavailable, "store_unavailable", "cannot connect to the database: " + message);
  }
  return Status::Ok();
}

Status PostgresMailboxStore::CreateSchema() {
  // A database already set up is only checked: the statements below take
  // locks the running brokers would wait for.
  ASSIGN_OR_RETURN(Result exists, Exec("SELECT to_regclass('tayori_meta') IS NOT NULL"));
  if (exists.rows() != 1 || exists.bytes(0, 0) != std::string(1, '\x01')) {
    RETURN_IF_ERROR(Transaction({{kSchemaLock, {}},
                                 {kSchema, {}},
                                 {"INSERT INTO tayori_meta VALUES ('schema_version', $1::text) ON CONFLICT DO NOTHING",
                                  {std::to_string(kSchemaVersion)}}},
                                true));
  }
  ASSIGN_OR_RETURN(Result r, Exec("SELECT value FROM tayori_meta WHERE key = 'schema_version'"));
  const int found = r.rows() == 1 ? std::atoi(r.bytes(0, 0).c_str()) : 0;
  if (found > kSchemaVersion) {
    return FailedPrecondition("schema_too_new", "the database was set up by a newer tayori (schema " +
                                                    std::to_string(found) + "; this broker knows " +
                                                    std::to_string(kSchemaVersion) + "): upgrade this broker");
  }
  if (found < 1) return Internal("the database's schema version is unreadable");
  return Status::Ok();
}

StatusOr<PostgresMailboxStore::Result> PostgresMailboxStore::Exec(
    const std::string& sql, const std::vector<std::optional<std::string>>& params) {
  RETURN_IF_ERROR(Ready());
  PGresult* raw = nullptr;
  if (sql == kSchema) {
    raw = PQexec(conn_, sql.c_str());  // several statements, no parameters
  } else {
    // Every parameter in binary format, typed by its cast in SQL: text and
    // bytea as their bytes, bigint as Int8.
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    for (const auto& p : params) {
      values.push_back(p ? p->data() : nullptr);
      lengths.push_back(p ? static_cast<int>(p->size()) : 0);
      formats.push_back(1);
    }
    raw = PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr, values.data(), lengths.data(),
                       formats.data(), 1);
  }
  Result r(raw);
  const ExecStatusType st = raw != nullptr ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    Status failed = FromPg(conn_, raw, "database statement failed");
    const char* state = raw != nullptr ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
    if (state != nullptr && std::strcmp(state, "25006") == 0) {
      // The server became a standby under this session (a switchover):
      // the next statement connects again and finds the primary.
      PQfinish(conn_);
      conn_ = nullptr;
    }
    return failed;
  }
  return r;
}

Status PostgresMailboxStore::Transaction(const std::vector<Statement>& statements, bool synced,
                                         std::vector<std::string>* rows) {
  ASSIGN_OR_RETURN(Result begin, Exec("BEGIN"));
  (void)begin;
  Status status = Status::Ok();
  if (!synced) status = Exec("SET LOCAL synchronous_commit TO off").status();
  for (size_t i = 0; status.ok() && i < statements.size(); ++i) {
    auto r = Exec(statements[i].sql, statements[i].params);
    status = r.status();
    for (int k = 0; status.ok() && rows != nullptr && k < r->rows(); ++k) rows->push_back(r->bytes(k, 0));
  }
  if (status.ok()) {
    // A COMMIT whose answer is lost (the primary failing over) leaves the
    // outcome unknown: unavailable, and the agent's retry finds out.
    return Exec("COMMIT").status();
  }
  if (PQstatus(conn_) == CONNECTION_OK) (void)Exec("ROLLBACK");
  return status;
}

StatusOr<std::vector<pb::MessageRecord>> PostgresMailboxStore::Records(Result& r, int column) {
  std::vector<pb::MessageRecord> out(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    const std::string bytes = r.bytes(i, column);
    if (!out[static_cast<size_t>(i)].ParseFromString(bytes)) return Internal("corrupt message record in the database");
  }
  return out;
}

// ---- registry

Status PostgresMailboxStore::PutOffice(const pb::OfficeRecord& office, bool create_only) {
  std::lock_guard<std::mutex> l(mu_);
  const char* sql = create_only ? "INSERT INTO offices VALUES ($1::text, $2::bytea) ON CONFLICT DO NOTHING"
                                : "INSERT INTO offices VALUES ($1::text, $2::bytea) "
                                  "ON CONFLICT (office) DO UPDATE SET record = EXCLUDED.record";
  ASSIGN_OR_RETURN(Result r, Exec(sql, {office.office(), office.SerializeAsString()}));
  if (create_only && r.affected() == 0) {
    return Status(Code::kAlreadyExists, "already_exists", "office " + office.office() + " is already registered");
  }
  return Status::Ok();
}

StatusOr<pb::OfficeRecord> PostgresMailboxStore::GetOffice(const std::string& office) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(Result r, Exec("SELECT record FROM offices WHERE office = $1::text", {office}));
  if (r.rows() == 0) return NotFound("not_registered", "office " + office + " is not registered");
  pb::OfficeRecord rec;
  if (!rec.ParseFromString(r.bytes(0, 0))) return Internal("corrupt office record for " + office);
  return rec;
}

StatusOr<std::vector<pb::OfficeRecord>> PostgresMailboxStore::ListOffices() {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(Result r, Exec("SELECT record FROM offices ORDER BY office"));
  std::vector<pb::OfficeRecord> out(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    if (!out[static_cast<size_t>(i)].ParseFromString(r.bytes(i, 0))) return Internal("corrupt office record");
  }
  return out;
}

Status PostgresMailboxStore::Enrol(const pb::OfficeRecord& office, const std::string& curve_pk) {
  std::lock_guard<std::mutex> l(mu_);
  return Transaction({{"INSERT INTO offices VALUES ($1::text, $2::bytea) "
                       "ON CONFLICT (office) DO UPDATE SET record = EXCLUDED.record",
                       {office.office(), office.SerializeAsString()}},
                      {"INSERT INTO curve_keys VALUES ($1::bytea, $2::text) "
                       "ON CONFLICT (curve_pk) DO UPDATE SET office = EXCLUDED.office",
                       {curve_pk, office.office()}}},
                     true);
}

Status PostgresMailboxStore::RemoveTerminal(const pb::OfficeRecord& office, const std::string& curve_pk) {
  std::lock_guard<std::mutex> l(mu_);
  return Transaction({{"INSERT INTO offices VALUES ($1::text, $2::bytea) "
                       "ON CONFLICT (office) DO UPDATE SET record = EXCLUDED.record",
                       {office.office(), office.SerializeAsString()}},
                      {"DELETE FROM curve_keys WHERE curve_pk = $1::bytea", {curve_pk}}},
                     true);
}

StatusOr<std::string> PostgresMailboxStore::OfficeForCurveKey(const std::string& curve_pk) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(Result r, Exec("SELECT office FROM curve_keys WHERE curve_pk = $1::bytea", {curve_pk}));
  if (r.rows() == 0) return NotFound("not_enrolled", "unknown CURVE key");
  return r.bytes(0, 0);
}

// ---- messages

namespace {

// Inserts or replaces a message row; COMMITTED: whether it is in the
// mailboxes (null: as it was, false for a new row).
const char* const kUpsertMessage =
    "INSERT INTO messages (message_id, sender, recipient, send_id, expire_unix, committed, record) "
    "VALUES ($1::text, $2::text, $3::text, $4::text, $5::bigint, coalesce($6::boolean, false), $7::bytea) "
    "ON CONFLICT (message_id) DO UPDATE SET sender = EXCLUDED.sender, recipient = EXCLUDED.recipient, "
    "send_id = EXCLUDED.send_id, expire_unix = EXCLUDED.expire_unix, "
    "committed = coalesce($6::boolean, messages.committed), record = EXCLUDED.record";

// The parameters of kUpsertMessage; COMMITTED nullopt leaves the flag as
// it was (false for a new row).
std::vector<std::optional<std::string>> UpsertParams(const pb::MessageRecord& r, std::optional<bool> committed) {
  std::optional<std::string> flag;
  if (committed) flag = std::string(1, *committed ? '\x01' : '\x00');  // binary boolean
  return {r.message_id(), r.sender_office(),    r.recipient_office(), r.send_id(), Int8(r.expire_unix()),
          flag,           r.SerializeAsString()};
}

}  // namespace

StatusOr<std::optional<pb::MessageRecord>> PostgresMailboxStore::FindBySendId(const std::string& sender,
                                                                              const std::string& send_id) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(Result r, Exec("SELECT record FROM messages WHERE sender = $1::text AND send_id = $2::text "
                                  "ORDER BY message_id DESC LIMIT 1",
                                  {sender, send_id}));
  if (r.rows() == 0) return std::optional<pb::MessageRecord>();
  ASSIGN_OR_RETURN(auto records, Records(r, 0));
  return std::optional<pb::MessageRecord>(std::move(records[0]));
}

Status PostgresMailboxStore::BeginMessage(const pb::MessageRecord& record) {
  std::lock_guard<std::mutex> l(mu_);
  return Transaction({{kUpsertMessage, UpsertParams(record, false)}}, false);
}

StatusOr<pb::MessageRecord> PostgresMailboxStore::GetMessage(const std::string& message_id) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(Result r, Exec("SELECT record FROM messages WHERE message_id = $1::text", {message_id}));
  if (r.rows() == 0) return NotFound("message_not_found", "no message " + message_id);
  ASSIGN_OR_RETURN(auto records, Records(r, 0));
  return std::move(records[0]);
}

Status PostgresMailboxStore::PutMessage(const pb::MessageRecord& record) {
  std::lock_guard<std::mutex> l(mu_);
  return Transaction({{kUpsertMessage, UpsertParams(record, std::nullopt)}}, false);
}

Status PostgresMailboxStore::PutChunk(const std::string& message_id, uint32_t file, uint32_t chunk,
                                      const std::string& data) {
  std::lock_guard<std::mutex> l(mu_);
  return Transaction({{"INSERT INTO chunks VALUES ($1::text, $2::bigint, $3::bigint, $4::bytea) "
                       "ON CONFLICT (message_id, file, chunk) DO UPDATE SET data = EXCLUDED.data",
                       {message_id, Int8(file), Int8(chunk), data}}},
                     false);
}

StatusOr<std::string> PostgresMailboxStore::GetChunk(const std::string& message_id, uint32_t file, uint32_t chunk) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(Result r, Exec("SELECT data FROM chunks WHERE message_id = $1::text AND file = $2::bigint "
                                  "AND chunk = $3::bigint",
                                  {message_id, Int8(file), Int8(chunk)}));
  if (r.rows() == 0) {
    return NotFound("message_not_found", "chunk " + std::to_string(chunk) + " of file " + std::to_string(file) +
                                             " of " + message_id + " is missing");
  }
  return r.bytes(0, 0);
}

StatusOr<std::vector<uint64_t>> PostgresMailboxStore::ListChunks(const std::string& message_id) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(
      Result r, Exec("SELECT file, chunk FROM chunks WHERE message_id = $1::text ORDER BY file, chunk", {message_id}));
  std::vector<uint64_t> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back((static_cast<uint64_t>(r.int64(i, 0)) << 32) | static_cast<uint32_t>(r.int64(i, 1)));
  }
  return out;
}

Status PostgresMailboxStore::CommitMessage(const pb::MessageRecord& record, int64_t /*old_expire*/) {
  // The expiry index is the row's expire_unix column: no old entry to move.
  // Only the upload begun and not yet committed: one another broker's
  // sweep purged meanwhile is not brought back without its chunks, and one
  // committed through another broker at the same moment is committed once.
  // And only with every chunk on the server that commits: chunks are
  // written without waiting for the standby, so after a failover some the
  // broker saw acknowledged may be gone. The count (stored chunks are
  // within the manifest: HandleChunkPut checks) is taken in the same
  // statement; the synchronous commit then carries the chunks' earlier WAL
  // to the standby with it.
  pb::Manifest m;
  if (!m.ParseFromString(record.signed_().manifest())) {
    return Status(Code::kDataLoss, "store_corrupt", "stored manifest of " + record.message_id() + " does not parse");
  }
  int64_t chunks = 0;
  for (const pb::FileEntry& f : m.files()) chunks += f.chunk_count();
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(Result r,
                   Exec("UPDATE messages SET expire_unix = $2::bigint, committed = true, record = $3::bytea "
                        "WHERE message_id = $1::text AND NOT committed "
                        "AND (SELECT count(*) FROM chunks WHERE message_id = $1::text) >= $4::bigint",
                        {record.message_id(), Int8(record.expire_unix()), record.SerializeAsString(), Int8(chunks)}));
  if (r.affected() == 0) {
    ASSIGN_OR_RETURN(Result left, Exec("SELECT (SELECT count(*) FROM chunks WHERE message_id = $1::text) "
                                       "FROM messages WHERE message_id = $1::text AND NOT committed",
                                       {record.message_id()}));
    if (left.rows() == 1 && left.int64(0, 0) < chunks) {
      return FailedPrecondition("upload_incomplete", std::to_string(left.int64(0, 0)) + " of " +
                                                         std::to_string(chunks) + " chunks of " + record.message_id() +
                                                         " are stored (a failover lost some)");
    }
    return Status(Code::kUnavailable, "store_unavailable",
                  "commit of " + record.message_id() +
                      ": the upload was removed or committed through another broker meanwhile; the retry finds out");
  }
  return Status::Ok();
}

Status PostgresMailboxStore::MarkDownloaded(const pb::MessageRecord& record) {
  std::lock_guard<std::mutex> l(mu_);
  return Transaction({{"DELETE FROM chunks WHERE message_id = $1::text", {record.message_id()}},
                      {kUpsertMessage, UpsertParams(record, std::nullopt)}},
                     true);
}

StatusOr<std::vector<pb::MessageRecord>> PostgresMailboxStore::DueForExpiry(int64_t now, size_t limit,
                                                                            std::string* cursor) {
  // The cursor: the expire_unix and message id of the last row returned.
  int64_t after_at = INT64_MIN;
  std::string after_id;
  if (!cursor->empty()) {
    const size_t colon = cursor->find(':');
    if (colon == std::string::npos) return InvalidArgument("bad_request", "malformed expiry cursor");
    after_at = std::strtoll(cursor->substr(0, colon).c_str(), nullptr, 10);
    after_id = cursor->substr(colon + 1);
  }
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(Result r, Exec("SELECT expire_unix, message_id, record FROM messages "
                                  "WHERE expire_unix <= $1::bigint AND (expire_unix, message_id) > ($2::bigint, "
                                  "$3::text) ORDER BY expire_unix, message_id LIMIT $4::bigint",
                                  {Int8(now), Int8(after_at), after_id, Int8(static_cast<int64_t>(limit))}));
  ASSIGN_OR_RETURN(auto out, Records(r, 2));
  if (r.rows() > 0) *cursor = std::to_string(r.int64(r.rows() - 1, 0)) + ":" + r.bytes(r.rows() - 1, 1);
  return out;
}

namespace {

// A list joined by commas: one parameter for a whole batch, split by
// string_to_array in SQL (ids are Crockford base32, numbers and hex hold
// no comma).
template <typename T, typename F>
std::string Join(const std::vector<T>& items, F part) {
  std::string out;
  for (const T& item : items) {
    if (!out.empty()) out += ',';
    out += part(item);
  }
  return out;
}

std::string IdOf(const pb::MessageRecord& r) { return r.message_id(); }
std::string ExpireOf(const pb::MessageRecord& r) { return std::to_string(r.expire_unix()); }

}  // namespace

Status PostgresMailboxStore::ApplyExpiry(const std::vector<pb::MessageRecord>& expire,
                                         const std::vector<int64_t>& old_expires,
                                         const std::vector<pb::MessageRecord>& purge,
                                         std::set<std::string>* left_alone) {
  if (old_expires.size() != expire.size()) return Internal("ApplyExpiry: an old expiry for each message");
  // A batch is a few statements whatever its size, each naming all of its
  // messages: the sweep holds the serving thread for as little as it can.
  // Each row changes only if its expiry is still the one the sweep read (a
  // send committed meanwhile through another broker, or a message another
  // sweep got to first, is left alone, and so are its chunks). Each
  // statement answers with the ids it changed.
  std::vector<Statement> statements;
  if (!expire.empty()) {
    statements.push_back(
        {"WITH changed AS (UPDATE messages SET expire_unix = u.expire_unix, record = decode(u.record, 'hex') "
         "FROM unnest(string_to_array($1::text, ','), string_to_array($2::text, ',')::bigint[], "
         "string_to_array($3::text, ','), string_to_array($4::text, ',')::bigint[]) "
         "AS u(message_id, expire_unix, record, old_expire) "
         "WHERE messages.message_id = u.message_id AND messages.expire_unix = u.old_expire "
         "RETURNING messages.message_id), "
         "payload AS (DELETE FROM chunks WHERE message_id IN (SELECT message_id FROM changed)) "
         "SELECT message_id FROM changed",
         {Join(expire, IdOf), Join(expire, ExpireOf),
          Join(expire, [](const pb::MessageRecord& r) { return ToHex(r.SerializeAsString()); }),
          Join(old_expires, [](int64_t e) { return std::to_string(e); })}});
  }
  if (!purge.empty()) {
    statements.push_back(
        {"WITH gone AS (DELETE FROM messages USING unnest(string_to_array($1::text, ','), "
         "string_to_array($2::text, ',')::bigint[]) AS u(message_id, old_expire) "
         "WHERE messages.message_id = u.message_id AND messages.expire_unix = u.old_expire "
         "RETURNING messages.message_id), "
         "payload AS (DELETE FROM chunks WHERE message_id IN (SELECT message_id FROM gone)) "
         "SELECT message_id FROM gone",
         {Join(purge, IdOf), Join(purge, ExpireOf)}});
  }
  if (statements.empty()) return Status::Ok();
  std::vector<std::string> changed;
  {
    std::lock_guard<std::mutex> l(mu_);
    // Not synced: an expiry lost in a crash is found again by the sweeper.
    RETURN_IF_ERROR(Transaction(statements, false, &changed));
  }
  if (left_alone != nullptr) {
    const std::set<std::string> done(changed.begin(), changed.end());
    for (const auto* batch : {&expire, &purge}) {
      for (const pb::MessageRecord& r : *batch) {
        if (done.count(r.message_id()) == 0) left_alone->insert(r.message_id());
      }
    }
  }
  return Status::Ok();
}

Status PostgresMailboxStore::ForEachMessage(const std::function<void(const pb::MessageRecord&)>& fn) {
  // In pages by id, so memory follows the page, not the table.
  std::string after;
  while (true) {
    std::vector<pb::MessageRecord> page;
    {
      std::lock_guard<std::mutex> l(mu_);
      ASSIGN_OR_RETURN(Result r, Exec("SELECT record FROM messages WHERE message_id > $1::text "
                                      "ORDER BY message_id LIMIT 1000",
                                      {after}));
      ASSIGN_OR_RETURN(page, Records(r, 0));
    }
    if (page.empty()) return Status::Ok();
    after = page.back().message_id();
    for (const auto& rec : page) fn(rec);
  }
}

Status PostgresMailboxStore::Compact() {
  std::lock_guard<std::mutex> l(mu_);
  for (const char* table : {"chunks", "messages"}) {
    RETURN_IF_ERROR(Exec(std::string("VACUUM ") + table).status());
  }
  return Status::Ok();
}

Status PostgresMailboxStore::Checkpoint(const std::string& /*dir*/) {
  return Status(Code::kFailedPrecondition, "unimplemented",
                "the store is a PostgreSQL database: back it up with pg_basebackup or pgBackRest (docs/scale.md)");
}

// ---- notices

Status PostgresMailboxStore::PutNotice(const pb::Notice& notice) {
  std::lock_guard<std::mutex> l(mu_);
  return Transaction({{"INSERT INTO notices VALUES ($1::text, $2::bytea) "
                       "ON CONFLICT (id) DO UPDATE SET record = EXCLUDED.record",
                       {notice.id(), notice.SerializeAsString()}}},
                     true);
}

StatusOr<std::vector<pb::Notice>> PostgresMailboxStore::ListNotices() {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(Result r, Exec("SELECT record FROM notices ORDER BY id"));
  std::vector<pb::Notice> out(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    if (!out[static_cast<size_t>(i)].ParseFromString(r.bytes(i, 0))) return Internal("corrupt notice");
  }
  return out;
}

// ---- mailboxes

StatusOr<std::vector<pb::MessageRecord>> PostgresMailboxStore::ListBy(const char* column, const std::string& office,
                                                                      const std::string& after_id, size_t limit) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(Result r, Exec(std::string("SELECT record FROM messages WHERE ") + column +
                                      " = $1::text AND committed AND message_id > $2::text "
                                      "ORDER BY message_id LIMIT $3::bigint",
                                  {office, after_id, Int8(static_cast<int64_t>(limit))}));
  return Records(r, 0);
}

StatusOr<std::vector<pb::MessageRecord>> PostgresMailboxStore::ListInbox(const std::string& office,
                                                                         const std::string& after_id, size_t limit) {
  return ListBy("recipient", office, after_id, limit);
}

StatusOr<std::vector<pb::MessageRecord>> PostgresMailboxStore::ListSent(const std::string& office,
                                                                        const std::string& after_id, size_t limit) {
  return ListBy("sender", office, after_id, limit);
}

}  // namespace tayori::broker
