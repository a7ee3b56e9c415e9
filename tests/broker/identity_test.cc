// The ZAP User-Id format (broker/identity.h), formatted and parsed in one
// place.
#include "broker/identity.h"

#include <gtest/gtest.h>

#include "common/crypto/curve.h"

namespace tayori::broker {
namespace {

TEST(IdentityTest, RoundTrips) {
  const std::string key = std::string(31, 'k') + '\x01';
  Caller office;
  office.kind = Caller::kOffice;
  office.office = "0123456789";
  office.curve_pk = key;
  const std::string text = FormatIdentity(office);
  EXPECT_EQ(text, "office:0123456789:" + crypto::Z85Encode32(key));
  auto parsed = ParseIdentity(text);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->kind, Caller::kOffice);
  EXPECT_EQ(parsed->office, "0123456789");
  EXPECT_EQ(parsed->curve_pk, key);

  Caller anon;
  anon.curve_pk = key;
  EXPECT_EQ(FormatIdentity(anon), "anon:" + crypto::Z85Encode32(key));
  EXPECT_EQ(ParseIdentity(FormatIdentity(anon))->kind, Caller::kAnon);
  EXPECT_EQ(ParseIdentity(FormatIdentity(anon))->curve_pk, key);

  Caller admin;
  admin.kind = Caller::kAdmin;
  EXPECT_EQ(FormatIdentity(admin), "admin");
  EXPECT_EQ(ParseIdentity("admin")->kind, Caller::kAdmin);
}

TEST(IdentityTest, RefusesGarbage) {
  const std::string z85 = crypto::Z85Encode32(std::string(32, 'k'));
  for (const std::string& bad :
       {std::string(""), std::string("office"), std::string("office:"), "office:123:" + z85, "office:0123456789" + z85,
        std::string("office:0123456789:short"), "office:01234567890:" + z85, std::string("anon:"), "anon:" + z85 + "x",
        std::string("admin "), std::string("root"), "ANON:" + z85}) {
    auto parsed = ParseIdentity(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.status().reason(), "not_enrolled");
    }
  }
}

}  // namespace
}  // namespace tayori::broker
