// How a send reads the files it is given (agent/send.cc): the care plan
// checks read each file once per send (the caller's check, when the files
// have not changed since, is not repeated), a file changed after the
// caller's check is checked again, and the rest of the send reads each
// byte as often as its design says. A real broker runs in the test.
#include <gtest/gtest.h>
#include <sodium.h>

#include <atomic>
#include <filesystem>

#include "agent/agent.h"
#include "common/crypto/packing.h"
#include "common/ids.h"
#include "common/reasons.h"
#include "tests/support/careplan_corpus.h"
#include "tests/support/fault_env.h"
#include "tests/support/in_process_exchange.h"

namespace tayori::agent {
namespace {

// Passes of the send itself over each file's bytes, after the checks.
constexpr uint64_t kSendPasses = 1;  // read, hashed and encrypted once; the upload sends what that pass sealed

class SendTest : public ::testing::Test {
 protected:
  SendTest() : reads_(x_.env()) {
    x_.AddOffice("0123456789", "居宅介護支援A");
    x_.AddOffice("1299999999", "訪問介護B");
    a_ = x_.NewAgent("a", "0123456789", "KJ000000000001", &reads_);
    b_ = x_.NewAgent("b", "1299999999", "KJ000000000002");
  }

  // A valid 第6表・第7表・補足 unit written to disk; returns the paths.
  std::vector<std::string> WriteUnit(const std::string& stamp) {
    std::vector<std::string> paths;
    for (const auto& f : testing::Corpus("0123456789", "1299999999", stamp).Unit("plan_6_7", true)) {
      paths.push_back(x_.Sub(f.name));
      EXPECT_TRUE(WriteFileAtomic(paths.back(), f.content).ok());
    }
    return paths;
  }

  uint64_t Read(const std::vector<std::string>& paths) const {
    uint64_t n = 0;
    for (const auto& p : paths) n += reads_.bytes_read(p);
    return n;
  }

  static uint64_t Size(const std::vector<std::string>& paths) {
    uint64_t n = 0;
    for (const auto& p : paths) n += *Env::Default()->GetFileSize(p);
    return n;
  }

  // A PDF of 2 MiB of random bytes (many chunks) at plan.pdf, as *CONTENT.
  std::string WritePdf(std::string* content) {
    *content = "%PDF-1.7\n" + std::string(2 << 20, '\0');
    randombytes_buf(content->data() + 9, content->size() - 9);
    const std::string path = x_.Sub("plan.pdf");
    EXPECT_TRUE(WriteFileAtomic(path, *content).ok());
    return path;
  }

  // Sends O, stopped once the first chunk is answered: the outbox record
  // stays and the broker lacks the other chunks.
  void SendInterrupted(SendOptions o) {
    std::atomic<bool> stop{false};
    o.cancel = &stop;
    auto interrupted = a_->Send(o, [&](const std::string&, uint64_t done, uint64_t) { stop = done > 0; });
    ASSERT_EQ(interrupted.status().reason(), reason::kInterrupted);
  }

  // B's inbox holds one message, MESSAGE_ID, whose plan.pdf is CONTENT.
  void ExpectArrivedOnce(const std::string& message_id, const std::string& content) {
    auto inbox = b_->Inbox();
    ASSERT_TRUE(inbox.ok());
    ASSERT_EQ(inbox->size(), 1u);
    ASSERT_TRUE(MakeDirs(x_.Sub("received")).ok());
    auto fetched = b_->Fetch(message_id, x_.Sub("received"), nullptr);
    ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
    EXPECT_EQ(*ReadFile(x_.Sub("received") + "/plan.pdf"), content);
  }

