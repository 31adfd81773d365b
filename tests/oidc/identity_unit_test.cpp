// Identity building blocks without a network: PKCE, login transactions and
// the return-to rule, the JWKS cache, the sign-in rate limits, groups to
// roles, several roles in one principal (P6), and admin-token names,
// expiry and last use. Tests are named after the rule they prove.
#include <gtest/gtest.h>

#include <chrono>

#include "config/config.h"
#include "server/oidc/jwks.h"
#include "server/oidc/pkce.h"
#include "server/oidc/roles.h"
#include "server/oidc/transactions.h"
#include "server/rate_limit.h"
#include "store/binary_run.h"
#include "store/test_support.h"

namespace vitrine {
namespace {

using server::MemoryRateLimiter;
using server::RateLimits;
using namespace std::chrono_literals;

TEST(OidcPkce, S256ChallengeIsTheUnpaddedBase64UrlOfSha256) {
  // SHA-256("abc") = ba7816bf 8f01cfea 414140de 5dae2223 b00361a3 96177a9c b410ff61 f20015ad
  EXPECT_EQ(server::oidc::s256_challenge("abc"), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
  const auto v = server::oidc::random_urlsafe();
  EXPECT_EQ(v.size(), 43u);
  EXPECT_NE(v, server::oidc::random_urlsafe());
}

TEST(OidcState, ATransactionIsUsedOnce) {
  server::oidc::LoginTransactions t;
  auto a = t.create("/spaces/alpha");
  ASSERT_TRUE(a);
  EXPECT_NE(a->state, a->nonce);
  auto first = t.take(a->id);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->return_to, "/spaces/alpha");
  EXPECT_FALSE(t.take(a->id));
  EXPECT_FALSE(t.take("unknown"));
}

TEST(OidcState, TransactionsAreBounded) {
  server::oidc::LoginTransactions t(600s, 3);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(t.create("/"));
  EXPECT_EQ(t.size(), 3u);
}

TEST(OidcReturnTo, OnlySameOriginRelativePathsAreKept) {
  struct Case {
    const char* in;
    const char* out;
  };
  const Case cases[] = {{"/spaces/a?x=1", "/spaces/a?x=1"},
                        {"//evil.example", "/"},
                        {"/\\evil.example", "/"},
                        {"https://evil.example", "/"},
                        {"javascript:alert(1)", "/"},
                        {"/a\r\nSet-Cookie: x", "/"},
                        {"", "/"},
                        {"/caf\xc3\xa9", "/"}};
  for (const auto& c : cases) EXPECT_EQ(server::oidc::safe_return_to(c.in), c.out) << c.in;
}

TEST(OidcKid, AnUnknownKidRefetchesOnceThenWaits) {
  int fetches = 0;
  std::string doc = R"({"keys":[{"kty":"RSA","kid":"a","use":"sig","n":"x","e":"AQAB"}]})";
  server::oidc::JwksCache cache(
      [&]() -> store::Result<std::string> {
        ++fetches;
        return doc;
      },
      3600s);
  EXPECT_TRUE(cache.key("a"));
  EXPECT_EQ(fetches, 1);
  doc = R"({"keys":[{"kty":"RSA","kid":"b","use":"sig","n":"x","e":"AQAB"}]})";
  EXPECT_TRUE(cache.key("b"));  // rotation: fetched again
  EXPECT_EQ(fetches, 2);
  EXPECT_FALSE(cache.key("forged-1"));
  EXPECT_FALSE(cache.key("forged-2"));
  EXPECT_EQ(fetches, 2);  // no more fetches within min_refetch
}

TEST(OidcKid, EncryptionKeysAndAmbiguousSetsAreNotUsed) {
  const std::string two =
      R"({"keys":[{"kty":"RSA","kid":"a","use":"enc"},{"kty":"RSA","kid":"b"},{"kty":"EC","kid":"c"}]})";
  EXPECT_FALSE(server::oidc::find_jwk(two, "a"));
  EXPECT_TRUE(server::oidc::find_jwk(two, "b"));
  EXPECT_FALSE(server::oidc::find_jwk(two, ""));  // two signing keys: a kid is required
}

struct ManualClock {
  std::chrono::steady_clock::time_point now{std::chrono::hours(1000)};
  MemoryRateLimiter::Clock fn() {
    return [this] { return now; };
  }
};

// The bucket and backoff rules run on this limiter and on the database one
// in tests/server/rate_limit_db_test.cpp; the memory bound is its own.
TEST(RateClient, MemoryIsBounded) {
  ManualClock clock;
  RateLimits l;
  l.max_keys = 100;
  MemoryRateLimiter lim(l, clock.fn());
  for (int i = 0; i < 1000; ++i) {
    clock.now += 1ms;
    lim.failed("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256),
               "acct-" + std::to_string(i), true);
  }
  EXPECT_LE(lim.size(), 200u);
}

TEST(OidcNoRole, GroupsMapToRolesAndUnmappedGroupsToNone) {
  const std::map<std::string, std::vector<std::string>> table = {
      {"grafana-admins", {"platform-admin"}},
      {"team-payments", {"space-admin:payments", "viewer:payments"}},
      {"bad", {"root"}}};
  auto m = server::oidc::map_groups({"team-payments", "grafana-admins", "x"}, table);
  ASSERT_EQ(m.roles.size(), 3u);
  EXPECT_EQ(store::to_string(m.roles[0]), "platform-admin");  // strongest first
  EXPECT_EQ(store::to_string(m.roles[1]), "space-admin:payments");
  EXPECT_TRUE(server::oidc::map_groups({"marketing"}, table).roles.empty());
  auto bad = server::oidc::map_groups({"bad"}, table);
  EXPECT_TRUE(bad.roles.empty());
  EXPECT_EQ(bad.unknown.size(), 1u);
}

class Identity : public store::testing::StoreTest {};

TEST_F(Identity, P6_SeveralRolesAllowTheirSpacesAndAnotherSpaceIsNotFound) {
  ASSERT_TRUE(store_->spaces().create("test", "alpha", "").ok());
  ASSERT_TRUE(store_->spaces().create("test", "beta", "").ok());
  ASSERT_TRUE(store_->spaces().create("test", "gamma", "").ok());
  auto tokens = store_->admin_tokens();
  auto p = store::principal_of(
      {*store::parse_role("viewer:beta"), *store::parse_role("space-admin:alpha")});
  EXPECT_EQ(store::to_string(p.role), "space-admin:alpha");
  using store::Action;
  using store::Verdict;
  EXPECT_EQ(tokens.decide(p, Action::token_set, "alpha").verdict, Verdict::allow);
  EXPECT_EQ(tokens.decide(p, Action::space_show, "beta").verdict, Verdict::allow);
  EXPECT_EQ(tokens.decide(p, Action::token_set, "beta").verdict, Verdict::denied);
  // Another space answers exactly like a missing one.
  auto other = tokens.decide(p, Action::space_show, "gamma");
  auto missing = tokens.decide(p, Action::space_show, "nope");
  EXPECT_EQ(other.verdict, Verdict::not_found);
  EXPECT_EQ(missing.verdict, Verdict::not_found);
  EXPECT_EQ(tokens.decide(p, Action::space_create, "").verdict, Verdict::denied);
}

TEST_F(Identity, TokenExpiry_AnExpiredTokenIsRefusedWithItsNameAndTime) {
  auto t = store_->admin_tokens().create("test", "platform-admin", "ci-export", now_ms_ + 60'000);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_TRUE(store_->admin_tokens().authenticate(t->token.view()).ok());
  now_ms_ += 60'000;
  auto refused = store_->admin_tokens().authenticate(t->token.view());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("expired"), std::string::npos);
  EXPECT_NE(refused.error().message.find("ci-export"), std::string::npos);
  EXPECT_EQ(
      store_->admin_tokens().authorize(t->token.view(), store::Action::space_list, "").verdict,
      store::Verdict::unauthenticated);
}

TEST_F(Identity, TokenExpiry_AnExpiryInThePastOrABadNameIsRefusedAtCreation) {
  EXPECT_FALSE(store_->admin_tokens().create("test", "platform-admin", "", now_ms_ - 1).ok());
  EXPECT_FALSE(store_->admin_tokens().create("test", "platform-admin", "bad\nname", 0).ok());
  EXPECT_FALSE(
      store_->admin_tokens().create("test", "platform-admin", std::string(65, 'x'), 0).ok());
}

TEST_F(Identity, TokenLastUsed_IsWrittenAtMostOnceAMinute) {
  auto t = store_->admin_tokens().create("test", "platform-admin", "ops", 0);
  ASSERT_TRUE(t.ok());
  auto used = [&] {
    auto rows = store_->admin_tokens().list();
    for (const auto& r : *rows) {
      if (r.id == t->row.id) return r.last_used_at_ms;
    }
    return int64_t{-1};
  };
  EXPECT_EQ(used(), 0);
  const int64_t first = now_ms_;
  ASSERT_TRUE(store_->admin_tokens().authenticate(t->token.view()).ok());
  EXPECT_EQ(used(), first);
  now_ms_ += 59'000;
  ASSERT_TRUE(store_->admin_tokens().authenticate(t->token.view()).ok());
  EXPECT_EQ(used(), first);
  now_ms_ += 1'000;
  ASSERT_TRUE(store_->admin_tokens().authenticate(t->token.view()).ok());
  EXPECT_EQ(used(), now_ms_);
  // The name and expiry round-trip through the store.
  auto rows = store_->admin_tokens().list();
  ASSERT_TRUE(rows.ok());
  for (const auto& r : *rows) {
    if (r.id == t->row.id) {
      EXPECT_EQ(r.name, "ops");
    }
  }
}

TEST_F(Identity, Users_ASecondSignInKeepsTheFirstAndUpdatesTheLast) {
  auto& db = store_->backend();
  ASSERT_TRUE(db.upsert_user({"https://idp", "s1", "Ada", "a@x", 1000, 1000}).ok());
  ASSERT_TRUE(db.upsert_user({"https://idp", "s1", "Ada L.", "a@x", 5000, 5000}).ok());
  ASSERT_TRUE(db.upsert_user({"https://other", "s1", "Bob", "", 2000, 2000}).ok());
  auto users = db.list_users();
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ(users->front().name, "Ada L.");
  EXPECT_EQ(users->front().first_login_ms, 1000);
  EXPECT_EQ(users->front().last_login_ms, 5000);
}

}  // namespace
}  // namespace vitrine

