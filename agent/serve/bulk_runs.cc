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

StatusOr<std::string> BulkRuns::Plan(Agent* agent, const BulkOptions& options) {
  DraftStore drafts(home_, env_);
  Bulk bulk(agent, &drafts);
  ASSIGN_OR_RETURN(std::vector<BulkGroup> groups, bulk.Plan(options));
  auto run = std::make_unique<Run>();
  run->groups = std::move(groups);
  const std::string id = NewId(env_->NowMillis());
  std::lock_guard<std::mutex> lock(mu_);
  runs_[id] = std::move(run);
  return id;
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
        events_->Publish("bulk", event.dump());
      },
      &run->cancel, 2, open_agent_);
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t k = 0; k < indexes.size(); ++k) run->groups[indexes[k]] = groups[k];
  run->running = false;
}

}  // namespace tayori::agent::serve
