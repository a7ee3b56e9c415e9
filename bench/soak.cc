#include "bench/soak.h"

#include <sodium.h>
#include <unistd.h>
#include <zmq.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <tuple>
#include <zmq.hpp>

#include <httplib.h>

#include "agent/agent.h"
#include "bench/proc.h"
#include "common/crypto/curve.h"
#include "common/env.h"
#include "common/wire/codec.h"

namespace tayori::bench {
namespace {

using nlohmann::json;

double Now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// The PDF of send SEQ: the same bytes every time, so a download is checked
// against them without keeping them.
std::string PdfFor(uint64_t seq, size_t bytes) {
  unsigned char seed[randombytes_SEEDBYTES] = {};
  for (int i = 0; i < 8; ++i) seed[i] = static_cast<unsigned char>(seq >> (8 * i));
  std::string pdf = "%PDF-1.7\n";
  pdf.resize(std::max<size_t>(bytes, pdf.size()));
  randombytes_buf_deterministic(pdf.data() + 9, pdf.size() - 9, seed);
  return pdf;
}

std::string NameFor(uint64_t seq) { return "soak-" + std::to_string(seq) + ".pdf"; }

struct Sent {
  int from = 0, to = 0;
  uint64_t seq = 0;
  double accepted = 0;
};

// Where each event of a message was seen, and by which terminal.
struct Seen {
  double new_mail = 0, downloaded = 0;
  int new_mail_by = -1, downloaded_by = -1;
  bool fetched = false;
};

// One look at the broker's memory (Soak::Sample).
struct MemorySample {
  double t = 0;                                               // seconds since the sends began
  double cpu = 0;                                             // the broker's CPU seconds
  double rss = 0, store = 0, heap_in_use = 0, heap_free = 0;  // MiB
  bool scraped = false;                                       // the last three came from the metrics
};

class Soak {
 public:
  Soak(const SoakSetup& setup, const SoakOptions& options) : s_(setup), o_(options), n_(setup.homes.size()) {}

  json Run() {
    rss_idle_ = ProcStatusKb(s_.broker_pid, "VmRSS") / 1024.0;
    std::thread watcher([this] { Watch(); });
    {
      // Sends begin once every terminal is connected and subscribed.
      std::unique_lock<std::mutex> l(mu_);
      if (!cv_.wait_for(l, std::chrono::seconds(300 + o_.warmup_requests / 10),
                        [this] { return ready_ || watch_failed_; }) ||
          watch_failed_) {
        stop_all_ = true;
        const std::string error =
            "not every terminal subscribed and made its warm-up requests: " + std::to_string(subscribed_) + " of " +
            std::to_string(n_) + " subscribed";
        l.unlock();
        watcher.join();
        return {{"error", error}};
      }
    }
    const double connected_seconds = subscribed_at_ - t0_;
    std::fprintf(stderr,
                 "soak: %zu terminals subscribed in %.1f s, %d warm-up requests each in %.1f s; sending for %d s ...\n",
                 n_, connected_seconds, o_.warmup_requests, ready_at_ - subscribed_at_, o_.seconds);
    start_ = Now();
    std::thread sampler([this] { Sample(); });
    std::vector<std::thread> workers;
    for (int t = 0; t < o_.senders; ++t) workers.emplace_back([this, t] { SendLoop(t); });
    for (int t = 0; t < o_.fetchers; ++t) workers.emplace_back([this] { FetchLoop(); });
    for (int t = 0; t < o_.senders; ++t) workers[t].join();
    const double sends_ended = Now();
    // The drain: every accepted send downloaded and both its events seen.
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait_for(l, std::chrono::seconds(o_.drain_seconds), [this] { return Settled(); });
    }
    const double drained = Now() - sends_ended;
    stop_all_ = true;
    fetch_cv_.notify_all();
    for (size_t t = o_.senders; t < workers.size(); ++t) workers[t].join();
    watcher.join();
    sampler.join();
    return Figures(connected_seconds, drained);
  }

 private:
  // Under mu_: every accepted send fetched, with both events seen.
  bool Settled() {
    for (const auto& [id, sent] : sent_) {
      auto it = seen_.find(id);
      if (it == seen_.end() || !it->second.fetched || it->second.downloaded == 0) return false;
    }
    return true;
  }

