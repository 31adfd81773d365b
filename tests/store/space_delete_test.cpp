// Deleting a space really deletes: spaces have an immutable random id;
// admin tokens and audit rows bind to it, so nothing of a deleted space
// (its tokens, pages, cache, audit) applies to a new space with the same key.
#include <fstream>

#include "backend_test_support.h"
#include "digest/sha256.h"

namespace vitrine::store::testing {
namespace {

namespace fs = std::filesystem;

class SpaceDelete : public BackendTest {
 protected:
  SpaceRow create(const std::string& key) {
    auto r = store_->spaces().create("t", key, "");
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : SpaceRow{};
  }
  std::string token(const std::string& role) {
    auto t = store_->admin_tokens().create("t", role);
    EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
    return t.ok() ? std::string(t->token.view()) : std::string();
  }
  Verdict verdict(const std::string& tok, Action action, const std::string& space) {
    return store_->admin_tokens().authorize(tok, action, space).verdict;
  }
  void write_page(const std::string& space, const std::string& name, const std::string& text) {
    fs::create_directories(files().pages_dir / space);
    std::ofstream(files().pages_dir / space / (name + ".md")) << text;
  }
  SpaceFiles files() const { return SpaceFiles::under(dir_); }
  RemoveOptions with_files(bool purge = false) const {
    RemoveOptions o;
    o.files = files();
    o.purge = purge;
    return o;
  }
};

TEST_P(SpaceDelete, SpaceIdIsRandomAndNeverReusedForTheSameKey) {
  const SpaceRow first = create("team-a");
  EXPECT_EQ(first.id.size(), 32u);
  EXPECT_EQ(first.id.find_first_not_of("0123456789abcdef"), std::string::npos) << first.id;
  EXPECT_EQ(store_->backend().get_space("team-a")->id, first.id);
  ASSERT_TRUE(store_->spaces().remove("t", "team-a").ok());
  const SpaceRow second = create("team-a");
  EXPECT_EQ(second.id.size(), 32u);
  EXPECT_NE(second.id, first.id);
  EXPECT_NE(create("team-b").id, second.id);
}

TEST_P(SpaceDelete, DeletingRevokesTheSpaceTokensInItsTransactionAndNoOthers) {
  const SpaceRow a = create("team-a");
  create("team-b");
  const std::string admin = token("space-admin:team-a");
  const std::string viewer = token("viewer:team-a");
  const std::string other = token("space-admin:team-b");
  const std::string platform = token("platform-admin");
  ASSERT_EQ(verdict(admin, Action::token_set, "team-a"), Verdict::allow);

  auto r = store_->spaces().remove("t", "team-a");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->id, a.id);
  EXPECT_EQ(r->tokens.size(), 2u);
  int revoked = 0;
  auto tokens = store_->admin_tokens().list();
  ASSERT_TRUE(tokens.ok());
  for (const auto& row : *tokens) {
    if (row.space_id == a.id) {
      EXPECT_NE(row.revoked_at_ms, 0) << row.role;
      ++revoked;
    } else {
      EXPECT_EQ(row.revoked_at_ms, 0) << row.role;
    }
  }
  EXPECT_EQ(revoked, 2);
  EXPECT_EQ(verdict(admin, Action::space_show, "team-a"), Verdict::unauthenticated);
  EXPECT_EQ(verdict(other, Action::token_set, "team-b"), Verdict::allow);
  EXPECT_EQ(verdict(platform, Action::space_list, ""), Verdict::allow);

  // The same key again is another space: the old tokens stay refused.
  create("team-a");
  EXPECT_EQ(verdict(admin, Action::token_set, "team-a"), Verdict::unauthenticated);
  EXPECT_EQ(verdict(viewer, Action::space_show, "team-a"), Verdict::unauthenticated);
  EXPECT_FALSE(store_->admin_tokens().authenticate(admin).ok());
  const std::string fresh = token("space-admin:team-a");
  EXPECT_EQ(verdict(fresh, Action::token_set, "team-a"), Verdict::allow);
}

TEST_P(SpaceDelete, TokenBoundToAnEarlierSpaceIdIsRefusedEvenIfNotRevoked) {
  const SpaceRow a = create("team-a");
  const std::string tok = token("space-admin:team-a");
  // A row as a pre-id copy or a restored backup could hold it: active, but
  // bound to an id the space does not have.
  AdminTokenRow stale;
  stale.id = "t0000beef";
  stale.hash = digest::sha256_hex("vtr_stale-token-of-another-generation");
  stale.role = "space-admin:team-a";
  stale.created_at_ms = now_ms_;
  stale.created_by = "t";
  stale.space_id = "00000000000000000000000000000000";
  ASSERT_TRUE(store_->backend().insert_admin_token(stale).ok());
  EXPECT_EQ(verdict("vtr_stale-token-of-another-generation", Action::space_show, "team-a"),
            Verdict::unauthenticated);
  stale.id = "t0000cafe";
  stale.hash = digest::sha256_hex("vtr_unbound-token");
  stale.space_id.clear();
  ASSERT_TRUE(store_->backend().insert_admin_token(stale).ok());
  EXPECT_EQ(verdict("vtr_unbound-token", Action::space_show, "team-a"), Verdict::unauthenticated);
  EXPECT_EQ(verdict(tok, Action::space_show, "team-a"), Verdict::allow);
  // The token created for this space is bound to its id.
  auto tokens = store_->admin_tokens().list();
  ASSERT_TRUE(tokens.ok());
  for (const auto& row : *tokens) {
    if (row.id != "t0000beef" && row.id != "t0000cafe") {
      EXPECT_EQ(row.space_id, a.id);
    }
  }
}

TEST_P(SpaceDelete, P9_AuditRowsStayButTheNewSpaceReadsOnlyItsOwn) {
  const SpaceRow old = create("team-a");
  token("space-admin:team-a");
  ASSERT_TRUE(store_->spaces().remove("t", "team-a").ok());
  const SpaceRow now = create("team-a");

  AuditQuery by_key;
  by_key.space = "team-a";
  auto all = store_->audit().query(by_key);
  ASSERT_TRUE(all.ok());
  bool saw_old = false, saw_delete = false;
  for (const auto& row : *all) {
    if (row.space_id == old.id) saw_old = true;
    if (row.action == "space.delete") {
      saw_delete = true;
      EXPECT_EQ(row.space_id, old.id);  // written after the delete, still named
      EXPECT_EQ(row.verdict, "ok");
    }
  }
  EXPECT_TRUE(saw_old);
  EXPECT_TRUE(saw_delete);

  auto q = store_->audit().current_generation("team-a");
  ASSERT_TRUE(q.ok());
  auto mine = store_->audit().query(*q);
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->size(), 1u);  // its own space.create only
  EXPECT_EQ(mine->front().action, "space.create");
  EXPECT_EQ(mine->front().space_id, now.id);
  EXPECT_LT(mine->size(), all->size());
  EXPECT_EQ(store_->audit().current_generation("gone").error().code, Errc::not_found);
}

