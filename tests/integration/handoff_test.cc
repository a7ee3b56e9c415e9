// Integration: the hand-off with the care software (agent/handoff/). The care
// software writes 20 files into the export folder in bursts, some slowly in
// pieces; the sending agent is SIGKILLed while it works and started again.
// Every send arrives exactly once, byte-identical, in the other office's
// import folder; every file ends in 送信済 or エラー (with its reason); no
// partial file is ever sent.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <thread>

#include "tests/support/careplan_corpus.h"
#include "tests/support/cluster.h"

namespace tayori {
namespace {

using testing::Cluster;
using testing::Corpus;
using testing::CorpusFile;
using testing::Process;

// Waits (real time: separate processes at work) until DONE or SECONDS
// pass, looking every POLL_MS.
bool Eventually(const std::function<bool()>& done, int seconds, int poll_ms = 100) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
  }
  return done();
}

std::vector<std::string> Files(const std::string& dir) {
  std::vector<std::string> out;
  for (const std::string& name : ListDir(dir)) {
    if (Env::Default()->IsRegularFile(dir + "/" + name)) out.push_back(name);
  }
  return out;
}

class HandoffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    c_.StartBroker();
    c_.Office("a", "0123456789", "KJ000000000001");
    c_.Office("b", "1299999999", "KJ000000000002");
    export_ = c_.Sub("kaigo-a/export");
    import_ = c_.Sub("kaigo-b/import");
    ASSERT_TRUE(MakeDirs(export_).ok());
    AddConfig("a", "handoff:\n  export_dir: " + export_ + "\n  quiet_s: 1\n  unit_wait_s: 4\n");
    AddConfig("b", "handoff:\n  import_dir: " + import_ + "\n");
  }

  void AddConfig(const std::string& home, const std::string& yaml) {
    const std::string path = c_.Sub(home + "/agent.yaml");
    ASSERT_TRUE(WriteFileAtomic(path, *ReadFile(path) + yaml).ok());
  }

  std::unique_ptr<Process> Serve(const std::string& home) {
    auto p = c_.StartAgent(home, {"serve", "--listen", "127.0.0.1:0"});
    EXPECT_TRUE(p->WaitForOut("url:", 20000)) << p->err();
    return p;
  }

  // Writes FILE into the export folder as care software would: at once, or
  // in three pieces with pauses shorter than the quiet time.
  void Export(const CorpusFile& file, bool slowly) {
    const std::string path = export_ + "/" + file.name;
    if (!slowly) {
      ASSERT_TRUE(WriteFileAtomic(path, file.content).ok());
      return;
    }
    auto out = Env::Default()->NewWritableFile(path, 0644);
    ASSERT_TRUE(out.ok());
    const size_t third = file.content.size() / 3 + 1;
    for (size_t off = 0; off < file.content.size(); off += third) {
      ASSERT_TRUE((*out)->Append(std::string_view(file.content).substr(off, third)).ok());
      ASSERT_TRUE((*out)->Sync().ok());
      std::this_thread::sleep_for(std::chrono::milliseconds(400));
    }
    ASSERT_TRUE((*out)->Close().ok());
  }

  Cluster c_;
  std::string export_, import_;
};

TEST_F(HandoffTest, TwentyFilesArriveExactlyOnceThroughACrash) {
  std::map<std::string, std::string> expected;  // name -> content, sent
  std::vector<std::vector<CorpusFile>> bursts;
  for (int i = 0; i < 5; ++i) {  // five 第6表・第7表 units (15 files)
    Corpus unit("0123456789", "1299999999", "2026112109" + std::to_string(10 + i) + "00");
    bursts.push_back(unit.Unit("plan_6_7", true));
  }
  bursts.push_back(Corpus("0123456789", "1299999999", "20261121100000").Unit("plan_1_2", true));  // 3 files
  for (const auto& burst : bursts) {
    for (const CorpusFile& f : burst) expected[f.name] = f.content;
  }
  // Two that cannot go: a PDF (no recipient in its name) and a CSV named
  // against the standard.
  const CorpusFile pdf{"計画書.pdf", "%PDF-1.7\nplan"};
  const CorpusFile misnamed{"UPPLAN_nonstandard.CSV", "x"};
  ASSERT_EQ(expected.size() + 2, 20u);

  auto a = Serve("a");
  auto b = Serve("b");
  for (size_t i = 0; i < bursts.size(); ++i) {
    for (size_t k = 0; k < bursts[i].size(); ++k) Export(bursts[i][k], /*slowly=*/(i + k) % 4 == 1);
    if (i == 1) {
      Export(pdf, false);
      Export(misnamed, false);
    }
    if (i == 2) {
      // Kill the sending agent while it works, then start it again.
      ASSERT_TRUE(Eventually([&] { return !Files(export_ + "/送信済").empty(); }, 60));
      a->Kill(SIGKILL);
      a->Finish(10000);
      a = Serve("a");
    }
    if (i == 4) {
      // Again, this time while a send is recorded as begun and not finished.
      ASSERT_TRUE(Eventually([&] { return !Files(c_.Sub("a/handoff")).empty(); }, 60, 1));
      a->Kill(SIGKILL);
      a->Finish(10000);
      a = Serve("a");
    }
  }
  ASSERT_TRUE(Eventually([&] { return Files(import_).size() >= expected.size() && Files(export_).empty(); }, 120))
      << "import " << Files(import_).size() << ", export left " << Files(export_).size();
  // Every send exactly once and byte for byte (a second copy would be
  // saved as "name (2).CSV"), and nothing else.
  std::vector<std::string> got = Files(import_);
  EXPECT_EQ(got.size(), expected.size());
  for (const std::string& name : got) {
    ASSERT_TRUE(expected.count(name)) << "unexpected " << name;
    EXPECT_EQ(*ReadFile(import_ + "/" + name), expected[name]) << name;
  }
  // Every source file in 送信済 or エラー, the refused ones with their reason.
  EXPECT_EQ(Files(export_ + "/送信済").size(), expected.size());
  std::vector<std::string> errors = Files(export_ + "/エラー");
  std::sort(errors.begin(), errors.end());
  EXPECT_EQ(errors,
            (std::vector<std::string>{"UPPLAN_nonstandard.CSV", "UPPLAN_nonstandard.txt", "計画書.pdf", "計画書.txt"}));
  EXPECT_NE(ReadFile(export_ + "/エラー/計画書.txt")->find("新規作成"), std::string::npos);
  EXPECT_NE(ReadFile(export_ + "/エラー/UPPLAN_nonstandard.txt")->find("ファイル名"), std::string::npos)
      << *ReadFile(export_ + "/エラー/UPPLAN_nonstandard.txt");
  // The sender's history has each send once.
  auto sent = c_.Json(c_.Agent("a", {"sent", "--json"}));
  EXPECT_EQ(sent["sent"].size(), bursts.size()) << sent.dump();
}

}  // namespace
}  // namespace tayori
