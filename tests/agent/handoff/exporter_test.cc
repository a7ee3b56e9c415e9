// The export side of the hand-off (agent/handoff/exporter.h) given what care
// software and PCs do wrong: a folder that is missing or goes away, a file
// that cannot be read, a file removed while it waits, a broken unit. Each
// gets a message staff can act on, nothing is lost, and the next pass goes
// on. A real broker runs in the test; time is a FakeEnv's.
#include "agent/handoff/exporter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <set>

#include "common/ids.h"
#include "common/reasons.h"
#include "tests/support/careplan_corpus.h"
#include "tests/support/in_process_exchange.h"

namespace tayori::agent::handoff {
namespace {

// The exchange's clock, and files that cannot be read (as one locked by
// another program, or with no permission for this user) on request.
class UnreadableEnv : public FakeEnv {
 public:
  explicit UnreadableEnv(FakeEnv* clock) : FakeEnv(0), clock_(clock) {}
  int64_t NowMillis() override { return clock_->NowMillis(); }
  int64_t MonotonicMillis() override { return clock_->MonotonicMillis(); }
  StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    if (unreadable.count(BaseName(path))) return Status(Code::kIoError, "io_error", path + ": Permission denied");
    return FakeEnv::NewRandomAccessFile(path);
  }
  std::set<std::string> unreadable;  // base names

 private:
  FakeEnv* const clock_;
};

class ExporterTest : public ::testing::Test {
 protected:
  ExporterTest() : env_(x_.env()) {
    x_.AddOffice("0123456789", "居宅介護支援A");
    x_.AddOffice("1299999999", "訪問介護B");
    a_ = x_.NewAgent("a", "0123456789", "KJ000000000001", &env_);
    b_ = x_.NewAgent("b", "1299999999", "KJ000000000002");
    config_.export_dir = x_.Sub("export");
    EXPECT_TRUE(MakeDirs(config_.export_dir).ok());
    exporter_ = std::make_unique<Exporter>(x_.home("a"), config_, &env_);
  }

  void Put(const std::string& name, const std::string& content) {
    ASSERT_TRUE(WriteFileAtomic(config_.export_dir + "/" + name, content).ok());
  }
  void PutUnit(const std::string& unit, const std::string& stamp = "20261121093000") {
    for (const auto& f : testing::Corpus("0123456789", "1299999999", stamp).Unit(unit, true)) Put(f.name, f.content);
  }
  // Passes before and after the quiet time, as the service would.
  Status Settle() {
    (void)exporter_->Pass(a_.get());
    x_.env()->AdvanceMonotonic(config_.quiet_s * 1000LL + 1);
    return exporter_->Pass(a_.get());
  }
  std::set<std::string> In(const std::string& folder) {
    std::set<std::string> out;
    for (const auto& n : Env::Default()->GetChildren(config_.export_dir + "/" + folder)) out.insert(n);
    return out;
  }
  size_t Arrived() {
    auto inbox = b_->Inbox();
    EXPECT_TRUE(inbox.ok()) << inbox.status().ToString();
    return inbox.ok() ? inbox->size() : 0;
  }

