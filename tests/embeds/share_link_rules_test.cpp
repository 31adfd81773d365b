// Share-link signature and verification rules (store/share_links.h): each
// rule refuses what it names; the key is per space, sealed, and never the
// Grafana token; a space deleted and created again honours no old link.
#include <gtest/gtest.h>

#include "store/share_links.h"
#include "store/test_support.h"

namespace vitrine::store {
namespace {

class ShareLinkRules : public testing::StoreTest {
 protected:
  void SetUp() override {
    testing::StoreTest::SetUp();
    ASSERT_TRUE(store_->spaces().create("test", "docs", "").ok());
  }
  ShareLinks links() { return ShareLinks(store_->context()); }
  CreatedShareLink create(const std::string& space = "docs", int64_t macro = 0,
                          int64_t ttl = 3600) {
    auto c = links().create("api:t1", space, "runbook", macro, ttl);
    EXPECT_TRUE(c.ok()) << c.error().message;
    return c.ok() ? std::move(*c) : CreatedShareLink{};
  }
};

TEST_F(ShareLinkRules, ValidLinkVerifiesAndNamesItsTarget) {
  auto c = create("docs", 2);
  ASSERT_TRUE(parse_share_token(c.token).has_value()) << c.token;
  auto v = links().verify(c.token);
  ASSERT_TRUE(v.ok) << v.rule << ": " << v.message;
  EXPECT_EQ(v.row.space, "docs");
  EXPECT_EQ(v.row.page, "runbook");
  EXPECT_EQ(v.row.macro, 2);
  EXPECT_EQ(v.row.space_id, store_->spaces().show("docs")->space.id);
}

TEST_F(ShareLinkRules, MalformedTokenIsRefusedByShape) {
  auto c = create();
  for (const std::string& bad :
       {std::string(""), std::string("abc"), c.token + "x", c.token.substr(1),
        "ABCDEF" + c.token.substr(6), c.token.substr(0, 32) + "-" + c.token.substr(33),
        c.token.substr(0, 40) + "=" + c.token.substr(41)}) {
    auto v = links().verify(bad);
    EXPECT_FALSE(v.ok) << bad;
    EXPECT_EQ(v.rule, rules::kShareLinkMalformed) << bad;
  }
}

TEST_F(ShareLinkRules, UnknownIdIsRefused) {
  auto c = create();
  std::string other = c.token;
  other[0] = other[0] == 'a' ? 'b' : 'a';
  auto v = links().verify(other);
  EXPECT_EQ(v.rule, rules::kShareLinkUnknown);
}

TEST_F(ShareLinkRules, TamperedSignatureIsRefused) {
  auto c = create();
  std::string t = c.token;
  t.back() = t.back() == 'A' ? 'B' : 'A';
  auto v = links().verify(t);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.rule, rules::kShareLinkSignature);
}

TEST_F(ShareLinkRules, SignatureBindsEveryField) {
  const std::string key(32, 'k');
  ShareLinkRow row{"0123456789abcdef0123456789abcdef", "docs", "sid", "runbook", 0, 1000, 1, "t"};
  const auto base = share_link_signature(key, row);
  EXPECT_EQ(base.size(), 43u);
  auto differs = [&](ShareLinkRow r) { return share_link_signature(key, r) != base; };
  auto r = row;
  r.id[0] = '1';
  EXPECT_TRUE(differs(r));
  r = row;
  r.space_id = "sid2";
  EXPECT_TRUE(differs(r));
  r = row;
  r.page = "runbooks";
  EXPECT_TRUE(differs(r));
  r = row;
  r.macro = 1;
  EXPECT_TRUE(differs(r));
  r = row;
  r.expires_at_ms = 1001;
  EXPECT_TRUE(differs(r));
  EXPECT_NE(share_link_signature(std::string(32, 'j'), row), base);
  // Length prefixes: moving bytes between fields changes the signature.
  r = row;
  r.space_id = "sidr";
  r.page = "unbook";
  EXPECT_TRUE(differs(r));
}

TEST_F(ShareLinkRules, ExpiredLinkIsRefusedFromItsExpiryOn) {
  auto c = create("docs", 0, 60);
  now_ms_ += 59'999;
  EXPECT_TRUE(links().verify(c.token).ok);
  now_ms_ += 1;
  auto v = links().verify(c.token);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.rule, rules::kShareLinkExpired);
}

TEST_F(ShareLinkRules, RevokedLinkIsRefusedAndRevocationIsAudited) {
  auto c = create();
  ASSERT_TRUE(store_->spaces().create("test", "other", "").ok());
  // Another space cannot revoke it (P6).
  EXPECT_EQ(links().revoke("api:t2", "other", c.row.id).error().code, Errc::not_found);
  ASSERT_TRUE(links().revoke("api:t1", "docs", c.row.id).ok());
  auto v = links().verify(c.token);
  EXPECT_EQ(v.rule, rules::kShareLinkRevoked);
  AuditQuery q;
  q.space = "docs";
  q.action_prefix = "share_link.";
  auto rows = store_->audit().query(q);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].action, "share_link.create");
  EXPECT_EQ((*rows)[1].action, "share_link.revoke");
  EXPECT_EQ((*rows)[1].subject, c.row.id);
  auto list = links().list("docs");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().token, c.token);
  EXPECT_NE(list->front().row.revoked_at_ms, 0);
}

TEST_F(ShareLinkRules, SpaceDeletedAndCreatedAgainHonoursNoOldLink) {
  auto c = create();
  ASSERT_TRUE(store_->spaces().remove("test", "docs").ok());
  ASSERT_TRUE(store_->spaces().create("test", "docs", "").ok());
  auto v = links().verify(c.token);
  EXPECT_FALSE(v.ok);
  EXPECT_TRUE(v.rule == rules::kShareLinkUnknown || v.rule == rules::kShareLinkSpaceGone) << v.rule;
  // A new link in the new space works.
  auto fresh = create();
  EXPECT_TRUE(links().verify(fresh.token).ok);
}

TEST_F(ShareLinkRules, KeyIsSealedPerSpaceAndSurvivesAReopen) {
  auto c = create();
  auto secret = store_->backend().get_secret("docs", kShareLinkKeyRecord);
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(secret->record.rfind("v1:", 0), 0u);
  EXPECT_EQ(secret->origin, store_->spaces().show("docs")->space.id);
  // The same id and signature under another space's key do not verify:
  // keys are per space.
  ASSERT_TRUE(store_->spaces().create("test", "other", "").ok());
  auto o = create("other");
  EXPECT_NE(o.token.substr(33), c.token.substr(33));
  reopen(std::nullopt);  // no keyring: the key cannot be opened
  EXPECT_EQ(links().verify(c.token).rule, rules::kShareLinkSignature);
}

TEST_F(ShareLinkRules, LifetimeAndMacroBoundsAreChecked) {
  EXPECT_EQ(links().create("t", "docs", "p", 0, kShareLinkMinTtlS - 1).error().code, Errc::invalid);
  EXPECT_EQ(links().create("t", "docs", "p", 0, kShareLinkMaxTtlS + 1).error().code, Errc::invalid);
  EXPECT_EQ(links().create("t", "docs", "p", -1, 3600).error().code, Errc::invalid);
  EXPECT_EQ(links().create("t", "missing", "p", 0, 3600).error().code, Errc::not_found);
}

}  // namespace
}  // namespace vitrine::store
