#include "agent/transfer.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <thread>

#include "common/reasons.h"
#include "common/wire/codec.h"

namespace tayori::agent {
namespace {

// The state of one RunTransfer over COUNT items, the item at position i
// being ITEM(i): positions, not items, so that re-asked requests keep their
// order. Positions are handed out in turn, so memory follows the window,
// never the number of items.
class Pipeline {
 public:
  Pipeline(uint64_t count, std::function<uint64_t(uint64_t)> item, const TransferOptions& options, const TransferIo& io)
      : count_(count), item_(std::move(item)), options_(options), io_(io) {}

  bool Done() const { return delivered_ == count_; }
  size_t InFlight() const { return inflight_.size(); }

  // Posts requests until the window is full or the link is down.
  Status Fill() {
    while (inflight_.size() + waiting_.size() < options_.window && (!again_.empty() || next_ < count_)) {
      const uint64_t pos = again_.empty() ? next_ : again_.front();
      auto id = io_.post(item_(pos));
      if (!id.ok()) {
        if (id.status().code() == Code::kUnavailable) return Status::Ok();  // wait, then again
        return id.status();
      }
      inflight_[*id] = pos;
      if (again_.empty()) {
        ++next_;
      } else {
        again_.pop_front();
      }
    }
    return Status::Ok();
  }

  // Answers were lost (e.g. the peer restarted): ask again for all in flight,
  // before anything not asked for yet.
  void AskAgain() {
    for (const auto& [id, pos] : inflight_) again_.push_back(pos);
    std::sort(again_.begin(), again_.end());
    inflight_.clear();
  }

  // Takes one answer. *MATCHED is false for an answer to a request no longer
  // in flight, and for "unavailable": that request is to be asked again
  // (*ASK_AGAIN).
  Status Take(TransferAnswer answer, bool* matched, bool* ask_again) {
    *ask_again = false;
    auto it = inflight_.find(answer.request_id);
    *matched = it != inflight_.end();
    if (!*matched) return Status::Ok();
    const uint64_t pos = it->second;
    inflight_.erase(it);
    if (answer.status.code() == Code::kUnavailable) {
      again_.insert(std::lower_bound(again_.begin(), again_.end(), pos), pos);
      *matched = false;
      *ask_again = true;
      return Status::Ok();
    }
    RETURN_IF_ERROR(answer.status);
    if (!options_.ordered) {
      ++delivered_;
      return io_.on_answer(item_(pos), std::move(answer.data));
    }
    waiting_[pos] = std::move(answer.data);
    while (!waiting_.empty() && waiting_.begin()->first == delivered_) {
      std::string data = std::move(waiting_.begin()->second);
      waiting_.erase(waiting_.begin());
      ++delivered_;
      RETURN_IF_ERROR(io_.on_answer(item_(delivered_ - 1), std::move(data)));
    }
    return Status::Ok();
  }

 private:
  const uint64_t count_;
  const std::function<uint64_t(uint64_t)> item_;
  const TransferOptions& options_;
  const TransferIo& io_;
  uint64_t next_ = 0;                        // positions from here on not asked for yet
  std::deque<uint64_t> again_;               // answer lost or "unavailable": to ask again, in order
  std::map<uint64_t, uint64_t> inflight_;    // request id -> position
  std::map<uint64_t, std::string> waiting_;  // ordered: answered, not yet delivered
  uint64_t delivered_ = 0;
};

Status Run(Pipeline* pipeline, const TransferOptions& options, const TransferIo& io, Env* env) {
  int64_t deadline = env->MonotonicMillis() + options.stall_timeout_ms;  // reset on each answer
  // After an "unavailable" answer nothing more is asked until the rest of
  // the window has answered; then one pause, and all of it is asked again.
  bool draining = false;
  while (!pipeline->Done()) {
    if (options.cancel != nullptr && options.cancel->load()) {
      return Status(Code::kDeadlineExceeded, reason::kInterrupted, "stopped; run again to resume");
    }
    if (draining && pipeline->InFlight() == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(options.unavailable_pause_ms));
      draining = false;
    }
    if (!draining) RETURN_IF_ERROR(pipeline->Fill());
    auto answer = io.receive(options.attempt_timeout_ms);
    if (!answer.ok()) {
      if (env->MonotonicMillis() > deadline) {
        return Status(Code::kUnavailable, "unavailable", options.stalled_detail);
      }
      pipeline->AskAgain();
      draining = false;  // the attempt timeout was the pause
      continue;
    }
    bool matched = false, ask_again = false;
    RETURN_IF_ERROR(pipeline->Take(std::move(answer).value(), &matched, &ask_again));
    if (matched) deadline = env->MonotonicMillis() + options.stall_timeout_ms;
    if (ask_again) {
      if (env->MonotonicMillis() > deadline) return Status(Code::kUnavailable, "unavailable", options.stalled_detail);
      draining = true;
    }
  }
  return Status::Ok();
}

}  // namespace

Status RunTransfer(const std::vector<uint64_t>& items, const TransferOptions& options, const TransferIo& io, Env* env) {
  Pipeline pipeline(
      items.size(), [&items](uint64_t pos) { return items[pos]; }, options, io);
  return Run(&pipeline, options, io, env);
}

Status RunTransfer(uint64_t first, uint64_t end, const TransferOptions& options, const TransferIo& io, Env* env) {
  Pipeline pipeline(
      end > first ? end - first : 0, [first](uint64_t pos) { return first + pos; }, options, io);
  return Run(&pipeline, options, io, env);
}

std::function<StatusOr<TransferAnswer>(int timeout_ms)> ReceiveFrom(wire::Client* client) {
  return [client](int timeout_ms) -> StatusOr<TransferAnswer> {
    ASSIGN_OR_RETURN(wire::Reply reply, client->Receive(timeout_ms));
    TransferAnswer answer;
    answer.request_id = reply.response.req_id();
    answer.status = wire::StatusFromResponse(reply.response);
    answer.data = std::move(reply.data);
    return answer;
  };
}

}  // namespace tayori::agent
