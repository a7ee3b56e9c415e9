// BrokerOptions: every setting of the broker, with its default.
// config/broker.yaml shows the same keys; broker/config.h loads them.
#ifndef TAYORI_BROKER_OPTIONS_H_
#define TAYORI_BROKER_OPTIONS_H_

#include <cstdint>
#include <string>

#include "common/env.h"

namespace rocksdb {
class Env;
}

namespace tayori::broker {

struct BrokerOptions {
  // Where agents connect (CurveZMQ). Port 0 picks a free port; the chosen
  // endpoint is printed on start and written to DATA_DIR/broker.info.
  std::string endpoint = "tcp://127.0.0.1:7701";
  // The address agents are told to connect to: written to
  // DATA_DIR/broker.info as its endpoint, the file handed to offices.
  // Empty: ENDPOINT as bound. Needed when ENDPOINT listens on every
  // interface (0.0.0.0), which no agent can connect to.
  std::string public_endpoint;

  // Where tayori-admin connects. Only the admin key (DATA_DIR/admin.key)
  // gets in; office keys are refused at the handshake.
  std::string admin_endpoint = "tcp://127.0.0.1:7702";

  // The broker's store, its CURVE key pair and the admin key.
  // Empty: $XDG_STATE_HOME/tayori/broker (~/.local/state/tayori/broker).
  std::string data_dir;

  // Where mail is kept. Empty: the embedded RocksDB store in
  // DATA_DIR/store (one machine). Otherwise a PostgreSQL connection string
  // (libpq: "host=db1,db2,db3 dbname=tayori target_session_attrs=read-write"
  // or a postgresql:// URI), which makes the broker stateless: several
  // brokers with the same key pair may share the database (docs/scale.md).
  // DATA_DIR still holds the key pair and the admin key.
  std::string store;

  // The CA that issues office certificates, and its CRL (PEM). Both are
  // re-read when they change on disk, so a revocation needs no restart.
  // Empty: $XDG_STATE_HOME/tayori/ca/ca.pem and crl.pem (where
  // `tayori-admin ca init` puts them by default).
  std::string ca_cert;
  std::string ca_crl;

  // Largest chunk of a file an agent may upload in one frame (plaintext
  // bytes; the frame adds 16 bytes of AEAD tag).
  uint32_t max_chunk_bytes = 1 << 20;
  // Smallest chunk size a manifest may declare (the last chunk of a file
  // may be shorter). Bounds the chunks of a send, and so all per-chunk work,
  // to max_send_bytes / min_chunk_bytes plus one per file.
  uint32_t min_chunk_bytes = 64 << 10;

  // Largest send (sum of plaintext file sizes) and most files per send.
  uint64_t max_send_bytes = 10ull << 20;
  uint32_t max_files = 7;

  // Per office: uploads begun and not yet committed, and their bytes
  // (ciphertext, as declared). A send beyond either is refused with
  // upload_quota until earlier ones commit or are purged (upload_timeout).
  uint32_t max_uploads_per_office = 20;
  uint64_t max_upload_bytes_per_office = 200ull << 20;

  // Bytes one connection may make the broker hold (broker/backlog_guard.h):
  // what it has sent beyond the requests the broker has taken from it, less
  // what still waits unread in the kernel. libzmq holds a request's frames
  // in memory until the last one arrives, so this bounds what one peer can
  // make the broker hold. A connection has at most 16 whole requests waiting
  // (its receive high-water mark), so the broker raises this to at least
  // 17 × (max_chunk_bytes + 256 KiB) whatever is set: 21.25 MiB with 1 MiB
  // chunks.
  uint64_t max_connection_backlog_bytes = 64ull << 20;
  // The same for all connections together: beyond it, of those holding at
  // least 4 KiB, the ones that have gone longest without a request taken
  // are cut. At least max_connection_backlog_bytes.
  uint64_t max_total_backlog_bytes = 1ull << 30;
  // Connections the office channel keeps at once (each agent keeps one; a
  // peer beyond it is disconnected at once, and may come back once others
  // have gone). The broker raises its descriptor limit to the most it may
  // and keeps at most half of it for connections, the rest for its files.
  uint64_t max_connections = 20000;
  // Of those, the most from one address (port::AddressNetwork): one
  // address cannot hold every place. Offices behind one shared
  // address (a group's network) with more terminals than this raise it.
  uint64_t max_connections_per_address = 1000;
  // How often the connections are looked at. Not settable from YAML.
  int backlog_scan_ms = 50;

  // ZeroMQ I/O threads (CURVE encryption runs there).
  int io_threads = 2;

  // Retention. A message not downloaded expires this long after it was
  // accepted: its payload is deleted and the sender sees "expired". A
  // downloaded message keeps its list entry (not its payload, deleted at
  // once) until the same time. YAML takes durations: 90d, 12h, 30m, 3s.
  int64_t retention_seconds = 90 * 86400;
  // How long the sender still sees an expired message before it goes.
  int64_t expired_keep_seconds = 30 * 86400;
  // An upload never committed is deleted after this long.
  int64_t upload_timeout_seconds = 7 * 86400;
  // How often the sweeper looks for messages due to expire.
  int64_t sweep_interval_seconds = 60;
  // A terminal downloading a message holds it this long, renewed as chunks
  // flow; meanwhile another terminal of the office is told it is taken.
  int64_t lease_seconds = 600;

  // Prometheus metrics over HTTP (GET /metrics), HOST:PORT. Port 0 picks a
  // free port. Empty: off. Keep it on loopback.
  std::string metrics_endpoint = "127.0.0.1:7703";

  // Least severe log lines written (JSON lines on stderr, the journal under
  // systemd): debug, info, warn or error.
  std::string log_level = "info";

  // Clock; tests inject a FakeEnv. Not settable from YAML.
  Env* env = Env::Default();
  // The store's files go through this RocksDB Env (nullptr: the real file
  // system); tests inject one that can cut the power. Not settable from YAML.
  rocksdb::Env* rocksdb_env = nullptr;
  // Chunks at least this long skip the RocksDB store's WAL and are flushed
  // at commit (StoreOptions::unlogged_chunk_bytes). Not settable from YAML.
  size_t unlogged_chunk_bytes = 1 << 20;
};

}  // namespace tayori::broker

#endif  // TAYORI_BROKER_OPTIONS_H_