  // One thread, every terminal's connection: subscribe, renew every 20 s,
  // take pushed events, watch each socket's monitor for disconnects.
  void Watch() {
    zmq::context_t ctx(2);
    // Per terminal: its DEALER, the monitor's own PAIR and ours.
    ctx.set(zmq::ctxopt::max_sockets, static_cast<int>(3 * n_ + 64));
    std::vector<zmq::socket_t> socks, monitors;
    socks.reserve(n_);
    monitors.reserve(n_);
    try {
      for (size_t k = 0; k < n_; ++k) {
        auto secret = ReadFile(s_.homes[k] + "/keys/curve.key");
        if (!secret.ok()) throw std::runtime_error("no terminal in " + s_.homes[k]);
        std::string sk = *secret;
        while (!sk.empty() && (sk.back() == '\n' || sk.back() == '\r')) sk.pop_back();
        zmq::socket_t s(ctx, zmq::socket_type::dealer);
        s.set(zmq::sockopt::curve_serverkey, s_.server_key);
        s.set(zmq::sockopt::curve_publickey, *crypto::CurvePublicFromSecret(sk));
        s.set(zmq::sockopt::curve_secretkey, sk);
        s.set(zmq::sockopt::linger, 0);
        s.set(zmq::sockopt::reconnect_ivl, 100);
        s.set(zmq::sockopt::reconnect_ivl_max, 2000);
        s.set(zmq::sockopt::heartbeat_ivl, 2000);
        s.set(zmq::sockopt::heartbeat_timeout, 6000);
        s.set(zmq::sockopt::heartbeat_ttl, 6000);
        const std::string mon = "inproc://soak-monitor-" + std::to_string(k);
        if (zmq_socket_monitor(s.handle(), mon.c_str(), ZMQ_EVENT_DISCONNECTED) != 0) {
          throw std::runtime_error("socket monitor");
        }
        zmq::socket_t m(ctx, zmq::socket_type::pair);
        m.connect(mon);
        s.connect(s_.endpoint);
        socks.push_back(std::move(s));
        monitors.push_back(std::move(m));
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "soak: terminal %zu of %zu: %s\n", socks.size(), n_, e.what());
      std::lock_guard<std::mutex> l(mu_);
      watch_failed_ = true;
      cv_.notify_all();
      return;
    }
    std::vector<zmq::pollitem_t> items;
    for (size_t k = 0; k < n_; ++k) items.push_back({socks[k].handle(), 0, ZMQ_POLLIN, 0});
    for (size_t k = 0; k < n_; ++k) items.push_back({monitors[k].handle(), 0, ZMQ_POLLIN, 0});
    // Every terminal subscribes at once, as at the start of a working day;
    // renewals then spread over the 20 s so the broker sees a steady trickle.
    t0_ = Now();
    std::vector<double> next_renewal(n_, t0_), asked_at(n_, 0);
    std::vector<bool> subscribed(n_, false);
    // The warm-up (SoakOptions::warmup_requests), once every terminal has
    // subscribed: requests made and answered per terminal.
    bool warming = false;
    std::vector<int> warm_made(n_, 0), warm_answered(n_, 0);
    size_t warm_done = 0;
    uint64_t req_id = 1;
    while (!stop_all_) {
      const double now = Now();
      for (size_t k = 0; warming && k < n_; ++k) {
        while (warm_made[k] < o_.warmup_requests && warm_made[k] - warm_answered[k] < 8) {
          pb::Request req;
          req.set_req_id(req_id++);
          req.mutable_subscribe();
          if (!socks[k].send(zmq::buffer(wire::Serialize(req)), zmq::send_flags::dontwait)) break;
          ++warm_made[k];
        }
      }
      for (size_t k = 0; !warming && k < n_; ++k) {
        if (asked_at[k] > 0 && now - asked_at[k] > 10) {
          ++renewals_unanswered_;  // counted once; asked again at the next renewal
          asked_at[k] = 0;
        }
        if (now < next_renewal[k]) continue;
        pb::Request req;
        req.set_req_id(req_id++);
        req.mutable_subscribe();
        const std::string head = wire::Serialize(req);
        if (socks[k].send(zmq::buffer(head), zmq::send_flags::dontwait)) {
          if (asked_at[k] == 0) asked_at[k] = now;
        } else {
          ++renewals_unsent_;
        }
        next_renewal[k] = now + 20 + (subscribed[k] ? 0 : 20.0 * static_cast<double>(k) / static_cast<double>(n_));
      }
      zmq::poll(items.data(), items.size(), std::chrono::milliseconds(100));
      for (size_t k = 0; k < n_; ++k) {
        if (items[n_ + k].revents & ZMQ_POLLIN) {
          auto frames = wire::RecvAll(monitors[k]);
          if (!frames.empty()) ++disconnects_;
        }
        if (!(items[k].revents & ZMQ_POLLIN)) continue;
        auto frames = wire::RecvAll(socks[k]);
        pb::Response r;
        if (frames.empty() || !r.ParseFromArray(frames[0].data(), static_cast<int>(frames[0].size()))) {
          ++malformed_;
          continue;
        }
        if (r.has_event()) {
          OnEvent(static_cast<int>(k), r.event());
          continue;
        }
        const bool refused = !wire::StatusFromResponse(r).ok();
        renewals_refused_ += refused ? 1 : 0;
        // In the warm-up a refusal answers too; one answer too many is a renewal asked before it.
        if (warming) {
          if (warm_answered[k] == o_.warmup_requests || ++warm_answered[k] < o_.warmup_requests || ++warm_done < n_) {
            continue;
          }
          warming = false;  // renewals from here on, spread over 20 s again
          for (size_t j = 0; j < n_; ++j)
            next_renewal[j] = Now() + 20.0 * static_cast<double>(j) / static_cast<double>(n_);
          std::lock_guard<std::mutex> l(mu_);
          ready_ = true;
          ready_at_ = Now();
          cv_.notify_all();
          continue;
        }
        if (refused) continue;
        if (asked_at[k] > 0) {
          (subscribed[k] ? renewal_ms_ : first_subscribe_ms_).push_back((Now() - asked_at[k]) * 1000);
          asked_at[k] = 0;
        }
        if (!subscribed[k]) {
          subscribed[k] = true;
          std::lock_guard<std::mutex> l(mu_);
          if (++subscribed_ < n_) continue;
          subscribed_at_ = ready_at_ = Now();
          warming = o_.warmup_requests > 0;
          ready_ = !warming;
          cv_.notify_all();
        }
      }
    }
    for (auto& m : monitors) m.close();
    for (auto& s : socks) {
      zmq_socket_monitor(s.handle(), nullptr, 0);
      s.close();
    }
  }

