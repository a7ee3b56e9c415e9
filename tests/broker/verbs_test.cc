// The verb table (broker/verbs.h): every request body has one row, each
// row's channel and anonymous rule, and docs/protocol.md mirrors it row for
// row.
#include "broker/verbs.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

namespace tayori::broker {
namespace {

using B = pb::Request::BodyCase;

TEST(VerbsTest, EveryRequestBodyHasExactlyOneRow) {
  const auto* body = pb::Request::descriptor()->FindOneofByName("body");
  ASSERT_NE(body, nullptr);
  std::set<int> rows;
  for (const Verb& v : VerbTable()) {
    EXPECT_TRUE(rows.insert(static_cast<int>(v.body)).second) << v.name << " twice";
    EXPECT_NE(v.handler, nullptr) << v.name;
  }
  EXPECT_EQ(rows.size(), static_cast<size_t>(body->field_count()));
  for (int i = 0; i < body->field_count(); ++i) {
    EXPECT_NE(FindVerb(static_cast<B>(body->field(i)->number())), nullptr) << body->field(i)->name();
  }
  EXPECT_EQ(FindVerb(B::BODY_NOT_SET), nullptr);
}

TEST(VerbsTest, ChannelsAndAnonymousRules) {
  // Only enrolment and the trust anchor are open to keys not enrolled.
  std::set<std::string> anonymous;
  for (const Verb& v : VerbTable()) {
    if (v.anonymous) anonymous.insert(v.name);
  }
  EXPECT_EQ(anonymous, (std::set<std::string>{"Enrol", "GetTrust"}));
  // Only chunk uploads carry a data frame.
  for (const Verb& v : VerbTable()) EXPECT_EQ(v.data_frame, v.body == B::kChunkPut) << v.name;
  auto channel = [](B b) { return FindVerb(b)->channel; };
  for (B b : {B::kEnrol, B::kGetTrust, B::kHello, B::kLookup, B::kSendBegin, B::kChunkPut, B::kCommit, B::kListInbox,
              B::kListSent, B::kFetchBegin, B::kChunkGet, B::kAck, B::kSubscribe}) {
    EXPECT_EQ(channel(b), Channel::kOffice) << FindVerb(b)->name;
  }
  for (B b : {B::kOfficeAdd, B::kOfficeList, B::kLicenceRenew, B::kLicenceExpire, B::kTerminalList, B::kTerminalRemove,
              B::kNoticePost, B::kNoticeWithdraw, B::kStats, B::kMaintenance}) {
    EXPECT_EQ(channel(b), Channel::kAdmin) << FindVerb(b)->name;
    EXPECT_FALSE(FindVerb(b)->anonymous);
  }
  EXPECT_EQ(channel(B::kNotices), Channel::kBoth);
}

// docs/protocol.md's verb table: "| Name | channel | anonymous | data | ..."
// rows, in the table's order.
TEST(VerbsTest, ProtocolDocMirrorsTheTable) {
  std::ifstream in(std::string(TAYORI_SOURCE_DIR) + "/docs/protocol.md");
  ASSERT_TRUE(in.good());
  std::vector<std::vector<std::string>> rows;
  std::string line;
  bool in_table = false;
  while (std::getline(in, line)) {
    if (line.rfind("| verb | channel | anonymous | data frame |", 0) == 0) {
      in_table = true;
      continue;
    }
    if (!in_table || line.rfind("|---", 0) == 0) continue;
    if (line.rfind("|", 0) != 0) break;
    std::vector<std::string> cells;
    std::stringstream ss(line.substr(1));
    std::string cell;
    while (std::getline(ss, cell, '|')) {
      const size_t a = cell.find_first_not_of(' '), b = cell.find_last_not_of(' ');
      cells.push_back(a == std::string::npos ? "" : cell.substr(a, b - a + 1));
    }
    rows.push_back(cells);
  }
  ASSERT_EQ(rows.size(), VerbTable().size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const Verb& v = VerbTable()[i];
    ASSERT_GE(rows[i].size(), 4u);
    EXPECT_EQ(rows[i][0], v.name);
    EXPECT_EQ(rows[i][1], v.channel == Channel::kOffice  ? "office"
                          : v.channel == Channel::kAdmin ? "admin"
                                                         : "both")
        << v.name;
    EXPECT_EQ(rows[i][2], v.anonymous ? "yes" : "no") << v.name;
    EXPECT_EQ(rows[i][3], v.data_frame ? "yes" : "no") << v.name;
  }
}

}  // namespace
}  // namespace tayori::broker
