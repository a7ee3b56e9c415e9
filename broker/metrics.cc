#include "broker/metrics.h"

#include <httplib.h>

#include <sstream>

namespace tayori::broker {

Metrics::Metrics() = default;

Metrics::~Metrics() {
  if (http_) http_->stop();
  if (http_thread_.joinable()) http_thread_.join();
}

StatusOr<std::string> Metrics::Serve(const std::string& host_port) {
  const size_t colon = host_port.rfind(':');
  const std::string host = host_port.substr(0, colon);
  int port = 0;
  try {
    port = std::stoi(host_port.substr(colon + 1));
  } catch (...) {
    return InvalidArgument("config_invalid", "metrics_endpoint must be HOST:PORT, got '" + host_port + "'");
  }
  http_ = std::make_unique<httplib::Server>();
  // A scrape is a small GET: refuse bodies before reading them, and let no
  // idle or slow connection hold a worker for long.
  http_->new_task_queue = [] { return new httplib::ThreadPool(kHttpWorkers); };
  http_->set_payload_max_length(4096);
  http_->set_keep_alive_timeout(1);
  http_->set_read_timeout(2, 0);
  http_->set_write_timeout(2, 0);
  http_->set_keep_alive_max_count(1);
  http_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(Render(), "text/plain; version=0.0.4");
  });
  const int bound = port == 0 ? http_->bind_to_any_port(host) : (http_->bind_to_port(host, port) ? port : -1);
  if (bound < 0) return InvalidArgument("config_invalid", "cannot bind metrics_endpoint " + host_port);
  http_thread_ = std::thread([this] { http_->listen_after_bind(); });
  return host + ":" + std::to_string(bound);
}

void Metrics::SendAccepted(uint64_t bytes, double commit_seconds) {
  ++sends_;
  send_bytes_ += bytes;
  std::lock_guard<std::mutex> lock(mu_);
  size_t i = 0;
  while (i < kBuckets.size() && commit_seconds > kBuckets[i]) ++i;
  ++commit_buckets_[i];
  commit_sum_ += commit_seconds;
}

void Metrics::Refused(const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  ++refusals_[reason];
}

void Metrics::Downloaded(uint64_t bytes) {
  ++downloads_;
  download_bytes_ += bytes;
}

void Metrics::Expired(uint64_t bytes) {
  ++expiries_;
  expired_bytes_ += bytes;
}

void Metrics::Purged(uint64_t n) { purges_ += n; }
void Metrics::ConnectionCut() { ++connections_cut_; }
void Metrics::ConnectionRefused(bool per_address) {
  ++(per_address ? connections_refused_per_address_ : connections_refused_);
}

void Metrics::SetPending(int64_t messages, int64_t bytes) {
  pending_messages_ = messages;
  pending_bytes_ = bytes;
}

void Metrics::AddPending(int64_t messages, int64_t bytes) {
  pending_messages_ += messages;
  pending_bytes_ += bytes;
}

void Metrics::SetMemory(const MemoryFigures& m) {
  std::lock_guard<std::mutex> lock(mu_);
  memory_ = m;
}

std::string Metrics::Render() const {
  std::ostringstream o;
  auto counter = [&o](const char* name, const char* help, uint64_t v) {
    o << "# HELP " << name << ' ' << help << "\n# TYPE " << name << " counter\n" << name << ' ' << v << '\n';
  };
  auto gauge = [&o](const char* name, const char* help, int64_t v) {
    o << "# HELP " << name << ' ' << help << "\n# TYPE " << name << " gauge\n" << name << ' ' << v << '\n';
  };
  counter("tayori_sends_total", "Sends accepted (durably committed).", sends_);
  counter("tayori_send_bytes_total", "Ciphertext bytes of accepted sends.", send_bytes_);
  counter("tayori_downloads_total", "Messages downloaded and acknowledged.", downloads_);
  counter("tayori_download_bytes_total", "Ciphertext bytes deleted after download.", download_bytes_);
  counter("tayori_expiries_total", "Messages expired undownloaded.", expiries_);
  counter("tayori_expired_bytes_total", "Ciphertext bytes deleted by expiry.", expired_bytes_);
  counter("tayori_purges_total", "Message records removed at the end of retention.", purges_);
  counter("tayori_connections_cut_total", "Connections cut for sending too much without finishing a request.",
          connections_cut_);
  o << "# HELP tayori_connections_refused_total Connections refused as they came, by the limit reached: "
       "max_connections open, or max_connections_per_address from their address.\n"
       "# TYPE tayori_connections_refused_total counter\n"
    << "tayori_connections_refused_total{limit=\"max_connections\"} " << connections_refused_ << '\n'
    << "tayori_connections_refused_total{limit=\"max_connections_per_address\"} " << connections_refused_per_address_
    << '\n';
  gauge("tayori_pending_messages", "Messages waiting to be downloaded.", pending_messages_);
  gauge("tayori_pending_bytes", "Ciphertext bytes waiting to be downloaded.", pending_bytes_);
  std::lock_guard<std::mutex> lock(mu_);
  o << "# HELP tayori_refusals_total Requests refused, by reason.\n# TYPE tayori_refusals_total counter\n";
  for (const auto& [reason, n] : refusals_) o << "tayori_refusals_total{reason=\"" << reason << "\"} " << n << '\n';
  o << "# HELP tayori_commit_seconds Time to commit a send durably.\n# TYPE tayori_commit_seconds histogram\n";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    cumulative += commit_buckets_[i];
    o << "tayori_commit_seconds_bucket{le=\"" << kBuckets[i] << "\"} " << cumulative << '\n';
  }
  cumulative += commit_buckets_[kBuckets.size()];
  o << "tayori_commit_seconds_bucket{le=\"+Inf\"} " << cumulative << '\n';
  o << "tayori_commit_seconds_sum " << commit_sum_ << '\n';
  o << "tayori_commit_seconds_count " << cumulative << '\n';
  o << "# HELP tayori_store_memory_bytes Memory the mailbox store holds in the broker, by part.\n"
       "# TYPE tayori_store_memory_bytes gauge\n"
    << "tayori_store_memory_bytes{part=\"memtables\"} " << memory_.memtables << '\n'
    << "tayori_store_memory_bytes{part=\"block_cache\"} " << memory_.block_cache << '\n'
    << "tayori_store_memory_bytes{part=\"table_readers\"} " << memory_.table_readers << '\n';
  o << "# HELP tayori_heap_bytes The broker's C heap: bytes allocated, and free bytes kept from the system.\n"
       "# TYPE tayori_heap_bytes gauge\n"
    << "tayori_heap_bytes{state=\"in_use\"} " << memory_.heap_in_use << '\n'
    << "tayori_heap_bytes{state=\"free\"} " << memory_.heap_free << '\n';
  return o.str();
}

}  // namespace tayori::broker
