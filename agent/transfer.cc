#include "agent/transfer.h"

#include <algorithm>
#include <deque>
#include <map>

#include "common/reasons.h"
#include "common/wire/codec.h"

namespace tayori::agent {
namespace {

// The state of one RunTransfer: positions in the item list, not items, so
// that re-asked requests keep their order.
class Pipeline {
 public:
  Pipeline(const std::vector<uint64_t>& items, const TransferOptions& options, const TransferIo& io)
      : items_(items), options_(options), io_(io) {
    for (size_t i = 0; i < items_.size(); ++i) todo_.push_back(i);
  }

  bool Done() const { return delivered_ == items_.size(); }

  // Posts requests until the window is full or the link is down.
  Status Fill() {
    while (inflight_.size() + waiting_.size() < options_.window && !todo_.empty()) {
      auto id = io_.post(items_[todo_.front()]);
      if (!id.ok()) {
        if (id.status().code() == Code::kUnavailable) return Status::Ok();  // wait, then again
        return id.status();
      }
      inflight_[*id] = todo_.front();
      todo_.pop_front();
    }
    return Status::Ok();
  }

  // Answers were lost (e.g. the peer restarted): ask again for all in flight.
  void AskAgain() {
    for (auto it = inflight_.rbegin(); it != inflight_.rend(); ++it) todo_.push_front(it->second);
    std::sort(todo_.begin(), todo_.end());
    inflight_.clear();
  }

  // Takes one answer. *MATCHED is false for an answer to a request no longer
  // in flight.
  Status Take(TransferAnswer answer, bool* matched) {
    auto it = inflight_.find(answer.request_id);
    *matched = it != inflight_.end();
    if (!*matched) return Status::Ok();
    const size_t pos = it->second;
    inflight_.erase(it);
    RETURN_IF_ERROR(answer.status);
    if (!options_.ordered) {
      ++delivered_;
      return io_.on_answer(items_[pos], std::move(answer.data));
    }
    waiting_[pos] = std::move(answer.data);
    while (!waiting_.empty() && waiting_.begin()->first == delivered_) {
      std::string data = std::move(waiting_.begin()->second);
      waiting_.erase(waiting_.begin());
      ++delivered_;
      RETURN_IF_ERROR(io_.on_answer(items_[delivered_ - 1], std::move(data)));
    }
    return Status::Ok();
  }

 private:
  const std::vector<uint64_t>& items_;
  const TransferOptions& options_;
  const TransferIo& io_;
  std::deque<size_t> todo_;                // not asked for yet, or asked again
  std::map<uint64_t, size_t> inflight_;    // request id -> position
  std::map<size_t, std::string> waiting_;  // ordered: answered, not yet delivered
  size_t delivered_ = 0;
};

}  // namespace

Status RunTransfer(const std::vector<uint64_t>& items, const TransferOptions& options, const TransferIo& io, Env* env) {
  Pipeline pipeline(items, options, io);
  int64_t deadline = env->MonotonicMillis() + options.stall_timeout_ms;  // reset on each answer
  while (!pipeline.Done()) {
    if (options.cancel != nullptr && options.cancel->load()) {
      return Status(Code::kDeadlineExceeded, reason::kInterrupted, "stopped; run again to resume");
    }
    RETURN_IF_ERROR(pipeline.Fill());
    auto answer = io.receive(options.attempt_timeout_ms);
    if (!answer.ok()) {
      if (env->MonotonicMillis() > deadline) {
        return Status(Code::kUnavailable, "unavailable", options.stalled_detail);
      }
      pipeline.AskAgain();
      continue;
    }
    bool matched = false;
    RETURN_IF_ERROR(pipeline.Take(std::move(answer).value(), &matched));
    if (matched) deadline = env->MonotonicMillis() + options.stall_timeout_ms;
  }
  return Status::Ok();
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