  void OnEvent(int k, const pb::Event& e) {
    const double now = Now();
    std::lock_guard<std::mutex> l(mu_);
    Seen& seen = seen_[e.message_id()];
    if (e.kind() == "new_mail") {
      if (seen.new_mail > 0) {
        ++duplicate_events_;
        return;
      }
      seen.new_mail = now;
      seen.new_mail_by = k;
      fetch_queue_.push_back({k, e.message_id()});
      fetch_cv_.notify_one();
    } else if (e.kind() == "downloaded") {
      if (seen.downloaded > 0) {
        ++duplicate_events_;
        return;
      }
      seen.downloaded = now;
      seen.downloaded_by = k;
      cv_.notify_all();
    } else {
      ++other_events_;
    }
  }

  void SendLoop(int thread) {
    const std::string dir = s_.work_dir + "/soak-send-" + std::to_string(thread);
    const Status made = MakeDirs(dir);
    const double end = start_ + o_.seconds;
    for (uint64_t seq = thread;; seq += static_cast<uint64_t>(o_.senders)) {
      const double due = start_ + static_cast<double>(seq) / o_.sends_per_second;
      if (due >= end) break;
      if (due > Now()) std::this_thread::sleep_for(std::chrono::duration<double>(due - Now()));
      const int from = static_cast<int>(seq % n_);
      const int to = static_cast<int>((seq % n_ + 1 + (seq / n_) % (n_ - 1)) % n_);
      const std::string path = dir + "/" + NameFor(seq);
      const double t0 = Now();
      Status written = made.ok() ? WriteFileAtomic(path, PdfFor(seq, static_cast<size_t>(o_.kb) * 1000)) : made;
      auto agent = agent::Agent::Open(s_.homes[from], Env::Default());
      StatusOr<agent::SendResult> r = !written.ok() ? StatusOr<agent::SendResult>(written)
                                      : agent.ok()  ? (*agent)->Send({s_.offices[to], "", {path}}, nullptr)
                                                    : StatusOr<agent::SendResult>(agent.status());
      const double t1 = Now();
      std::filesystem::remove(path);
      std::lock_guard<std::mutex> l(mu_);
      if (!r.ok()) {
        ++send_failed_;
        if (send_errors_.size() < 5) send_errors_.push_back(r.status().ToString());
        continue;
      }
      sent_[r->message_id] = Sent{from, to, seq, t1};
      send_ms_.push_back((t1 - t0) * 1000);
    }
  }

