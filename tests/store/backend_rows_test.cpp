// The Backend interface's row contracts (store/backend.h) hold the same on
// every backend: users, embed origins, share links, named and expiring admin
// tokens and the audit query's filters and order.
#include "backend_test_support.h"

namespace vitrine::store::testing {
namespace {

class BackendRows : public BackendTest {
 protected:
  Backend& db() { return store_->backend(); }
  std::string space_id(const std::string& key) { return db().get_space(key)->id; }
};

TEST_P(BackendRows, AUserSignInKeepsTheFirstLoginAndUpdatesTheRest) {
  ASSERT_TRUE(db().upsert_user({"https://idp", "s1", "Ann", "ann@old", 10, 10}).ok());
  ASSERT_TRUE(db().upsert_user({"https://idp", "s2", "Bob", "bob@x", 20, 20}).ok());
  ASSERT_TRUE(db().upsert_user({"https://idp", "s1", "Ann B", "ann@new", 30, 30}).ok());
  auto users = db().list_users();
  ASSERT_TRUE(users.ok()) << users.error().message;
  ASSERT_EQ(users->size(), 2u);
  const UserRow& ann = (*users)[0];  // newest sign-in first
  EXPECT_EQ(ann.subject, "s1");
  EXPECT_EQ(ann.name, "Ann B");
  EXPECT_EQ(ann.email, "ann@new");
  EXPECT_EQ(ann.first_login_ms, 10);
  EXPECT_EQ(ann.last_login_ms, 30);
  EXPECT_EQ((*users)[1].subject, "s2");
}

TEST_P(BackendRows, P6_EmbedOriginsAreReplacedWholeAndStayInTheirSpace) {
  ASSERT_TRUE(store_->spaces().create("t", "team-a", "").ok());
  ASSERT_TRUE(store_->spaces().create("t", "team-b", "").ok());
  ASSERT_TRUE(db().replace_embed_origins("team-a", {{"team-a", "https://b.example", 1, "t"},
                                                    {"team-a", "https://a.example", 2, "t"}})
                  .ok());
  ASSERT_TRUE(db().replace_embed_origins("team-a", {{"team-a", "https://c.example", 3, "u"},
                                                    {"team-a", "https://a.example", 4, "u"}})
                  .ok());
  auto a = db().list_embed_origins("team-a");
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0].origin, "https://a.example");
  EXPECT_EQ((*a)[0].added_at_ms, 4);
  EXPECT_EQ((*a)[1].origin, "https://c.example");
  EXPECT_TRUE(db().list_embed_origins("team-b")->empty());
  ASSERT_TRUE(store_->spaces().remove("t", "team-a").ok());
  EXPECT_TRUE(db().list_embed_origins("team-a")->empty());
}

TEST_P(BackendRows, P6_ShareLinksAreFoundByIdAndRevokedOnlyInTheirSpace) {
  ASSERT_TRUE(store_->spaces().create("t", "team-a", "").ok());
  ASSERT_TRUE(store_->spaces().create("t", "team-b", "").ok());
  const std::string id(32, 'c');
  ASSERT_TRUE(
      db().insert_share_link({id, "team-a", space_id("team-a"), "home", 2, 500, 100, "ann"}).ok());
  auto got = db().get_share_link(id);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->space, "team-a");
  EXPECT_EQ(got->macro, 2);
  EXPECT_EQ(got->expires_at_ms, 500);
  EXPECT_EQ(got->revoked_at_ms, 0);
  EXPECT_EQ(db().list_share_links("team-a")->size(), 1u);
  EXPECT_TRUE(db().list_share_links("team-b")->empty());
  EXPECT_EQ(db().revoke_share_link("team-b", id, 200, "bob").error().code, Errc::not_found);
  ASSERT_TRUE(db().revoke_share_link("team-a", id, 200, "ann").ok());
  EXPECT_EQ(db().revoke_share_link("team-a", id, 300, "ann").error().code, Errc::not_found);
  EXPECT_EQ(db().get_share_link(id)->revoked_by, "ann");
  EXPECT_EQ(db().get_share_link(std::string(32, 'd')).error().code, Errc::not_found);
}

TEST_P(BackendRows, AdminTokensKeepTheirNameExpiryAndLastUse) {
  AdminTokenRow row{"t0000001", std::string(64, 'a'), "platform-admin", 5, "ann", 0, ""};
  row.name = "ci-docs-export";
  row.expires_at_ms = 9000;
  ASSERT_TRUE(db().insert_admin_token(row).ok());
  ASSERT_TRUE(db().touch_admin_token(row.id, 77).ok());
  auto found = db().find_admin_token_by_hash(row.hash);
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(found->name, "ci-docs-export");
  EXPECT_EQ(found->expires_at_ms, 9000);
  EXPECT_EQ(found->last_used_at_ms, 77);
}

TEST_P(BackendRows, P9_AuditQueriesFilterByActorAndTimeAndPageNewestFirst) {
  for (int i = 1; i <= 6; ++i) {
    now_ms_ = 1000 * i;
    AuditEvent e{i % 2 ? "ann" : "bob", "", "test.event", "row-" + std::to_string(i), "ok", {}};
    ASSERT_TRUE(store_->audit().record(e).ok());
  }
  AuditQuery q;
  q.who = "ann";
  auto ann = db().query_audit(q);
  ASSERT_TRUE(ann.ok()) << ann.error().message;
  ASSERT_EQ(ann->size(), 3u);
  EXPECT_EQ((*ann)[0].subject, "row-1");
  AuditQuery newest;
  newest.newest_first = true;
  newest.limit = 2;
  newest.until_ms = 6000;  // row-6 is at 6000: excluded
  auto page1 = db().query_audit(newest);
  ASSERT_TRUE(page1.ok());
  ASSERT_EQ(page1->size(), 2u);
  EXPECT_EQ((*page1)[0].subject, "row-5");
  EXPECT_EQ((*page1)[1].subject, "row-4");
  newest.before_id = page1->back().id;
  auto page2 = db().query_audit(newest);
  ASSERT_TRUE(page2.ok());
  ASSERT_EQ(page2->size(), 2u);
  EXPECT_EQ((*page2)[0].subject, "row-3");
  EXPECT_EQ((*page2)[1].subject, "row-2");
}

VITRINE_ON_EVERY_BACKEND(BackendRows);

}  // namespace
}  // namespace vitrine::store::testing