namespace vitrine {
namespace {

config::LoadResult parse(const std::string& yaml) {
  return config::parse_config(yaml, "/etc/vitrine/vitrine.yml");
}

TEST(AuthConfig, TheOidcSectionIsReadWithItsDefaults) {
  auto r = parse(
      "auth:\n  oidc:\n    issuer: https://login.example.com/realms/docs\n"
      "    client_id: vitrine\n    client_secret_file: oidc.secret\n"
      "    roles:\n      grafana-admins: [platform-admin]\n"
      "      team-payments: [\"space-admin:payments\", \"viewer:billing\"]\n");
  ASSERT_TRUE(r.config) << (r.diagnostics.empty() ? "" : r.diagnostics[0].message);
  const auto& o = r.config->auth.oidc;
  EXPECT_EQ(o.issuer, "https://login.example.com/realms/docs");
  EXPECT_EQ(o.groups_claim, "groups");
  EXPECT_EQ(o.algorithms, (std::vector<std::string>{"RS256", "ES256", "PS256"}));
  EXPECT_EQ(o.roles.at("team-payments").size(), 2u);
  EXPECT_EQ(o.client_secret_file, "/etc/vitrine/oidc.secret");
  EXPECT_TRUE(r.config->auth.token_login);
}

TEST(AuthConfig, MistakesNameTheKeyAndTheRule) {
  struct Case {
    const char* yaml;
    const char* rule;
    const char* says;
  };
  const Case cases[] = {
      {"auth:\n  oidc:\n    issuer: https://x.example\n    client_id: v\n    algorithms: [HS256]\n",
       "config-oidc-alg", "none and HS*"},
      {"auth:\n  oidc:\n    issuer: https://x.example\n    client_id: v\n    algorithms: [none]\n",
       "config-oidc-alg", "none and HS*"},
      {"auth:\n  oidc:\n    issuer: http://idp.example\n    client_id: v\n", "config-oidc-url",
       "plain http"},
      {"auth:\n  oidc:\n    issuer: http://127.0.0.1:9\n    client_id: v\n", "config-oidc-url",
       "allow_http_loopback"},
      {"auth:\n  oidc:\n    client_id: v\n", "config-oidc-issuer", "needs 'issuer'"},
      {"auth:\n  oidc:\n    issuer: https://x.example\n", "config-oidc-client", "client_id"},
      {"auth:\n  oidc:\n    issuer: https://x.example\n    client_id: v\n    roles:\n"
       "      g: [admin]\n",
       "config-oidc-role", "space-admin:SPACE"},
      {"auth:\n  oidc:\n    issuer: https://x.example\n    client_id: v\n    scopes: [email]\n",
       "config-oidc-scopes", "openid"},
      {"auth:\n  token_login: false\n", "config-auth-methods", "no way to sign in"},
      {"auth:\n  sign_in_burst: 0\n", "config-range", "auth.sign_in_burst"},
      {"auth:\n  oidc:\n    issuer: https://x.example\n    client_id: v\n    isuser: x\n",
       "config-unknown-key", "auth.oidc.isuser"},
  };
  for (const auto& c : cases) {
    auto r = parse(c.yaml);
    ASSERT_FALSE(r.diagnostics.empty()) << c.yaml;
    bool found = false;
    for (const auto& d : r.diagnostics) {
      found |= d.rule == c.rule && d.message.find(c.says) != std::string::npos;
    }
    EXPECT_TRUE(found) << c.yaml << " -> " << r.diagnostics[0].rule << ": "
                       << r.diagnostics[0].message;
  }
}

TEST(AuthConfig, AnHttpLoopbackIssuerIsAcceptedOnlyWhenAllowed) {
  auto r = parse(
      "auth:\n  oidc:\n    issuer: http://127.0.0.1:9000\n    client_id: v\n"
      "    allow_http_loopback: true\n");
  EXPECT_TRUE(r.config);
}

}  // namespace
}  // namespace vitrine

namespace vitrine {
namespace {

class UsersCli : public store::testing::StoreTest {};

TEST_F(UsersCli, Users_TheCliListsWhoSignedInMostRecentFirst) {
  auto& db = store_->backend();
  ASSERT_TRUE(db.upsert_user({"https://idp.example", "s-ada", "Ada", "ada@x", 1000, 9000}).ok());
  ASSERT_TRUE(db.upsert_user({"https://idp.example", "s-bob", "Bob", "", 2000, 3000}).ok());
  store_.reset();
  auto r = store::testing::run_vitrine({"--data-dir", dir_.string(), "users", "list"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto ada = r.out.find("https://idp.example  s-ada  Ada  ada@x");
  const auto bob = r.out.find("s-bob  Bob  -");
  ASSERT_NE(ada, std::string::npos) << r.out;
  ASSERT_NE(bob, std::string::npos) << r.out;
  EXPECT_LT(ada, bob);
}

}  // namespace
}  // namespace vitrine
