// P6: two spaces with different tokens and stacks. Every cross-space attempt
// through every service call fails with not-found for the other space's ids.
#include "backend_test_support.h"
#include "digest/sha256.h"

namespace vitrine::store::testing {
namespace {

class P6_Isolation : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    approve_plugins();
    make_space("team-a", "https://a.grafana.net", token_a_);
    make_space("team-b", "https://b.grafana.net", token_b_);
    ASSERT_TRUE(store_->cache().put("team-a", "alert_list", "rules", "A's rules", 60).ok());
    auto id = store_->assets().put("team-a", "image/png", png_);
    ASSERT_TRUE(id.ok()) << id.error().message;
    asset_a_ = *id;
    ASSERT_TRUE(store_->approvals().enable("t", "team-a", "alert_list").ok());
    auto rows = store_->audit().query(AuditQuery{std::string("team-a"), 0, {}, 1});
    ASSERT_TRUE(rows.ok() && !rows->empty());
    audit_a_ = rows->front().id;
  }
  const std::string token_a_ = make_glsa('a', "SPACEA");
  const std::string token_b_ = make_glsa('b', "SPACEB");
  const std::string png_ = std::string("\x89PNG\r\n\x1a\n", 8) + "A-image";
  std::string asset_a_;
  int64_t audit_a_ = 0;
};

TEST_P(P6_Isolation, TokensNeverCrossSpacesOrOrigins) {
  auto sp = store_->spaces();
  EXPECT_EQ(sp.token_for("team-a", "https://a.grafana.net")->view(), token_a_);
  EXPECT_EQ(sp.token_for("team-b", "https://b.grafana.net")->view(), token_b_);
  EXPECT_EQ(sp.token_for("team-b", "https://a.grafana.net").error().code, Errc::not_found);
  EXPECT_EQ(sp.token_for("team-a", "https://b.grafana.net").error().code, Errc::not_found);
  // Copy A's record into B's row: the AAD binds space and origin.
  auto a = store_->backend().get_secret("team-a", kGrafanaTokenRecord);
  SecretRow forged = *a;
  forged.space = "team-b";
  forged.origin = "https://b.grafana.net";
  ASSERT_TRUE(store_->backend().put_secret(forged).ok());
  EXPECT_EQ(sp.token_for("team-b", "https://b.grafana.net").error().code, Errc::crypto);
}

TEST_P(P6_Isolation, CacheOfAnotherSpaceOrPluginIsNotFound) {
  auto c = store_->cache();
  EXPECT_EQ(c.get("team-a", "alert_list", "rules")->value.view(), "A's rules");
  EXPECT_EQ(c.get("team-b", "alert_list", "rules").error().code, Errc::not_found);
  EXPECT_EQ(c.get("team-a", "dashboard", "rules").error().code, Errc::not_found);
  // A row copied to B does not decrypt (AAD binds the space), and is dropped.
  auto row = store_->backend().get_cache("team-a", "alert_list", digest::sha256_hex("rules"));
  CacheRow forged = *row;
  forged.space = "team-b";
  ASSERT_TRUE(store_->backend().put_cache(forged).ok());
  EXPECT_EQ(c.get("team-b", "alert_list", "rules").error().code, Errc::crypto);
  EXPECT_EQ(c.get("team-b", "alert_list", "rules").error().code, Errc::not_found);
}

TEST_P(P6_Isolation, AssetsOfAnotherSpaceAreNotFound) {
  auto as = store_->assets();
  EXPECT_EQ(as.get("team-a", asset_a_)->data.view(), png_);
  EXPECT_EQ(as.get("team-b", asset_a_).error().code, Errc::not_found);
  EXPECT_TRUE(as.list("team-b")->empty());
  EXPECT_EQ(as.remove("t", "team-b", asset_a_).error().code, Errc::not_found);
  EXPECT_TRUE(as.get("team-a", asset_a_).ok());
}

TEST_P(P6_Isolation, EnablementAndAuditOfAnotherSpaceAreNotVisible) {
  auto ap = store_->approvals();
  EXPECT_EQ(ap.enabled("team-a")->size(), 1u);
  EXPECT_TRUE(ap.enabled("team-b")->empty());
  EXPECT_EQ(ap.disable("t", "team-b", "alert_list").error().code, Errc::not_found);
  EXPECT_EQ(ap.enabled("team-a")->size(), 1u);
  EXPECT_TRUE(store_->audit().get("team-a", audit_a_).ok());
  EXPECT_EQ(store_->audit().get("team-b", audit_a_).error().code, Errc::not_found);
  AuditQuery q;
  q.space = "team-b";
  // Keep the Result alive for the loop: `*query(q)` would dangle.
  auto rows = store_->audit().query(q);
  ASSERT_TRUE(rows.ok());
  for (const auto& r : *rows) EXPECT_EQ(r.space, "team-b");
}