  void FetchLoop() {
    while (true) {
      std::pair<int, std::string> job;
      {
        std::unique_lock<std::mutex> l(mu_);
        fetch_cv_.wait(l, [this] { return stop_all_ || !fetch_queue_.empty(); });
        if (fetch_queue_.empty()) return;
        job = fetch_queue_.front();
        fetch_queue_.pop_front();
      }
      const auto& [k, id] = job;
      const std::string dest = s_.work_dir + "/soak-recv-" + std::to_string(k);
      const double t0 = Now();
      auto agent = agent::Agent::Open(s_.homes[k], Env::Default());
      StatusOr<agent::FetchResult> r =
          agent.ok() ? (*agent)->Fetch(id, dest, nullptr) : StatusOr<agent::FetchResult>(agent.status());
      const double t1 = Now();
      bool intact = false;
      if (r.ok() && r->saved_paths.size() == 1) {
        const std::string& path = r->saved_paths[0];
        const std::string name = path.substr(path.rfind('/') + 1);
        auto bytes = ReadFile(path);
        if (bytes.ok() && name.rfind("soak-", 0) == 0) {
          const uint64_t seq = std::strtoull(name.c_str() + 5, nullptr, 10);
          intact = *bytes == PdfFor(seq, static_cast<size_t>(o_.kb) * 1000) && NameFor(seq) == name;
        }
        std::filesystem::remove(path);
      }
      std::lock_guard<std::mutex> l(mu_);
      if (!r.ok()) {
        ++fetch_failed_;
        if (fetch_errors_.size() < 5) fetch_errors_.push_back(r.status().ToString());
        continue;
      }
      if (!intact) ++damaged_;
      seen_[id].fetched = true;
      fetch_ms_.push_back((t1 - t0) * 1000);
      cv_.notify_all();
    }
  }

