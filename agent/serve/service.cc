#include "agent/serve/service.h"

#include <httplib.h>

#include <chrono>

#include "agent/drafts.h"
#include "agent/serve/routes.h"
#include "agent/serve/views.h"

namespace tayori::agent::serve {
namespace {
// Connections served at once: every open screen holds one for its event
// stream.
constexpr size_t kHttpWorkers = 16;
// Uploads a closed page left behind go after a day.
constexpr int64_t kStaleUploadSeconds = 86400;
// How often a request first learns the newest revocations.
constexpr int64_t kRevocationsMillis = 10 * 60 * 1000;
}  // namespace

Service::Service(ServeOptions options) : options_(std::move(options)), uploads_(options_.home, options_.env) {}

Service::~Service() {
  handoff_.reset();
  events_.Close();
  if (http_) http_->stop();
  if (http_thread_.joinable()) http_thread_.join();
  bulks_.reset();
}

StatusOr<std::unique_ptr<Service>> Service::Start(const ServeOptions& options) {
  std::unique_ptr<Service> service(new Service(options));
  RETURN_IF_ERROR(service->Init());
  return service;
}

Status Service::Init() {
  Env* env = options_.env;
  ASSIGN_OR_RETURN(agent_, Agent::Open(options_.home, env));
  revocations_learned_ms_ = env->MonotonicMillis();  // its first connection learns them
  const std::string listen = options_.listen.empty() ? agent_->config().listen : options_.listen;
  ASSIGN_OR_RETURN(auto host_port, ParseListen(listen));
  ASSIGN_OR_RETURN(std::string api_token, Auth::LoadOrCreateApiToken(options_.home, env));
  auth_ = std::make_unique<Auth>(env, api_token, options_.home + "/sessions");
  const std::string home = options_.home;
  bulks_ = std::make_unique<BulkRuns>(
      home, env, &events_, [home, env] { return Agent::Open(home, env); },
      [this](const std::string& upload) { ReleaseUpload(upload); });
  {
    auto lock = LockUploadRefs();
    uploads_.RemoveStale(kStaleUploadSeconds, UploadsInUse());
  }
  const AgentConfig::Handoff& handoff = agent_->config().handoff;
  if (!handoff.export_dir.empty() || !handoff.import_dir.empty()) {
    handoff_ = std::make_unique<handoff::Runner>(home, handoff, env, [home, env] { return Agent::Open(home, env); });
  }

  http_ = std::make_unique<httplib::Server>();
  http_->new_task_queue = [] { return new httplib::ThreadPool(kHttpWorkers); };
  http_->set_payload_max_length(Uploads::kMaxBytes + (1 << 20));
  http_->set_keep_alive_timeout(5);
  AddPageRoutes(http_.get(), this);
  AddMailRoutes(http_.get(), this);
  AddSendRoutes(http_.get(), this);
  AddBulkRoutes(http_.get(), this);
  port_ = host_port.second == 0 ? http_->bind_to_any_port(host_port.first)
                                : (http_->bind_to_port(host_port.first, host_port.second) ? host_port.second : -1);
  if (port_ <= 0) {
    return InvalidArgument("listen_failed", "cannot listen on " + listen + " (is another agent running there?)");
  }
  http_thread_ = std::thread([this] {
    http_->listen_after_bind();
    http_ended_ = true;
  });
  // stop() only ends a server that is already listening: wait for it, so
  // that a service stopped at once still ends.
  while (!http_->is_running() && !http_ended_) std::this_thread::yield();
  return Status::Ok();
}

std::string Service::SignInUrl() {
  return "http://127.0.0.1:" + std::to_string(port_) + "/signin?token=" + auth_->NewSignInToken();
}

std::string Service::DownloadDir() const {
  const std::string& configured = agent_->config().download_dir;  // constant after Open
  return configured.empty() ? DefaultDownloadDir() : configured;
}

std::set<std::string> Service::UploadsInUse() {
  std::set<std::string> in_use = bulks_->UploadsInUse();
  auto drafts = DraftStore(options_.home, options_.env).List();
  if (!drafts.ok()) {
    // Unknown references: keep every upload rather than lose a draft's files.
    for (const std::string& id : options_.env->GetChildren(options_.home + "/uploads")) in_use.insert(id);
    return in_use;
  }
  for (const pb::Draft& d : *drafts) {
    for (const std::string& path : d.paths()) {
      const std::string id = uploads_.UploadOf(path);
      if (!id.empty()) in_use.insert(id);
    }
  }
  return in_use;
}

void Service::ReleaseUpload(const std::string& id) {
  auto lock = LockUploadRefs();
  if (UploadsInUse().count(id) == 0) (void)uploads_.Remove(id);
}

void Service::RefreshRevocationsLocked() {
  const int64_t now = options_.env->MonotonicMillis();
  if (now - revocations_learned_ms_ < kRevocationsMillis) return;
  // Unreachable now: the request itself will say so; try again next time.
  if (agent_->RefreshRevocations().ok()) revocations_learned_ms_ = now;
}

void Service::Run(const std::atomic<bool>* stop) { WatchLoop(stop); }

// Pushed events from the broker reach the open screens. The watching Agent
// has its own connection; the DEALER reconnects by itself after the broker
// restarts and the subscription is renewed every 20 seconds.
void Service::WatchLoop(const std::atomic<bool>* stop) {
  while (!stop->load()) {
    auto watcher = Agent::Open(options_.home, options_.env);
    Status st = watcher.ok() ? (*watcher)->Watch(
                                   [this](const pb::Event& e) {
                                     if (handoff_ && (e.kind() == "subscribed" || e.kind() == "new_mail")) {
                                       handoff_->MailArrived();  // what came while away, or now
                                     }
                                     if (e.kind() == "subscribed") {
                                       broker_reachable_ = true;
                                       events_.Publish("status", Dump(json{{"connected", true}}));
                                       return;
                                     }
                                     events_.Publish(e.kind() == "new_mail" ? "mail" : e.kind(), Dump(EventJson(e)));
                                   },
                                   [stop] { return stop->load(); })
                             : watcher.status();
    if (st.ok()) continue;
    broker_reachable_ = false;
    events_.Publish("status", Dump(json{{"connected", false}}));
    // Try again in a few seconds, still answering a stop at once.
    for (int i = 0; i < 25 && !stop->load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace tayori::agent::serve