TEST_P(P6_Isolation, AdminTokensOfOneSpaceSeeTheOtherAsNotFound) {
  auto at = store_->admin_tokens();
  auto a_admin = at.create("t", "space-admin:team-a");
  auto a_viewer = at.create("t", "viewer:team-a");
  auto platform = at.create("t", "platform-admin");
  ASSERT_TRUE(a_admin.ok() && a_viewer.ok() && platform.ok());
  const Action space_actions[] = {
      Action::space_delete, Action::space_connect,   Action::space_show,    Action::token_set,
      Action::token_status, Action::test_connection, Action::plugin_enable, Action::cache_read,
      Action::asset_read,   Action::audit_read};
  for (Action act : space_actions) {
    for (const auto* tok : {&a_admin->token, &a_viewer->token}) {
      auto other = at.authorize(tok->view(), act, "team-b");
      EXPECT_EQ(other.verdict, Verdict::not_found) << static_cast<int>(act);
      auto missing = at.authorize(tok->view(), act, "no-such-space");
      EXPECT_EQ(missing.verdict, Verdict::not_found);
      EXPECT_EQ(other.message.find("team-a"), std::string::npos);
    }
    EXPECT_EQ(at.authorize(platform->token.view(), act, "team-b").verdict, Verdict::allow);
  }
  EXPECT_EQ(at.authorize(a_admin->token.view(), Action::token_set, "team-a").verdict,
            Verdict::allow);
  EXPECT_EQ(at.authorize(a_viewer->token.view(), Action::token_set, "team-a").verdict,
            Verdict::denied);
  EXPECT_EQ(at.authorize(a_viewer->token.view(), Action::space_show, "team-a").verdict,
            Verdict::allow);
  EXPECT_EQ(at.authorize(a_admin->token.view(), Action::space_connect, "team-a").verdict,
            Verdict::denied);
  EXPECT_EQ(at.authorize(a_admin->token.view(), Action::plugin_approve, "").verdict,
            Verdict::denied);
}

TEST_P(P6_Isolation, EditorRoleEditsPagesOfItsSpaceOnly) {
  auto at = store_->admin_tokens();
  auto editor = at.create("t", "editor:team-a");
  auto viewer = at.create("t", "viewer:team-a");
  auto admin = at.create("t", "space-admin:team-a");
  auto platform = at.create("t", "platform-admin");
  ASSERT_TRUE(editor.ok() && viewer.ok() && admin.ok() && platform.ok()) << editor.error().message;
  EXPECT_EQ(editor->row.role, "editor:team-a");
  auto verdict = [&](const CreatedToken& t, Action a, const std::string& space) {
    return at.authorize(t.token.view(), a, space).verdict;
  };
  // Editors, space admins and platform admins write pages; viewers read them.
  for (const auto* t : {&*editor, &*admin, &*platform}) {
    EXPECT_EQ(verdict(*t, Action::page_write, "team-a"), Verdict::allow);
    EXPECT_EQ(verdict(*t, Action::page_read, "team-a"), Verdict::allow);
  }
  EXPECT_EQ(verdict(*viewer, Action::page_write, "team-a"), Verdict::denied);
  EXPECT_EQ(verdict(*viewer, Action::page_read, "team-a"), Verdict::allow);
  // Nothing of a space admin's: the editor role only adds page writes.
  for (Action a : {Action::token_set, Action::token_status, Action::test_connection,
                   Action::plugin_enable, Action::audit_read}) {
    EXPECT_EQ(verdict(*editor, a, "team-a"), Verdict::denied) << static_cast<int>(a);
  }
  EXPECT_EQ(verdict(*editor, Action::admin_tokens, ""), Verdict::denied);
  // P6: another space's pages answer exactly like missing ones.
  for (Action a : {Action::page_read, Action::page_write}) {
    for (const auto* t : {&*editor, &*viewer, &*admin}) {
      EXPECT_EQ(verdict(*t, a, "team-b"), Verdict::not_found);
      EXPECT_EQ(verdict(*t, a, "no-such-space"), Verdict::not_found);
    }
  }
  auto parsed = parse_role("editor:team-a");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->kind, Role::Kind::editor);
  EXPECT_EQ(to_string(*parsed), "editor:team-a");
  EXPECT_FALSE(parse_role("editor:").ok());
  // Ordered after space admins and before viewers.
  auto p = principal_of({Role{Role::Kind::viewer, "team-b"}, Role{Role::Kind::editor, "team-a"}});
  EXPECT_EQ(p.role.kind, Role::Kind::editor);
}

VITRINE_ON_EVERY_BACKEND(P6_Isolation);

}  // namespace
}  // namespace vitrine::store::testing
