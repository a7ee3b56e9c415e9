#include "agent/transfer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <map>

namespace tayori::agent {
namespace {

// A peer that answers requests when asked to, in an order the test picks,
// and can lose answers or stay silent. Silence costs the attempt timeout on
// the fake clock; nothing sleeps.
class FakePeer {
 public:
  explicit FakePeer(FakeEnv* env) : env_(env) {}

  TransferIo Io(std::vector<uint64_t>* delivered) {
    TransferIo io;
    io.post = [this](uint64_t item) -> StatusOr<uint64_t> {
      if (post_failures_ > 0) {
        --post_failures_;
        return Status(Code::kUnavailable, "unavailable", "not connected");
      }
      if (post_error_) return InvalidArgument("file_unreadable", "gone");
      const uint64_t id = next_id_++;
      pending_.push_back({id, item});
      posted_.push_back(item);
      max_outstanding_ = std::max(max_outstanding_, pending_.size() + delivered_waiting_());
      return id;
    };
    io.receive = [this](int timeout_ms) -> StatusOr<TransferAnswer> {
      env_->AdvanceMonotonic(delay_ms_);
      if (silent_ > 0 || pending_.empty()) {
        if (silent_ > 0) --silent_;
        env_->AdvanceMonotonic(timeout_ms);
        return Status(Code::kDeadlineExceeded, "unavailable", "no answer");
      }
      auto it = newest_first_ ? std::prev(pending_.end()) : pending_.begin();
      const Pending p = *it;
      pending_.erase(it);
      if (lose_ > 0) {  // the answer never arrives
        --lose_;
        env_->AdvanceMonotonic(timeout_ms);
        return Status(Code::kDeadlineExceeded, "unavailable", "no answer");
      }
      TransferAnswer a;
      a.request_id = p.id;
      a.data = "data-" + std::to_string(p.item);
      if (p.item == refuse_item_) a.status = Status(Code::kNotFound, "message_not_found", "gone");
      if (p.item == unavailable_item_ && unavailable_answers_ > 0) {
        --unavailable_answers_;
        a.status = Status(Code::kUnavailable, "store_unavailable", "the database is unreachable");
      }
      return a;
    };
    io.on_answer = [this, delivered](uint64_t item, std::string data) {
      EXPECT_EQ(data, "data-" + std::to_string(item));
      delivered->push_back(item);
      if (on_delivered_) on_delivered_();
      return Status::Ok();
    };
    return io;
  }

