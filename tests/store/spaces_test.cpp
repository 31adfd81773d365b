// P4 P5 P9: spaces, origins, the write-only token, rotation, audit rows.
#include "backend_test_support.h"
#include "store/crypto/secret_box.h"
#include "store/glsa.h"
#include "store/rotation.h"

namespace vitrine::store::testing {
namespace {

TEST(P4_GlsaShape, AcceptsWellFormedAndExplainsEachFailureWithoutEchoingIt) {
  std::string good = make_glsa('x');
  EXPECT_TRUE(check_glsa_token(good).ok());
  std::string bad_sum = good;
  bad_sum.back() = bad_sum.back() == '0' ? '1' : '0';
  struct Case {
    std::string token;
    std::string says;
  };
  const Case cases[] = {
      {"glsb_" + good.substr(5), "start with 'glsa_'"},
      {good.substr(0, good.size() - 1), "characters long"},
      {bad_sum, "checksum"},
      {"glsa_" + std::string(31, 'a') + "!_" + good.substr(good.size() - 8), "letters or digits"},
      {good.substr(0, 37) + "-" + good.substr(38), "'_'"},
      {good.substr(0, good.size() - 8) + "ABCDEF12", "lowercase hex"},
  };
  for (const auto& c : cases) {
    auto st = check_glsa_token(c.token);
    ASSERT_FALSE(st.ok()) << c.token;
    EXPECT_NE(st.error().message.find(c.says), std::string::npos) << st.error().message;
    EXPECT_EQ(st.error().message.find(c.token.substr(5, 20)), std::string::npos);
  }
}

using Spaces_ = BackendTest;

TEST_P(Spaces_, P6_SpaceKeysAreValidated) {
  auto sp = store_->spaces();
  for (const char* bad :
       {"a", "A-team", "team_a", "", "x/y", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}) {
    auto r = sp.create("t", bad, "");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, Errc::invalid);
  }
  EXPECT_TRUE(sp.create("t", "ab", "").ok());
  EXPECT_EQ(sp.create("t", "ab", "").error().code, Errc::conflict);
}

TEST_P(Spaces_, P4_ConnectNeedsAnApprovedPluginsEntryOrACustomerManagedApproval) {
  auto sp = store_->spaces();
  ASSERT_TRUE(sp.create("t", "team-a", "").ok());
  auto none = sp.connect("t", "team-a", to_origin("https://a.grafana.net"));
  ASSERT_FALSE(none.ok());  // no plugin approved yet
  EXPECT_EQ(none.error().code, Errc::denied);
  approve_plugins();
  EXPECT_TRUE(sp.connect("t", "team-a", to_origin("https://a.grafana.net")).ok());
  EXPECT_FALSE(sp.connect("t", "team-a", to_origin("https://grafana.net")).ok());
  EXPECT_FALSE(sp.connect("t", "team-a", to_origin("http://a.grafana.net")).ok());
  EXPECT_FALSE(sp.connect("t", "team-a", to_origin("https://a.grafana.net/x")).ok());
  auto self = sp.connect("t", "team-a", to_origin("https://grafana.corp.internal"));
  ASSERT_FALSE(self.ok());
  EXPECT_NE(self.error().message.find("--customer-managed"), std::string::npos);
  // A private flag needs the customer-managed approval.
  ConnectRequest priv{"https://a.grafana.net", false, "", "", true};
  EXPECT_FALSE(sp.connect("t", "team-a", priv).ok());
  // Customer-managed: only through an approved entry marked customer-managed.
  ConnectRequest wrong_entry{"https://grafana.corp.internal", true, "alert_list",
                             "https://*.grafana.net", true};
  EXPECT_EQ(sp.connect("t", "team-a", wrong_entry).error().code, Errc::denied);
  ConnectRequest cm{"https://grafana.corp.internal", true, "dashboard", "https://*.example.com",
                    true};
  auto ok = sp.connect("t", "team-a", cm);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  auto o = sp.origins("team-a");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->grafana_origin, "https://grafana.corp.internal");
  EXPECT_TRUE(o->grafana_allow_private);
  ASSERT_EQ(o->customer_managed.size(), 1u);
  EXPECT_EQ(o->customer_managed[0].plugin_id, "dashboard");
}

TEST_P(Spaces_, P4_TokenIsWriteOnlyBoundToTheOriginAndChangingOriginRemovesIt) {
  approve_plugins();
  const std::string token = make_glsa('q', "T0KEN");
  make_space("team-a", "https://a.grafana.net", token);
  auto sp = store_->spaces();
  auto status = sp.token_status("team-a");
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(status->configured);
  EXPECT_EQ(status->set_by, "test");
  EXPECT_EQ(status->origin, "https://a.grafana.net");
  auto t = sp.token_for("team-a", "https://a.grafana.net");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->view(), token);
  EXPECT_EQ(sp.token_for("team-a", "https://b.grafana.net").error().code, Errc::not_found);
  // Tampering: move the record to another origin in the database directly.
  auto row = store_->backend().get_secret("team-a", kGrafanaTokenRecord);
  ASSERT_TRUE(row.ok());
  ASSERT_TRUE(sp.connect("t", "team-a", to_origin("https://b.grafana.net")).ok());
  EXPECT_FALSE(sp.token_status("team-a")->configured);  // removed with the origin change
  SecretRow moved = *row;
  moved.origin = "https://b.grafana.net";
  ASSERT_TRUE(store_->backend().put_secret(moved).ok());
  auto stolen = sp.token_for("team-a", "https://b.grafana.net");
  ASSERT_FALSE(stolen.ok());
  EXPECT_EQ(stolen.error().code, Errc::crypto);
}

