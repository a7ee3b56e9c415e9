// PostgresMailboxStore, what several brokers on one database share: the
// sweep lock and the events published to every broker (pg_notify, LISTEN).
#include <libpq-fe.h>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/postgres_internal.h"
#include "broker/postgres_mailbox_store.h"
#include "common/ids.h"

namespace tayori::broker {

namespace {

const char* const kEventChannel = "tayori_events";
// The sweep lock's key (pg_advisory_lock's bigint space is the database's).
const char* const kSweepLock = "SELECT pg_try_advisory_lock(7701770178)";

bool Unhex(std::string_view hex, std::string* out) {
  if (hex.size() % 2 != 0) return false;
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    int v = 0;
    for (char c : hex.substr(i, 2)) {
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= c - '0';
      } else if (c >= 'a' && c <= 'f') {
        v |= c - 'a' + 10;
      } else {
        return false;
      }
    }
    out->push_back(static_cast<char>(v));
  }
  return true;
}

}  // namespace

bool PostgresMailboxStore::LeadsSweep() {
  std::lock_guard<std::mutex> l(mu_);
  if (!Ready().ok()) return false;
  if (lock_held_in_ == resets_) return true;
  auto r = Exec(kSweepLock);
  // A boolean in binary format: one byte.
  const bool got = r.ok() && r->rows() == 1 && r->bytes(0, 0) == std::string(1, '\x01');
  lock_held_in_ = got ? resets_ : 0;
  return got;
}

bool PostgresMailboxStore::PublishEvents(const std::vector<std::pair<std::string, pb::Event>>& events) {
  if (events.empty()) return true;
  // Office numbers are digits and each event goes as hex, well under
  // NOTIFY's 8000 bytes; a batch is one statement (payloads joined by
  // commas, which neither part holds). Events are hints (the inbox is the
  // truth): one lost with the database is not retried.
  std::string payloads;
  for (const auto& [office, event] : events) {
    if (!payloads.empty()) payloads += ',';
    payloads += office + " " + ToHex(event.SerializeAsString());
  }
  std::lock_guard<std::mutex> l(mu_);
  (void)Exec("SELECT pg_notify($1::text, p) FROM unnest(string_to_array($2::text, ',')) AS p",
             {std::string(kEventChannel), payloads});
  return true;
}

int PostgresMailboxStore::Listening() {
  if (listen_ != nullptr && PQstatus(listen_) == CONNECTION_OK) return PQsocket(listen_);
  // The serving loop asks every turn: while the database is down, try to
  // connect again at most every 5 seconds, not every turn.
  const auto now = std::chrono::steady_clock::now();
  if (now < next_listen_attempt_) return -1;
  next_listen_attempt_ = now + std::chrono::seconds(5);
  if (listen_ == nullptr) {
    listen_ = PQconnectdb(conninfo_.c_str());
    PQsetNoticeReceiver(listen_, LogServerNotice, nullptr);
  } else {
    PQreset(listen_);
  }
  if (PQstatus(listen_) != CONNECTION_OK) return -1;
  PGresult* r = PQexec(listen_, (std::string("LISTEN ") + kEventChannel).c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  return ok ? PQsocket(listen_) : -1;
}

int PostgresMailboxStore::EventFd() {
  std::lock_guard<std::mutex> l(listen_mu_);
  return Listening();
}

void PostgresMailboxStore::TakeEvents(
    const std::function<void(const std::string& office, const pb::Event& event)>& fn) {
  std::vector<std::pair<std::string, pb::Event>> events;
  {
    std::lock_guard<std::mutex> l(listen_mu_);
    if (listen_ == nullptr || PQconsumeInput(listen_) == 0) return;  // broken: EventFd() makes it again
    while (PGnotify* n = PQnotifies(listen_)) {
      const std::string_view payload(n->extra);
      const size_t space = payload.find(' ');
      std::string bytes;
      pb::Event event;
      if (space != std::string_view::npos && Unhex(payload.substr(space + 1), &bytes) && event.ParseFromString(bytes)) {
        events.emplace_back(std::string(payload.substr(0, space)), std::move(event));
      }
      PQfreemem(n);
    }
  }
  for (const auto& [office, event] : events) fn(office, event);
}

}  // namespace tayori::broker