TEST_P(SpaceDelete, P6_CacheAssetsAndEnablementGoWithTheSpace) {
  approve_plugins();
  make_space("team-a", "https://a.grafana.net", make_glsa('d'));
  ASSERT_TRUE(store_->approvals().enable("t", "team-a", "alert_list").ok());
  CacheRow c{"team-a", "alert_list",   std::string(64, 'a'), "v1:x", 4,
             now_ms_,  now_ms_ + 1000, now_ms_ + 2000,       now_ms_};
  ASSERT_TRUE(store_->backend().put_cache(c).ok());
  AssetRow asset{"team-a", std::string(64, 'b'), "image/png", "v1:y", 1, now_ms_};
  ASSERT_TRUE(store_->backend().put_asset(asset).ok());
  ASSERT_TRUE(store_->spaces().remove("t", "team-a").ok());
  create("team-a");
  EXPECT_EQ(store_->backend().get_cache("team-a", "alert_list", c.key_hash).error().code,
            Errc::not_found);
  EXPECT_TRUE(store_->backend().list_assets("team-a")->empty());
  EXPECT_TRUE(store_->backend().list_enabled("team-a")->empty());
  EXPECT_EQ(store_->backend().get_secret("team-a", kGrafanaTokenRecord).error().code,
            Errc::not_found);
}

TEST_P(SpaceDelete, PagesMoveToTheTrashAndTheNewSpaceStartsEmpty) {
  const SpaceRow a = create("team-a");
  write_page("team-a", "runbook", "# old runbook\n");
  auto r = store_->spaces().remove("t", "team-a", with_files());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(fs::exists(files().pages_dir / "team-a"));
  EXPECT_EQ(r->trashed, files().trash_dir / trash_name("team-a", a.id, now_ms_));
  EXPECT_EQ(r->trashed.filename().string(), "team-a-" + a.id + "-20231114T221320Z");
  EXPECT_EQ(read_file(r->trashed / "runbook.md"), "# old runbook\n");
  EXPECT_FALSE(r->purged);
  create("team-a");
  EXPECT_FALSE(fs::exists(files().pages_dir / "team-a"));
  // Restoring is a rename back (docs/admin.md).
  fs::rename(r->trashed, files().pages_dir / "team-a");
  EXPECT_EQ(read_file(files().pages_dir / "team-a" / "runbook.md"), "# old runbook\n");
}

TEST_P(SpaceDelete, PurgeRemovesThePagesForGood) {
  create("team-a");
  write_page("team-a", "runbook", "# old\n");
  auto r = store_->spaces().remove("t", "team-a", with_files(true));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->purged);
  EXPECT_TRUE(r->trashed.empty());
  EXPECT_FALSE(fs::exists(files().pages_dir / "team-a"));
  EXPECT_TRUE(fs::is_empty(files().trash_dir));
}

TEST_P(SpaceDelete, SpaceWithoutPagesDeletesWithNothingTrashed) {
  create("team-a");
  auto r = store_->spaces().remove("t", "team-a", with_files());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->trashed.empty());
  EXPECT_FALSE(fs::exists(files().trash_dir));
}

TEST_P(SpaceDelete, FailedPageMoveDeletesNothing) {
  create("team-a");
  const std::string tok = token("space-admin:team-a");
  write_page("team-a", "runbook", "# keep\n");
  std::ofstream(files().trash_dir) << "not a directory";  // rename into it fails
  auto r = store_->spaces().remove("t", "team-a", with_files());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::io);
  EXPECT_NE(r.error().message.find("was not deleted"), std::string::npos) << r.error().message;
  EXPECT_TRUE(store_->backend().get_space("team-a").ok());
  EXPECT_EQ(verdict(tok, Action::token_set, "team-a"), Verdict::allow);
  EXPECT_EQ(read_file(files().pages_dir / "team-a" / "runbook.md"), "# keep\n");
  AuditQuery q;
  q.action_prefix = "space.delete";
  auto rows = store_->audit().query(q);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().verdict, "refused");
}

TEST_P(SpaceDelete, DeletingAMissingSpaceIsNotFound) {
  auto r = store_->spaces().remove("t", "nope", with_files());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::not_found);
}

VITRINE_ON_EVERY_BACKEND(SpaceDelete);

}  // namespace
}  // namespace vitrine::store::testing