TEST_P(Spaces_, P4_SetRotateRevokeAndTheirAuditRows) {
  approve_plugins();
  auto sp = store_->spaces();
  ASSERT_TRUE(sp.create("admin", "team-a", "").ok());
  auto early = sp.set_token("admin", "team-a", crypto::SecretString(make_glsa('a')));
  EXPECT_FALSE(early.ok());  // not connected yet
  ASSERT_TRUE(sp.connect("admin", "team-a", to_origin("https://a.grafana.net")).ok());
  EXPECT_EQ(sp.rotate_token("admin", "team-a", crypto::SecretString(make_glsa('b'))).error().code,
            Errc::not_found);
  EXPECT_EQ(sp.set_token("admin", "team-a", crypto::SecretString("glsa_short")).error().code,
            Errc::invalid);
  ASSERT_TRUE(sp.set_token("admin", "team-a", crypto::SecretString(make_glsa('a'))).ok());
  ASSERT_TRUE(sp.rotate_token("admin", "team-a", crypto::SecretString(make_glsa('b'))).ok());
  EXPECT_EQ(sp.token_for("team-a", "https://a.grafana.net")->view(), make_glsa('b'));
  ASSERT_TRUE(sp.revoke_token("admin", "team-a").ok());
  EXPECT_FALSE(sp.token_status("team-a")->configured);
  EXPECT_EQ(sp.revoke_token("admin", "team-a").error().code, Errc::not_found);

  AuditQuery q;
  q.space = "team-a";
  auto rows = store_->audit().query(q);
  ASSERT_TRUE(rows.ok());
  std::vector<std::string> seen;
  for (const auto& r : *rows) seen.push_back(r.action + ":" + r.verdict);
  const std::vector<std::string> expected = {
      "space.create:ok",      "token.set:refused", "space.connect:ok",
      "token.rotate:refused", "token.set:refused", "token.set:ok",
      "token.rotate:ok",      "token.revoke:ok",   "token.revoke:refused"};
  EXPECT_EQ(seen, expected);
}

TEST_P(Spaces_, P5_RotationKeepsOldRecordsReadableAndReWrapsThem) {
  approve_plugins();
  const std::string token = make_glsa('r');
  make_space("team-a", "https://a.grafana.net", token);
  ASSERT_TRUE(store_->cache().put("team-a", "alert_list", "k", "cached value", 60).ok());
  auto old_row = store_->backend().get_secret("team-a", kGrafanaTokenRecord);
  ASSERT_EQ(crypto::record_key_id(old_row->record), "k1");

  // A keyring with a second key: the old record still decrypts.
  crypto::Keyring ring;
  ASSERT_TRUE(ring.add(crypto::Key{"k1", store_->keyring()->newest().bytes}).ok());
  ASSERT_TRUE(ring.add_generated().ok());
  reopen(std::move(ring));
  EXPECT_EQ(store_->spaces().token_for("team-a", "https://a.grafana.net")->view(), token);

  int64_t last_done = 0, last_total = 0;
  auto rep = rewrap_all(store_->context(), "test", [&](int64_t d, int64_t t) {
    last_done = d;
    last_total = t;
  });
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(rep->total, 2);
  EXPECT_EQ(rep->rewrapped, 2);
  EXPECT_EQ(rep->failed, 0);
  EXPECT_EQ(last_done, 2);
  EXPECT_EQ(last_total, 2);
  auto new_row = store_->backend().get_secret("team-a", kGrafanaTokenRecord);
  EXPECT_EQ(crypto::record_key_id(new_row->record), "k2");
  EXPECT_EQ(store_->spaces().token_for("team-a", "https://a.grafana.net")->view(), token);
  auto hit = store_->cache().get("team-a", "alert_list", "k");
  ASSERT_TRUE(hit.ok());
  EXPECT_EQ(hit->value.view(), "cached value");
  // Second run: nothing to do.
  auto again = rewrap_all(store_->context(), "test");
  EXPECT_EQ(again->already_current, 2);
  EXPECT_EQ(again->rewrapped, 0);
}

TEST_P(Spaces_, P6_DeletingASpaceRemovesItsDataButKeepsItsAudit) {
  approve_plugins();
  make_space("team-a", "https://a.grafana.net", make_glsa('d'));
  ASSERT_TRUE(store_->spaces().remove("t", "team-a").ok());
  EXPECT_EQ(store_->backend().get_secret("team-a", kGrafanaTokenRecord).error().code,
            Errc::not_found);
  AuditQuery q;
  q.space = "team-a";
  EXPECT_GE(store_->audit().query(q)->size(), 4u);
}

TEST_P(Spaces_, P4_TestConnectionHookGetsOriginsNotTheTokenAndIsAudited) {
  approve_plugins();
  make_space("team-a", "https://a.grafana.net", make_glsa('c'));
  std::string seen_origin;
  auto r = store_->spaces().test_connection("t", "team-a",
                                            [&](const std::string&, const egress::SpaceOrigins& o) {
                                              seen_origin = o.grafana_origin;
                                              return ConnectionTestResult{true, 200, "ok"};
                                            });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(seen_origin, "https://a.grafana.net");
  AuditQuery q;
  q.action_prefix = "space.test-connection";
  EXPECT_EQ(store_->audit().query(q)->size(), 1u);
}

VITRINE_ON_EVERY_BACKEND(Spaces_);

}  // namespace
}  // namespace vitrine::store::testing
