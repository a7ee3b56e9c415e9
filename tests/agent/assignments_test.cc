#include "agent/assignments.h"

#include <gtest/gtest.h>

namespace tayori::agent {
namespace {

using Strings = std::vector<std::string>;

TEST(BulkAssignmentsTest, NothingGivenIsEmpty) {
  auto a = ParseBulkAssignments({}, {});
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->attachments.empty());
  EXPECT_TRUE(a->messages.empty());
}

TEST(BulkAssignmentsTest, GroupsAttachmentsByOfficeInOrder) {
  auto a = ParseBulkAssignments(Strings{"0123456789=a.pdf", "1299999999=b.png", "0123456789=c=d.pdf"}, {});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->attachments.at("0123456789"), (Strings{"a.pdf", "c=d.pdf"}));  // only the first '=' splits
  EXPECT_EQ(a->attachments.at("1299999999"), (Strings{"b.png"}));
}

TEST(BulkAssignmentsTest, MessagesPerOfficeLastWins) {
  auto a = ParseBulkAssignments({}, Strings{"0123456789=first", "1299999999=", "0123456789=12月分です"});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->messages.at("0123456789"), "12月分です");
  EXPECT_EQ(a->messages.at("1299999999"), "");  // an empty message is a message
}

TEST(BulkAssignmentsTest, RefusesAMalformedAttach) {
  for (const char* bad : {"a.pdf", "12=a.pdf", "=a.pdf", "012345678x=a.pdf", "01234567890=a.pdf"}) {
    auto a = ParseBulkAssignments(Strings{"0123456789=ok.pdf", bad}, {});
    ASSERT_FALSE(a.ok()) << bad;
    EXPECT_EQ(a.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(a.status().reason(), "usage");
    EXPECT_EQ(a.status().detail(), std::string("--attach takes N=FILE, got '") + bad + "'");
  }
}

TEST(BulkAssignmentsTest, RefusesAMalformedMessageFor) {
  auto a = ParseBulkAssignments({}, Strings{"hello"});
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(a.status().detail(), "--message-for takes N=TEXT, got 'hello'");
}

TEST(BulkAssignmentsTest, AttachIsCheckedFirst) {
  auto a = ParseBulkAssignments(Strings{"bad-attach"}, Strings{"bad-message"});
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().detail(), "--attach takes N=FILE, got 'bad-attach'");
}

}  // namespace
}  // namespace tayori::agent