  // Every 5 s: the broker's RSS and CPU, and where its memory goes.
  void Sample() {
    std::unique_ptr<httplib::Client> http;
    if (!s_.metrics_endpoint.empty()) {
      const size_t colon = s_.metrics_endpoint.rfind(':');
      http = std::make_unique<httplib::Client>(s_.metrics_endpoint.substr(0, colon),
                                               std::stoi(s_.metrics_endpoint.substr(colon + 1)));
      http->set_read_timeout(5, 0);
    }
    while (!stop_all_) {
      MemorySample m;
      m.t = std::round(Now() - start_);
      m.cpu = ProcCpuSeconds(s_.broker_pid);
      m.rss = ProcStatusKb(s_.broker_pid, "VmRSS") / 1024.0;
      if (http) {
        auto scrape = http->Get("/metrics");
        if (scrape && scrape->status == 200) {
          const std::string& b = scrape->body;
          m.store = (Series(b, "tayori_store_memory_bytes{part=\"memtables\"}") +
                     Series(b, "tayori_store_memory_bytes{part=\"block_cache\"}") +
                     Series(b, "tayori_store_memory_bytes{part=\"table_readers\"}")) /
                    (1 << 20);
          m.heap_in_use = Series(b, "tayori_heap_bytes{state=\"in_use\"}") / (1 << 20);
          m.heap_free = Series(b, "tayori_heap_bytes{state=\"free\"}") / (1 << 20);
          m.scraped = true;
        }
      }
      rss_.push_back(m);
      for (int i = 0; i < 50 && !stop_all_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  // The value of SERIES in a Prometheus scrape (0 if absent).
  static double Series(const std::string& body, const std::string& series) {
    const size_t at = body.find("\n" + series + " ");
    return at == std::string::npos ? 0 : std::strtod(body.c_str() + at + series.size() + 2, nullptr);
  }

  // Least-squares growth of FIGURE (MiB) of the samples from FROM seconds
  // on (only those scraped from the metrics if SCRAPED), in MiB a minute;
  // null with fewer than three.
  json GrowthPerMinute(double from, bool scraped, double (*figure)(const MemorySample&)) const {
    double n = 0, st = 0, sv = 0, stt = 0, stv = 0;
    for (const MemorySample& m : rss_) {
      if (m.t < from || (scraped && !m.scraped)) continue;
      const double v = figure(m);
      n += 1, st += m.t, sv += v, stt += m.t * m.t, stv += m.t * v;
    }
    const double d = n * stt - st * st;
    if (n < 3 || d == 0) return nullptr;
    return 60 * (n * stv - st * sv) / d;
  }

  json Figures(double connected_seconds, double drained) {
    std::lock_guard<std::mutex> l(mu_);
    uint64_t no_new_mail = 0, not_fetched = 0, no_downloaded = 0, misrouted = 0;
    std::vector<double> event_ms;
    for (const auto& [id, sent] : sent_) {
      auto it = seen_.find(id);
      if (it == seen_.end() || it->second.new_mail == 0) {
        ++no_new_mail;
      } else {
        // The event may arrive before Send returns: count that as no delay.
        event_ms.push_back(std::max(0.0, (it->second.new_mail - sent.accepted) * 1000));
        if (it->second.new_mail_by != sent.to) ++misrouted;
      }
      if (it == seen_.end() || !it->second.fetched) ++not_fetched;
      if (it == seen_.end() || it->second.downloaded == 0) {
        ++no_downloaded;
      } else if (it->second.downloaded_by != sent.from) {
        ++misrouted;
      }
    }
    // Events for messages this run did not send would be someone else's mail.
    uint64_t strangers = 0;
    for (const auto& [id, seen] : seen_) strangers += sent_.count(id) == 0;
    // RSS after the first minute (or a tenth of the run) against the end.
    const MemorySample* warm = nullptr;
    const MemorySample* last = rss_.empty() ? nullptr : &rss_.back();
    double peak = 0;
    const double warm_at = std::min(60.0, o_.seconds / 10.0);
    json series = json::array();
    for (const MemorySample& m : rss_) {
      if (warm == nullptr && m.t >= warm_at) warm = &m;
      peak = std::max(peak, m.rss);
      series.push_back({m.t, m.rss, m.store, m.heap_in_use, m.heap_free});
    }
    auto parts = [](const MemorySample* m) {
      if (m == nullptr) return json{{"rss", 0}};
      json j{{"rss", m->rss}};
      if (m->scraped) j.update({{"store", m->store}, {"heap_in_use", m->heap_in_use}, {"heap_free", m->heap_free}});
      return j;
    };
    const double elapsed = rss_.empty() ? 0 : rss_.back().t - rss_.front().t;
    const double cpu_used = rss_.empty() ? 0 : rss_.back().cpu - rss_.front().cpu;
    return {
        {"terminals", n_},
        {"seconds", o_.seconds},
        {"sends_per_second", o_.sends_per_second},
        {"kb", o_.kb},
        {"all_subscribed_seconds", connected_seconds},
        {"warmup_requests", o_.warmup_requests},
        {"warmup_seconds", ready_at_ - subscribed_at_},
        {"sends", sent_.size()},
        {"send_failed", send_failed_},
        {"send_errors", send_errors_},
        {"downloads", fetch_ms_.size()},
        {"download_failed", fetch_failed_},
        {"download_errors", fetch_errors_},
        {"damaged", damaged_},
        {"not_downloaded", not_fetched},
        {"new_mail_missed", no_new_mail},
        {"downloaded_missed", no_downloaded},
        {"events_misrouted", misrouted},
        {"events_for_unknown_sends", strangers},
        {"duplicate_events", duplicate_events_},
        {"other_events", other_events_},
        {"malformed_frames", malformed_},
        {"connections_lost", disconnects_},
        {"renewals_unanswered", renewals_unanswered_},
        {"renewals_refused", renewals_refused_},
        {"renewals_unsent", renewals_unsent_},
        {"drain_seconds", drained},
        {"send_ms", {{"p50", Percentile(send_ms_, 0.5)}, {"p99", Percentile(send_ms_, 0.99)}}},
        {"download_ms", {{"p50", Percentile(fetch_ms_, 0.5)}, {"p99", Percentile(fetch_ms_, 0.99)}}},
        {"new_mail_event_ms", {{"p50", Percentile(event_ms, 0.5)}, {"p99", Percentile(event_ms, 0.99)}}},
        {"first_subscribe_ms",
         {{"p50", Percentile(first_subscribe_ms_, 0.5)}, {"p99", Percentile(first_subscribe_ms_, 0.99)}}},
        {"renewal_ms", {{"p50", Percentile(renewal_ms_, 0.5)}, {"p99", Percentile(renewal_ms_, 0.99)}}},
        {"broker_rss_mib_before_connections", rss_idle_},
        {"broker_rss_mib",
         {{"after_warm_up", warm == nullptr ? 0 : warm->rss},
          {"at_end", last == nullptr ? 0 : last->rss},
          {"peak", peak},
          {"warm_up_seconds", warm_at}}},
        {"broker_memory_mib",
         {{"after_warm_up", parts(warm)},
          {"at_end", parts(last)},
          // Over the second half of the sends: RSS, and the heap's
          // footprint (what the allocator has taken from the system).
          {"rss_growth_per_minute_second_half",
           GrowthPerMinute(o_.seconds / 2.0, false, [](const MemorySample& m) { return m.rss; })},
          {"heap_footprint_growth_per_minute_second_half",
           GrowthPerMinute(o_.seconds / 2.0, true, [](const MemorySample& m) { return m.heap_in_use + m.heap_free; })},
          {"series_columns", {"seconds", "rss", "store", "heap_in_use", "heap_free"}},
          {"series", series}}},
        {"broker_cpu_share", elapsed > 0 ? cpu_used / elapsed : 0}};
  }

  const SoakSetup& s_;
  const SoakOptions o_;
  const size_t n_;
  double t0_ = 0, start_ = 0, rss_idle_ = 0;
  std::atomic<bool> stop_all_{false};

  std::mutex mu_;
  std::condition_variable cv_, fetch_cv_;
  size_t subscribed_ = 0;      // guarded by mu_
  double subscribed_at_ = 0;   // when the last terminal subscribed; guarded by mu_
  bool ready_ = false;         // subscribed and warmed up: the sends may begin; guarded by mu_
  double ready_at_ = 0;        // when ready_ was set; guarded by mu_
  bool watch_failed_ = false;  // guarded by mu_
  std::map<std::string, Sent> sent_;
  std::map<std::string, Seen> seen_;
  std::deque<std::pair<int, std::string>> fetch_queue_;
  std::vector<double> send_ms_, fetch_ms_;
  std::vector<std::string> send_errors_, fetch_errors_;
  uint64_t send_failed_ = 0, fetch_failed_ = 0, damaged_ = 0, duplicate_events_ = 0, other_events_ = 0;
  // The watcher thread's own.
  std::vector<double> renewal_ms_, first_subscribe_ms_;  // the first includes the CURVE handshake
  uint64_t disconnects_ = 0, renewals_unanswered_ = 0, renewals_refused_ = 0, renewals_unsent_ = 0, malformed_ = 0;
  // The sampler's own.
  std::vector<MemorySample> rss_;
};

}  // namespace

json RunSoak(const SoakSetup& setup, const SoakOptions& options) {
  if (setup.homes.size() < 2 || setup.homes.size() != setup.offices.size()) {
    return {{"error", "the soak needs two terminals or more, each with its office"}};
  }
  return Soak(setup, options).Run();
}

}  // namespace tayori::bench