  testing::InProcessExchange x_;
  testing::FaultInjectionEnv reads_;
  std::unique_ptr<Agent> a_, b_;
};

TEST_F(SendTest, TheCallersCheckIsNotRepeated) {
  const std::vector<std::string> paths = WriteUnit("20261121093000");
  const uint64_t size = Size(paths);
  SendOptions o;
  o.files = paths;
  o.checked = CheckedFiles{Agent::StampFiles(paths, &reads_), ""};
  const careplan::CheckReport report = Agent::CheckFiles(paths, "0123456789", "", &reads_);
  ASSERT_TRUE(report.ok());
  o.checked->recipient = report.recipient;
  EXPECT_EQ(Read(paths), size);  // the check reads each file once
  auto sent = a_->Send(o, nullptr);
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  EXPECT_EQ(sent->recipient, "1299999999");
  EXPECT_EQ(Read(paths), size + kSendPasses * size);
}

TEST_F(SendTest, WithoutTheCallersCheckTheSendChecksOnce) {
  const std::vector<std::string> paths = WriteUnit("20261121093000");
  SendOptions o;
  o.files = paths;
  auto sent = a_->Send(o, nullptr);
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  EXPECT_EQ(Read(paths), (1 + kSendPasses) * Size(paths));
}

TEST_F(SendTest, AFileChangedAfterTheCheckIsCheckedAgain) {
  const std::vector<std::string> paths = WriteUnit("20261121093000");
  SendOptions o;
  o.files = paths;
  o.checked = CheckedFiles{Agent::StampFiles(paths, &reads_), "1299999999"};
  ASSERT_TRUE(Agent::CheckFiles(paths, "0123456789", "", &reads_).ok());
  // The 第6表 is saved again, broken, after it passed.
  std::string content = *ReadFile(paths[0]);
  content.replace(content.find("202407"), 6, "202410");
  ASSERT_TRUE(WriteFileAtomic(paths[0], content).ok());
  auto sent = a_->Send(o, nullptr);
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.status().reason(), "format_invalid") << sent.status().ToString();
  auto inbox = b_->Inbox();
  ASSERT_TRUE(inbox.ok());
  EXPECT_TRUE(inbox->empty());
}

// A send interrupted, then resumed by an agent whose zstd packs otherwise
// (updated meanwhile): it must not seal other bytes under the nonces it
// used, so it begins anew once the broker shows chunks missing, and the
// files arrive once.
TEST_F(SendTest, AResumeUnderAnotherPackerBeginsAnewAndArrivesOnce) {
  std::string pdf;
  SendOptions o;
  o.files = {WritePdf(&pdf)};
  o.to = "1299999999";
  ASSERT_NO_FATAL_FAILURE(SendInterrupted(o));

  const std::string outbox = x_.home("a") + "/outbox";
  std::vector<std::string> records;
  for (const auto& e : std::filesystem::directory_iterator(outbox)) records.push_back(e.path());
  ASSERT_EQ(records.size(), 1u);
  pb::OutboxRecord rec;
  ASSERT_TRUE(rec.ParseFromString(*ReadFile(records[0])));
  EXPECT_EQ(rec.packer(), crypto::PackerId());
  rec.set_packer("zstd 0.0.0 level 1");
  ASSERT_TRUE(WriteFileAtomic(records[0], rec.SerializeAsString()).ok());

  auto refused = a_->Send(o, nullptr);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().reason(), reason::kResumeChanged);
  EXPECT_TRUE(std::filesystem::is_empty(outbox));

  auto sent = a_->Send(o, nullptr);
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  EXPECT_FALSE(sent->resumed);
  ExpectArrivedOnce(sent->message_id, pdf);
}

// A send resumed by its send id (as the hand-off folder does) after its
// file was rewritten in place: sealing the new bytes under the nonces used
// for the old must never be, so it begins anew and the new content arrives
// once.
TEST_F(SendTest, AResumeOfAChangedFileBeginsAnew) {
  std::string pdf;
  SendOptions o;
  o.files = {WritePdf(&pdf)};
  o.to = "1299999999";
  o.send_id = NewId(x_.env()->NowMillis());
  ASSERT_NO_FATAL_FAILURE(SendInterrupted(o));

  randombytes_buf(pdf.data() + 9, pdf.size() - 9);  // the same name and size, other bytes
  ASSERT_TRUE(WriteFileAtomic(o.files[0], pdf).ok());
  auto refused = a_->Send(o, nullptr);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().reason(), reason::kResumeChanged);
  EXPECT_TRUE(std::filesystem::is_empty(x_.home("a") + "/outbox"));

  o.send_id = NewId(x_.env()->NowMillis() + 1);
  auto sent = a_->Send(o, nullptr);
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  ExpectArrivedOnce(sent->message_id, pdf);
}

}  // namespace
}  // namespace tayori::agent