  testing::InProcessExchange x_;
  UnreadableEnv env_;
  std::unique_ptr<Agent> a_, b_;
  AgentConfig::Handoff config_;
  std::unique_ptr<Exporter> exporter_;
};

TEST_F(ExporterTest, AMissingOrVanishedFolderIsSaidAndThePassesGoOn) {
  ASSERT_TRUE(Env::Default()->RemoveDir(config_.export_dir).ok());
  Status st = exporter_->Pass(a_.get());
  EXPECT_EQ(st.reason(), "handoff_folder_missing") << st.ToString();
  EXPECT_NE(exporter_->counts().last_problem.find("見つかりません"), std::string::npos)
      << exporter_->counts().last_problem;
  EXPECT_NE(exporter_->counts().last_problem.find(config_.export_dir), std::string::npos);
  // Created (the care software's folder set up): it works.
  ASSERT_TRUE(MakeDirs(config_.export_dir).ok());
  PutUnit("actuals");
  EXPECT_TRUE(Settle().ok());
  EXPECT_EQ(In("送信済").size(), 1u);
  EXPECT_EQ(Arrived(), 1u);
  EXPECT_TRUE(exporter_->counts().last_problem.empty());
  // Gone while the service runs (a network drive unplugged): said again,
  // the files already sent stay sent, and nothing is sent twice after.
  ASSERT_EQ(std::system(("mv " + config_.export_dir + " " + x_.Sub("unplugged")).c_str()), 0);
  EXPECT_EQ(exporter_->Pass(a_.get()).reason(), "handoff_folder_missing");
  ASSERT_EQ(std::system(("mv " + x_.Sub("unplugged") + " " + config_.export_dir).c_str()), 0);
  EXPECT_TRUE(Settle().ok());
  EXPECT_EQ(Arrived(), 1u);
}

TEST_F(ExporterTest, AnUnreadableFileGoesToErrorsWithWhatToDo) {
  const auto unit = testing::Corpus("0123456789", "1299999999").Unit("actuals", true);
  env_.unreadable.insert(unit[0].name);
  PutUnit("actuals");
  EXPECT_TRUE(Settle().ok());
  EXPECT_EQ(Arrived(), 0u);
  const std::string txt = unit[0].name.substr(0, unit[0].name.rfind('.')) + ".txt";
  EXPECT_EQ(In("エラー"), (std::set<std::string>{unit[0].name, txt}));
  auto why = ReadFile(config_.export_dir + "/エラー/" + txt);
  ASSERT_TRUE(why.ok());
  EXPECT_NE(why->find("読み込めません"), std::string::npos) << *why;
  EXPECT_NE(why->find("もう一度このフォルダに置いてください"), std::string::npos) << *why;
  EXPECT_EQ(exporter_->counts().errors, 1);
  // The same file, readable again and put back, goes.
  env_.unreadable.clear();
  ASSERT_TRUE(Env::Default()
                  ->RenameFile(config_.export_dir + "/エラー/" + unit[0].name, config_.export_dir + "/" + unit[0].name)
                  .ok());
  EXPECT_TRUE(Settle().ok());
  EXPECT_EQ(Arrived(), 1u);
}

TEST_F(ExporterTest, AFileRemovedWhileItWaitsIsForgotten) {
  const auto unit = testing::Corpus("0123456789", "1299999999").Unit("actuals", true);
  PutUnit("actuals");
  EXPECT_TRUE(exporter_->Pass(a_.get()).ok());
  EXPECT_EQ(exporter_->counts().waiting, 1);
  ASSERT_TRUE(Env::Default()->RemoveFile(config_.export_dir + "/" + unit[0].name).ok());
  x_.env()->AdvanceMonotonic(config_.quiet_s * 1000LL + 1);
  EXPECT_TRUE(exporter_->Pass(a_.get()).ok());
  EXPECT_EQ(exporter_->counts().waiting, 0);
  EXPECT_TRUE(In("エラー").empty());
  EXPECT_TRUE(In("送信済").empty());
  EXPECT_EQ(Arrived(), 0u);
}

TEST_F(ExporterTest, ABrokenUnitGoesToErrorsWithItsReasons) {
  // A unit missing a file waits for it, then goes to エラー saying which.
  auto unit = testing::Corpus("0123456789", "1299999999").Unit("plan_6_7", true);
  ASSERT_EQ(unit.size(), 3u);
  for (size_t i = 0; i < 2; ++i) Put(unit[i].name, unit[i].content);
  EXPECT_TRUE(Settle().ok());
  EXPECT_TRUE(In("エラー").empty());
  EXPECT_EQ(exporter_->counts().waiting, 2);
  x_.env()->AdvanceMonotonic(config_.unit_wait_s * 1000LL);
  EXPECT_TRUE(exporter_->Pass(a_.get()).ok());
  EXPECT_EQ(In("エラー").size(), 4u);  // two files, two notes
  const std::string note = unit[0].name.substr(0, unit[0].name.rfind('.')) + ".txt";
  auto why = ReadFile(config_.export_dir + "/エラー/" + note);
  ASSERT_TRUE(why.ok());
  EXPECT_NE(why->find("UPHOSOKU"), std::string::npos) << *why;
  EXPECT_NE(why->find("直したファイル一式"), std::string::npos) << *why;
  // A unit whose content breaks the standard goes to エラー at once.
  auto broken = testing::Corpus("0123456789", "1299999999", "20261122093000").Unit("actuals", true);
  Put(broken[0].name, "not,a,care,plan\r\n");
  EXPECT_TRUE(Settle().ok());
  EXPECT_TRUE(In("エラー").count(broken[0].name));
  EXPECT_EQ(Arrived(), 0u);
  EXPECT_EQ(exporter_->counts().errors, 3);
}

// A hand-off send interrupted, then resumed by an agent whose zstd packs
// otherwise (updated meanwhile): the send cannot go on under its key, so
// the folder's record takes a new id and the next pass sends the files anew;
// nothing goes to エラー and the unit arrives once.
TEST_F(ExporterTest, ASendThatCannotResumeGoesAnewOnTheNextPass) {
  const testing::Corpus corpus("0123456789", "1299999999", "20261121093000");
  std::vector<std::string> paths;
  for (auto f : corpus.Unit("plan_6_7", true)) {
    if (f.name.rfind("UPPLAN", 0) == 0) f = corpus.File("UPPLAN", true, "202612", 20000);  // chunks to spare
    Put(f.name, f.content);
    paths.push_back(config_.export_dir + "/" + f.name);
  }
  // The send begun and interrupted, as a crash in the middle leaves it.
  pb::HandoffSend rec;
  rec.set_send_id(NewId(x_.env()->NowMillis()));
  for (const auto& p : paths) rec.add_paths(p);
  rec.set_recipient("1299999999");
  rec.set_created_unix(x_.env()->NowSeconds());
  const std::string journal = x_.home("a") + "/handoff";
  ASSERT_TRUE(MakeDirs(journal).ok());
  ASSERT_TRUE(WriteFileAtomic(journal + "/" + rec.send_id() + ".pb", rec.SerializeAsString()).ok());
  SendOptions o;
  o.files = paths;
  o.send_id = rec.send_id();
  std::atomic<bool> stop{false};
  o.cancel = &stop;
  auto interrupted = a_->Send(o, [&](const std::string&, uint64_t done, uint64_t) { stop = done > 0; });
  ASSERT_EQ(interrupted.status().reason(), reason::kInterrupted);
  // The agent's zstd differs from the one that sealed it.
  const std::string outbox = x_.home("a") + "/outbox/" + rec.send_id() + ".pb";
  pb::OutboxRecord out;
  ASSERT_TRUE(out.ParseFromString(*ReadFile(outbox)));
  out.set_packer("zstd 0.0.0 level 1");
  ASSERT_TRUE(WriteFileAtomic(outbox, out.SerializeAsString()).ok());

  EXPECT_EQ(exporter_->Pass(a_.get()).reason(), reason::kResumeChanged);
  EXPECT_TRUE(In(kErrorFolder).empty());
  std::vector<std::string> records;
  for (const auto& e : std::filesystem::directory_iterator(journal)) records.push_back(e.path().filename());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_NE(records[0], rec.send_id() + ".pb");  // the same files under a new send id

  ASSERT_TRUE(exporter_->Pass(a_.get()).ok());
  EXPECT_EQ(Arrived(), 1u);
  EXPECT_EQ(In(kSentFolder).size(), paths.size());
  EXPECT_TRUE(In(kErrorFolder).empty());
}

}  // namespace
}  // namespace tayori::agent::handoff
