#include "agent/serve/bulk_runs.h"

#include "agent/drafts.h"
#include "agent/serve/views.h"
#include "common/ids.h"

namespace tayori::agent::serve {

BulkRuns::~BulkRuns() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, run] : runs_) {
      run->cancel = true;
      if (run->thread.joinable()) threads.push_back(std::move(run->thread));
    }
  }
  for (auto& t : threads) t.join();
}

namespace {
// A bulk send planned and left unfinished is forgotten after a day (its
// failed groups stay as drafts).
constexpr int64_t kForgetMillis = 86400 * 1000;
}  // namespace

StatusOr<std::string> BulkRuns::Plan(Agent* agent, const BulkOptions& options, const std::string& upload) {
  Prune();
  DraftStore drafts(home_, env_);
  Bulk bulk(agent, &drafts);
  ASSIGN_OR_RETURN(std::vector<BulkGroup> groups, bulk.Plan(options));
  auto run = std::make_unique<Run>();
  run->upload = upload;
  run->planned_ms = env_->NowMillis();
  run->groups = std::move(groups);
  const std::string id = NewId(run->planned_ms);
  std::lock_guard<std::mutex> lock(mu_);
  runs_[id] = std::move(run);
  return id;
}

bool BulkRuns::HasWork(const Run& run) {
  for (const BulkGroup& g : run.groups) {
    if (g.problems.empty() && g.state != BulkGroup::kSucceeded) return true;
  }
  return false;
}

void BulkRuns::Prune() {
  std::vector<std::unique_ptr<Run>> gone;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t now = env_->NowMillis();
    for (auto it = runs_.begin(); it != runs_.end();) {
      Run& run = *it->second;
      if (!run.running && (!HasWork(run) || now - run.planned_ms > kForgetMillis)) {
        gone.push_back(std::move(it->second));
        it = runs_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& run : gone) {
    if (run->thread.joinable()) run->thread.join();  // it has ended: running is false
  }
}

std::set<std::string> BulkRuns::UploadsInUse() {
  std::lock_guard<std::mutex> lock(mu_);
  std::set<std::string> uploads;
  for (const auto& [id, run] : runs_) {
    if (run->running || HasWork(*run)) uploads.insert(run->upload);
  }
  return uploads;
}

StatusOr<std::vector<BulkGroup>> BulkRuns::Groups(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = runs_.find(id);
  if (it == runs_.end()) return NotFound("bulk_not_found", "no bulk send " + id);
  return it->second->groups;
}

Status BulkRuns::Start(const std::string& id, const std::vector<size_t>& indexes) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = runs_.find(id);
  if (it == runs_.end()) return NotFound("bulk_not_found", "no bulk send " + id);
  Run* run = it->second.get();
  if (run->running) return FailedPrecondition("bulk_running", "bulk send " + id + " is running");
  std::vector<size_t> chosen;
  for (size_t i = 0; i < run->groups.size(); ++i) {
    const bool wanted = indexes.empty() || std::find(indexes.begin(), indexes.end(), i) != indexes.end();
    const BulkGroup::State s = run->groups[i].state;
    if (!wanted || !run->groups[i].problems.empty() || s == BulkGroup::kSucceeded) continue;
    run->groups[i].state = BulkGroup::kWaiting;  // failed and interrupted ones go again
    run->groups[i].error = Status::Ok();
    chosen.push_back(i);
  }
  if (chosen.empty()) return InvalidArgument("usage", "no group of bulk send " + id + " can be sent");
  if (run->thread.joinable()) run->thread.join();  // the previous round has ended
  run->running = true;
  run->cancel = false;
  run->thread = std::thread([this, id, run, chosen] { Send(id, run, chosen); });
  return Status::Ok();
}

Status BulkRuns::Cancel(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = runs_.find(id);
  if (it == runs_.end()) return NotFound("bulk_not_found", "no bulk send " + id);
  it->second->cancel = true;
  return Status::Ok();
}

Status BulkRuns::Discard(const std::string& id) {
  std::unique_ptr<Run> run;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = runs_.find(id);
    if (it == runs_.end()) return NotFound("bulk_not_found", "no bulk send " + id);
    if (it->second->running) return FailedPrecondition("bulk_running", "bulk send " + id + " is running");
    run = std::move(it->second);
    runs_.erase(it);
  }
  if (run->thread.joinable()) run->thread.join();  // it has ended: running was false
  release_(run->upload);
  return Status::Ok();
}

void BulkRuns::Send(const std::string& id, Run* run, std::vector<size_t> indexes) {
  std::vector<BulkGroup> groups;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i : indexes) groups.push_back(run->groups[i]);
  }
  auto agent = open_agent_();
  if (!agent.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i : indexes) run->groups[i].state = BulkGroup::kFailed, run->groups[i].error = agent.status();
    run->running = false;
    return;
  }
  DraftStore drafts(home_, env_);
  Bulk bulk(agent->get(), &drafts);
  bulk.Run(
      &groups,
      [&](size_t k, const BulkGroup& g) {
        json event = BulkGroupJson(indexes[k], g);
        event["bulk"] = id;
        {
          std::lock_guard<std::mutex> lock(mu_);
          run->groups[indexes[k]] = g;
        }
        events_->Publish("bulk", Dump(event));
      },
      &run->cancel, 2, open_agent_);
  bool done = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t k = 0; k < indexes.size(); ++k) run->groups[indexes[k]] = groups[k];
    run->running = false;
    done = !HasWork(*run);
  }
  if (done) release_(run->upload);  // sent: the copies go (R13)
}

}  // namespace tayori::agent::serve