  struct Pending {
    uint64_t id;
    uint64_t item;
  };
  FakeEnv* env_;
  uint64_t next_id_ = 1;
  std::deque<Pending> pending_;  // posted, not answered yet
  std::vector<uint64_t> posted_;
  size_t max_outstanding_ = 0;
  std::function<size_t()> delivered_waiting_ = [] { return size_t{0}; };
  std::function<void()> on_delivered_;
  bool newest_first_ = false;
  int silent_ = 0;  // receives that see no answer at all
  int lose_ = 0;    // answers lost on the way
  int post_failures_ = 0;
  bool post_error_ = false;
  int64_t delay_ms_ = 0;  // time each answer takes
  uint64_t refuse_item_ = ~uint64_t{0};
  uint64_t unavailable_item_ = ~uint64_t{0};  // answered "unavailable" ...
  int unavailable_answers_ = 0;               // ... this many times
};

std::vector<uint64_t> Items(uint64_t n) {
  std::vector<uint64_t> items;
  for (uint64_t i = 0; i < n; ++i) items.push_back(100 + i);
  return items;
}

TransferOptions Options(uint32_t window) {
  TransferOptions o;
  o.window = window;
  o.attempt_timeout_ms = 3000;
  o.stall_timeout_ms = 60000;
  o.unavailable_pause_ms = 0;  // the fake peer's answers take the time
  return o;
}

TEST(TransferTest, EveryItemAnsweredOnceWithinTheWindow) {
  FakeEnv env(0);
  FakePeer peer(&env);
  peer.newest_first_ = true;  // answers out of order
  std::vector<uint64_t> delivered;
  ASSERT_TRUE(RunTransfer(Items(20), Options(3), peer.Io(&delivered), &env).ok());
  EXPECT_EQ(peer.max_outstanding_, 3u);
  EXPECT_EQ(peer.posted_.size(), 20u);  // nothing asked twice
  std::vector<uint64_t> sorted = delivered;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, Items(20));
  EXPECT_NE(delivered, Items(20));  // as they came
}

TEST(TransferTest, OrderedDeliversInItemOrderAndCountsWaitingAnswers) {
  FakeEnv env(0);
  FakePeer peer(&env);
  peer.newest_first_ = true;
  std::vector<uint64_t> delivered;
  TransferOptions o = Options(4);
  o.ordered = true;
  // What the pipeline holds: requests out plus answers waiting their turn.
  size_t answered = 0;
  peer.delivered_waiting_ = [&] { return answered - delivered.size(); };
  TransferIo io = peer.Io(&delivered);
  auto receive = io.receive;
  io.receive = [&](int ms) -> StatusOr<TransferAnswer> {
    auto a = receive(ms);
    if (a.ok()) ++answered;
    return a;
  };
  ASSERT_TRUE(RunTransfer(Items(10), o, io, &env).ok());
  EXPECT_EQ(delivered, Items(10));
  EXPECT_LE(peer.max_outstanding_, 4u);
}

TEST(TransferTest, LostAnswersAreAskedForAgain) {
  FakeEnv env(0);
  FakePeer peer(&env);
  peer.lose_ = 2;
  std::vector<uint64_t> delivered;
  TransferOptions o = Options(2);
  o.ordered = true;
  ASSERT_TRUE(RunTransfer(Items(5), o, peer.Io(&delivered), &env).ok());
  EXPECT_EQ(delivered, Items(5));
  // The first two requests were asked again (and, losing one answer each
  // time, once more): more posts than items, each item delivered once.
  EXPECT_GT(peer.posted_.size(), 5u);
  EXPECT_EQ(std::count(peer.posted_.begin(), peer.posted_.end(), 100u), 3);
}

TEST(TransferTest, AnswerToAForgottenRequestIsIgnored) {
  FakeEnv env(0);
  FakePeer peer(&env);
  std::vector<uint64_t> delivered;
  TransferIo io = peer.Io(&delivered);
  bool stale_sent = false;
  auto receive = io.receive;
  io.receive = [&](int ms) -> StatusOr<TransferAnswer> {
    if (!stale_sent) {
      stale_sent = true;
      TransferAnswer stale;
      stale.request_id = 999;  // never asked, or asked before a re-ask
      stale.data = "junk";
      return stale;
    }
    return receive(ms);
  };
  ASSERT_TRUE(RunTransfer(Items(3), Options(8), io, &env).ok());
  EXPECT_EQ(delivered.size(), 3u);
}

TEST(TransferTest, GivesUpWhenNoAnswerComesForTheStallTimeout) {
  FakeEnv env(0);
  FakePeer peer(&env);
  peer.silent_ = 1000;
  std::vector<uint64_t> delivered;
  TransferOptions o = Options(4);
  o.stalled_detail = "upload stalled: no answer from tcp://x";
  Status st = RunTransfer(Items(10), o, peer.Io(&delivered), &env);
  EXPECT_EQ(st.code(), Code::kUnavailable);
  EXPECT_EQ(st.reason(), "unavailable");
  EXPECT_EQ(st.detail(), "upload stalled: no answer from tcp://x");
  EXPECT_GT(env.MonotonicMillis(), 60000);
  EXPECT_LE(env.MonotonicMillis(), 60000 + 3000);
  EXPECT_TRUE(delivered.empty());
  // Asked again after every silent attempt.
  EXPECT_EQ(peer.posted_.size(), 4u * static_cast<size_t>(env.MonotonicMillis() / 3000));
}

TEST(TransferTest, AnItemAnsweredUnavailableIsAskedAgain) {
  // The broker could not reach its database for a while (a failover).
  FakeEnv env(0);
  FakePeer peer(&env);
  peer.unavailable_item_ = 102;
  peer.unavailable_answers_ = 3;
  std::vector<uint64_t> delivered;
  TransferOptions o = Options(4);
  o.ordered = true;
  ASSERT_TRUE(RunTransfer(Items(6), o, peer.Io(&delivered), &env).ok());
  EXPECT_EQ(delivered, Items(6));
  EXPECT_EQ(std::count(peer.posted_.begin(), peer.posted_.end(), 102u), 4);
}

TEST(TransferTest, GivesUpWhenTheBrokerStaysUnavailable) {
  FakeEnv env(0);
  FakePeer peer(&env);
  peer.unavailable_item_ = 100;
  peer.unavailable_answers_ = 1 << 30;
  peer.delay_ms_ = 1000;
  std::vector<uint64_t> delivered;
  TransferOptions o = Options(1);
  o.ordered = true;
  const Status st = RunTransfer(Items(2), o, peer.Io(&delivered), &env);
  EXPECT_EQ(st.code(), Code::kUnavailable) << st.ToString();
  EXPECT_GT(env.MonotonicMillis(), 60000);
  EXPECT_LE(env.MonotonicMillis(), 60000 + 2000);
  EXPECT_TRUE(delivered.empty());
}

TEST(TransferTest, EachAnswerResetsTheStallDeadline) {
  FakeEnv env(0);
  FakePeer peer(&env);
  peer.delay_ms_ = 50000;  // slow answers, but they keep coming
  std::vector<uint64_t> delivered;
  ASSERT_TRUE(RunTransfer(Items(6), Options(2), peer.Io(&delivered), &env).ok());
  EXPECT_EQ(delivered.size(), 6u);
  EXPECT_GE(env.MonotonicMillis(), 6 * 50000);
}

TEST(TransferTest, CancelStopsWithInterrupted) {
  FakeEnv env(0);
  FakePeer peer(&env);
  std::atomic<bool> cancel{false};
  std::vector<uint64_t> delivered;
  peer.on_delivered_ = [&] {
    if (delivered.size() == 3) cancel = true;
  };
  TransferOptions o = Options(1);
  o.cancel = &cancel;
  Status st = RunTransfer(Items(10), o, peer.Io(&delivered), &env);
  EXPECT_EQ(st.reason(), "interrupted");
  EXPECT_EQ(st.code(), Code::kDeadlineExceeded);
  EXPECT_EQ(delivered.size(), 3u);
  EXPECT_EQ(peer.posted_.size(), 3u);  // nothing asked after the cancel
}

TEST(TransferTest, ALinkDownAtPostIsWaitedOut) {
  FakeEnv env(0);
  FakePeer peer(&env);
  peer.post_failures_ = 3;
  std::vector<uint64_t> delivered;
  ASSERT_TRUE(RunTransfer(Items(4), Options(2), peer.Io(&delivered), &env).ok());
  EXPECT_EQ(delivered.size(), 4u);
}

TEST(TransferTest, OtherPostErrorsAndRefusalsEndTheTransfer) {
  FakeEnv env(0);
  {
    FakePeer peer(&env);
    peer.post_error_ = true;
    std::vector<uint64_t> delivered;
    EXPECT_EQ(RunTransfer(Items(4), Options(2), peer.Io(&delivered), &env).reason(), "file_unreadable");
  }
  {
    FakePeer peer(&env);
    peer.refuse_item_ = 102;
    std::vector<uint64_t> delivered;
    EXPECT_EQ(RunTransfer(Items(4), Options(1), peer.Io(&delivered), &env).reason(), "message_not_found");
    EXPECT_EQ(delivered, (std::vector<uint64_t>{100, 101}));
  }
}

TEST(TransferTest, NothingToDoIsDone) {
  FakeEnv env(0);
  FakePeer peer(&env);
  std::vector<uint64_t> delivered;
  EXPECT_TRUE(RunTransfer({}, Options(8), peer.Io(&delivered), &env).ok());
  EXPECT_TRUE(peer.posted_.empty());
}

}  // namespace
TEST(TransferTest, ARangeIsAskedInOrderAndNeverListed) {
  FakeEnv env(0);
  FakePeer peer(&env);
  peer.newest_first_ = true;
  std::vector<uint64_t> delivered;
  TransferOptions o = Options(4);
  o.ordered = true;
  ASSERT_TRUE(RunTransfer(7, 19, o, peer.Io(&delivered), &env).ok());
  std::vector<uint64_t> want;
  for (uint64_t i = 7; i < 19; ++i) want.push_back(i);
  EXPECT_EQ(delivered, want);
  EXPECT_LE(peer.max_outstanding_, 4u);

  // Answers lost: asked again, still delivered in order, each once.
  delivered.clear();
  peer.lose_ = 2;
  ASSERT_TRUE(RunTransfer(7, 19, o, peer.Io(&delivered), &env).ok());
  EXPECT_EQ(delivered, want);

  // A count no list could hold (a manifest may declare it; the bytes never
  // come): the refusal of its fourth item ends it at once.
  delivered.clear();
  peer.refuse_item_ = 3;
  Status st = RunTransfer(0, uint64_t{1} << 40, o, peer.Io(&delivered), &env);
  EXPECT_EQ(st.reason(), "message_not_found");
  EXPECT_LE(delivered.size(), 3u);
  EXPECT_TRUE(RunTransfer(5, 5, o, peer.Io(&delivered), &env).ok());  // nothing to ask
}

}  // namespace tayori::agent
