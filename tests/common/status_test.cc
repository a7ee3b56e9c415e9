#include "common/status.h"

#include <gtest/gtest.h>

#include "common/messages.h"

namespace tayori {
namespace {

StatusOr<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgument("usage", "odd");
  return x / 2;
}

Status UsesMacros(int x, int* out) {
  ASSIGN_OR_RETURN(int h, Half(x));
  RETURN_IF_ERROR(h > 10 ? InvalidArgument("usage", "too big") : Status::Ok());
  *out = h;
  return Status::Ok();
}

TEST(StatusTest, OkAndErrors) {
  EXPECT_TRUE(Status::Ok().ok());
  Status st = NotFound("message_not_found", "no such id");
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Code::kNotFound);
  EXPECT_EQ(st.ToString(), "not_found/message_not_found: no such id");
}

TEST(StatusTest, MacrosPropagate) {
  int out = 0;
  EXPECT_TRUE(UsesMacros(8, &out).ok());
  EXPECT_EQ(out, 4);
  EXPECT_EQ(UsesMacros(7, &out).detail(), "odd");
  EXPECT_EQ(UsesMacros(40, &out).detail(), "too big");
}

TEST(MessagesTest, RenderIsJapaneseFirstWithEnglishAvailable) {
  Status st = FailedPrecondition("recipient_unlicensed", "office 1299999999");
  const std::string ja = Render(st, Lang::kJa);
  const std::string en = Render(st, Lang::kEn);
  EXPECT_NE(ja.find("有効なライセンスを持っていません"), std::string::npos);
  EXPECT_NE(ja.find("office 1299999999"), std::string::npos);
  EXPECT_NE(en.find("no valid licence"), std::string::npos);
}

TEST(MessagesTest, EveryReasonTheCodeUsesHasAnEntry) {
  for (const char* reason : {"bad_request",
                             "unknown_verb",
                             "frame_too_large",
                             "not_enrolled",
                             "not_registered",
                             "sender_unlicensed",
                             "recipient_unlicensed",
                             "recipient_not_enrolled",
                             "cert_untrusted",
                             "cert_proxy",
                             "cert_disability",
                             "cert_expired",
                             "cert_revoked",
                             "cert_mismatch",
                             "cert_bad_identity",
                             "key_mismatch",
                             "signature_invalid",
                             "digest_mismatch",
                             "already_downloaded",
                             "message_not_found",
                             "send_id_conflict",
                             "upload_incomplete",
                             "bad_manifest",
                             "send_too_large",
                             "unavailable",
                             "config_invalid",
                             "usage",
                             "not_initialised",
                             "file_unreadable",
                             "bad_office_number",
                             "bad_user_id",
                             "bad_date",
                             "already_exists",
                             "no_trust_anchor",
                             "io_error",
                             "internal",
                             "name_invalid",
                             "combination_invalid",
                             "format_invalid",
                             "file_type_invalid",
                             "archive",
                             "party_invalid"}) {
    EXPECT_NE(FindMessage(reason), nullptr) << reason;
  }
  EXPECT_EQ(FindMessage("no_such_reason"), nullptr);
}

TEST(MessagesTest, UnknownReasonFallsBackToDetail) {
  Status st(Code::kInternal, "no_such_reason", "raw detail");
  EXPECT_NE(Render(st, Lang::kEn).find("raw detail"), std::string::npos);
  EXPECT_FALSE(ParseLang("fr").ok());
}

}  // namespace
}  // namespace tayori
