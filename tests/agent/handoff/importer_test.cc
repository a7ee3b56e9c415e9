// The import side of the hand-off (agent/handoff/importer.h) given what
// goes wrong on a PC: a file of the same name already in the import folder,
// and a disk that fills up while mail is written. Nothing is written over,
// nothing is acknowledged before it is safely written, and the next pass
// finishes the work. A real broker runs in the test.
#include "agent/handoff/importer.h"

#include <gtest/gtest.h>

#include "tests/support/careplan_corpus.h"
#include "tests/support/fault_env.h"
#include "tests/support/in_process_exchange.h"

namespace tayori::agent::handoff {
namespace {

class ImporterTest : public ::testing::Test {
 protected:
  ImporterTest() : faults_(x_.env()) {
    x_.AddOffice("0123456789", "居宅介護支援A");
    x_.AddOffice("1299999999", "訪問介護B");
    a_ = x_.NewAgent("a", "0123456789", "KJ000000000001");
    b_ = x_.NewAgent("b", "1299999999", "KJ000000000002", &faults_);
    config_.import_dir = x_.Sub("import");
    importer_ = std::make_unique<Importer>(config_, &faults_);
  }

  // A sends a unit of actuals to B; returns its file (name, content).
  testing::CorpusFile Send(const std::string& stamp) {
    const auto unit = testing::Corpus("0123456789", "1299999999", stamp).Unit("actuals", true);
    const std::string path = x_.Sub(unit[0].name);
    EXPECT_TRUE(WriteFileAtomic(path, unit[0].content).ok());
    SendOptions o;
    o.files = {path};
    auto sent = a_->Send(o, nullptr);
    EXPECT_TRUE(sent.ok()) << sent.status().ToString();
    return unit[0];
  }

  bool StillNew() {
    auto inbox = b_->Inbox();
    EXPECT_TRUE(inbox.ok()) << inbox.status().ToString();
    return inbox.ok() && inbox->size() == 1 && (*inbox)[0].is_new;
  }

  testing::InProcessExchange x_;
  testing::FaultInjectionEnv faults_;
  std::unique_ptr<Agent> a_, b_;
  AgentConfig::Handoff config_;
  std::unique_ptr<Importer> importer_;
};

TEST_F(ImporterTest, ANameClashKeepsBothFiles) {
  const testing::CorpusFile f = Send("20261121093000");
  ASSERT_TRUE(MakeDirs(config_.import_dir).ok());
  ASSERT_TRUE(WriteFileAtomic(config_.import_dir + "/" + f.name, "imported last month").ok());
  ASSERT_TRUE(importer_->Pass(b_.get()).ok());
  EXPECT_EQ(*ReadFile(config_.import_dir + "/" + f.name), "imported last month");
  const std::string second = f.name.substr(0, f.name.rfind('.')) + " (2)" + f.name.substr(f.name.rfind('.'));
  auto got = ReadFile(config_.import_dir + "/" + second);
  ASSERT_TRUE(got.ok()) << second;
  EXPECT_EQ(*got, f.content);
  EXPECT_EQ(importer_->counts().received, 1);
  EXPECT_FALSE(StillNew());
}

TEST_F(ImporterTest, AFullDiskLosesNothingAndTheNextPassFinishes) {
  const testing::CorpusFile f = Send("20261121093000");
  faults_.SetSpaceLeft(100);
  const Status st = importer_->Pass(b_.get());
  EXPECT_FALSE(st.ok());
  EXPECT_FALSE(importer_->counts().last_problem.empty());
  EXPECT_EQ(importer_->counts().last_problem.find("disk"), std::string::npos) << "Japanese for staff";
  // Nothing under the file's name, and the message is still to be fetched.
  EXPECT_FALSE(FileExists(config_.import_dir + "/" + f.name));
  EXPECT_TRUE(StillNew());
  // Space again: the next pass imports it, byte for byte, once.
  faults_.SetSpaceLeft(-1);
  ASSERT_TRUE(importer_->Pass(b_.get()).ok());
  EXPECT_EQ(*ReadFile(config_.import_dir + "/" + f.name), f.content);
  EXPECT_EQ(ListDir(config_.import_dir).size(), 1u);
  EXPECT_TRUE(importer_->counts().last_problem.empty());
  EXPECT_FALSE(StillNew());
}

}  // namespace
}  // namespace tayori::agent::handoff
