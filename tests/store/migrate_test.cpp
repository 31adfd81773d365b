// `vitrine store migrate` (store/migrate.h): an SQLite installation copied
// into a new PostgreSQL database has the same rows and digests in every
// table, opens with the same keyring (records are copied sealed), keeps its
// audit chain verifiable, and a target holding any data is refused.
#include "store/migrate.h"

#include "pg_server.h"
#include "store/audit_chain.h"
#include "store/postgres/postgres_backend.h"
#include "store/sessions.h"
#include "test_support.h"

namespace vitrine::store::testing {
namespace {

class StoreMigrate : public StoreTest {
 protected:
  void SetUp() override {
    std::string why;
    server_ = PgServer::get(&why);
    if (server_ == nullptr) GTEST_SKIP() << why;
    StoreTest::SetUp();
  }

  // A little of everything: spaces (one connected with a token, one
  // deleted), approvals and enablement, cache, an asset, admin tokens (one
  // revoked), audit rows.
  void fill_source() {
    approve_plugins();
    make_space("team-a", "https://a.grafana.net", make_glsa('a'));
    make_space("team-b", "https://b.grafana.net", make_glsa('b'));
    auto sp = store_->spaces();
    ASSERT_TRUE(sp.create("test", "gone", "").ok());
    ASSERT_TRUE(sp.remove("test", "gone").ok());
    auto enabled = store_->approvals().enable("test", "team-a", "alert_list");
    ASSERT_TRUE(enabled.ok()) << enabled.error().message;
    ASSERT_TRUE(store_->cache().put("team-a", "alert_list", "rules", "A's rules", 60).ok());
    ASSERT_TRUE(store_->assets()
                    .put("team-b", "image/png", std::string("\x89PNG\r\n\x1a\n", 8) + "B-image")
                    .ok());
    auto t1 = store_->admin_tokens().create("test", "platform-admin");
    ASSERT_TRUE(t1.ok()) << t1.error().message;
    auto t2 = store_->admin_tokens().create("test", "space-admin:team-a");
    ASSERT_TRUE(t2.ok()) << t2.error().message;
    ASSERT_TRUE(store_->admin_tokens().revoke("test", t2->row.id).ok());
    auto& db = store_->backend();
    auto withdrawn = db.withdraw_approvals("dashboard", now_ms_ + 2, "test");
    ASSERT_TRUE(withdrawn.ok()) << withdrawn.error().message;
    ASSERT_EQ(*withdrawn, 1);
    ASSERT_TRUE(db.touch_admin_token(t1->row.id, now_ms_ + 5).ok());
    ASSERT_TRUE(db.upsert_user({"https://idp.example", "u1", "Ann", "ann@example.com", 1, 2}).ok());
    ASSERT_TRUE(
        db.replace_embed_origins("team-a", {{"team-a", "https://wiki.example.com", 3, "test"}})
            .ok());
    const std::string space_id = db.get_space("team-a")->id;
    ASSERT_TRUE(db.insert_share_link({std::string(32, 'a'), "team-a", space_id, "home", 0,
                                      now_ms_ + 1000, now_ms_, "test"})
                    .ok());
    ASSERT_TRUE(db.insert_share_link({std::string(32, 'b'), "team-a", space_id, "home", 2,
                                      now_ms_ + 1000, now_ms_, "test"})
                    .ok());
    ASSERT_TRUE(db.revoke_share_link("team-a", std::string(32, 'b'), now_ms_ + 1, "test").ok());
    // Signed-in browsers stay signed in: a token session and a user session
    // (its ID token sealed).
    Sessions sessions(store_->context(), SessionLimits{});
    auto platform = store_->admin_tokens().authenticate(t1->token.view());
    ASSERT_TRUE(platform.ok());
    auto by_token = sessions.create_for_token(*platform);
    ASSERT_TRUE(by_token.ok()) << by_token.error().message;
    token_session_ = by_token->id;
    auto by_user = sessions.create_for_user("user:idp.example/u1", "Ann", {"viewer:team-a"},
                                            "id-token-of-ann");
    ASSERT_TRUE(by_user.ok()) << by_user.error().message;
    user_session_ = by_user->id;
    ASSERT_TRUE(db.put_warm_schedule({"team-b", "custom", 1800, now_ms_ + 9, now_ms_ + 1,
                                      now_ms_ + 2, 5, 1, "host-a", now_ms_, "test"})
                    .ok());
  }

  std::unique_ptr<Backend> open_target(const std::string& url) {
    PostgresOptions po;
    po.url = url;
    auto b = open_postgres_backend(po);
    EXPECT_TRUE(b.ok()) << (b.ok() ? "" : b.error().message);
    return b.ok() ? std::move(*b) : nullptr;
  }

  PgServer* server_ = nullptr;
  std::string token_session_;
  std::string user_session_;
};

TEST_F(StoreMigrate, EveryTableArrivesWithTheSameRowsAndDigests) {
  fill_source();
  const std::string url = server_->create_database();
  auto target = open_target(url);
  ASSERT_TRUE(target);
  std::vector<std::string> progress;
  auto done = migrate_store(store_->backend(), *target,
                            [&](const std::string& line) { progress.push_back(line); });
  ASSERT_TRUE(done.ok()) << done.error().message;
  auto source_digests = digest_tables(store_->backend());
  auto target_digests = digest_tables(*target);
  ASSERT_TRUE(source_digests.ok());
  ASSERT_TRUE(target_digests.ok());
  ASSERT_EQ(source_digests->size(), target_digests->size());
  for (size_t i = 0; i < source_digests->size(); ++i) {
    const auto& a = (*source_digests)[i];
    const auto& b = (*target_digests)[i];
    EXPECT_EQ(a.table, b.table);
    EXPECT_EQ(a.rows, b.rows) << a.table;
    EXPECT_EQ(a.sha256, b.sha256) << a.table;
  }
  // Not a comparison of two empty stores: the data is really there.
  std::map<std::string, int64_t> rows;
  for (const auto& t : *done) rows[t.table] = t.rows;
  EXPECT_EQ(rows["spaces"], 2);
  EXPECT_EQ(rows["secrets"], 2);
  EXPECT_EQ(rows["admin_tokens"], 2);
  EXPECT_EQ(rows["cache_entries"], 1);
  EXPECT_EQ(rows["assets"], 1);
  EXPECT_EQ(rows["users"], 1);
  EXPECT_EQ(rows["embed_origins"], 1);
  EXPECT_EQ(rows["share_links"], 2);
  EXPECT_EQ(rows["sessions"], 2);
  EXPECT_EQ(rows["warm_schedules"], 1);
  EXPECT_GE(rows["plugin_approvals"], 2);
  EXPECT_GE(rows["audit"], 10);
  EXPECT_EQ(progress.size(), 2 * done->size());  // one "copied", one "verified" line per table
}

TEST_F(StoreMigrate, P5_TheSameKeyringOpensTheCopiedRecordsAndTheAuditChainVerifies) {
  fill_source();
  const std::string url = server_->create_database();
  {
    auto target = open_target(url);
    ASSERT_TRUE(target);
    ASSERT_TRUE(migrate_store(store_->backend(), *target, nullptr).ok());
  }
  crypto::Keyring ring(*store_->keyring());
  store_.reset();
  StoreOptions o;
  o.data_dir = make_temp_dir();
  o.backend = "postgres";
  o.url = url;
  o.keyring = std::move(ring);
  o.now = [this] { return now_ms_; };
  auto pg = Store::open(std::move(o));
  ASSERT_TRUE(pg.ok()) << pg.error().message;
  auto token = (*pg)->spaces().token_for("team-a", "https://a.grafana.net");
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(token->view(), make_glsa('a'));
  auto hit = (*pg)->cache().get("team-a", "alert_list", "rules");
  ASSERT_TRUE(hit.ok()) << hit.error().message;
  EXPECT_EQ(hit->value.view(), "A's rules");
  Sessions sessions((*pg)->context(), SessionLimits{});
  EXPECT_TRUE(sessions.find(token_session_).ok());
  auto user = sessions.find(user_session_);
  ASSERT_TRUE(user.ok()) << user.error().message;
  EXPECT_EQ(user->id_token, "id-token-of-ann");
  auto rep = verify_audit_chain((*pg)->backend(), {});
  ASSERT_TRUE(rep.ok()) << rep.error().message;
  EXPECT_TRUE(rep->ok) << rep->problem;
  // New rows chain on after the copied ones.
  ASSERT_TRUE((*pg)->spaces().create("test", "team-c", "").ok());
  auto again = verify_audit_chain((*pg)->backend(), {});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->ok) << again->problem;
  std::error_code ec;
  std::filesystem::remove_all((*pg)->data_dir(), ec);
}

TEST_F(StoreMigrate, ANonEmptyTargetIsRefusedAndLeftAsItWas) {
  fill_source();
  const std::string url = server_->create_database();
  auto target = open_target(url);
  ASSERT_TRUE(target);
  ASSERT_TRUE(migrate_store(store_->backend(), *target, nullptr).ok());
  auto before = digest_tables(*target);
  ASSERT_TRUE(before.ok());
  // A second run into the same database.
  auto again = migrate_store(store_->backend(), *target, nullptr);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::conflict);
  EXPECT_NE(again.error().message.find("not empty"), std::string::npos) << again.error().message;
  EXPECT_NE(again.error().message.find("spaces (2)"), std::string::npos) << again.error().message;
  auto after = digest_tables(*target);
  ASSERT_TRUE(after.ok());
  for (size_t i = 0; i < before->size(); ++i) {
    EXPECT_EQ((*before)[i].sha256, (*after)[i].sha256) << (*before)[i].table;
  }
}

TEST_F(StoreMigrate, ATargetWithOnlyAuditRowsIsRefusedToo) {
  fill_source();
  auto target = open_target(server_->create_database());
  ASSERT_TRUE(target);
  AuditRow row;
  row.at_ms = 1;
  row.who = "someone";
  row.action = "test.event";
  row.verdict = "ok";
  row.detail_json = "{}";
  ASSERT_TRUE(target->append_audit(row).ok());
  auto res = migrate_store(store_->backend(), *target, nullptr);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, Errc::conflict);
  EXPECT_NE(res.error().message.find("audit (1)"), std::string::npos) << res.error().message;
  EXPECT_EQ(*target->count_audit(), 1);
}

TEST_F(StoreMigrate, TheSourceIsOnlyRead) {
  fill_source();
  auto before = digest_tables(store_->backend());
  ASSERT_TRUE(before.ok());
  auto target = open_target(server_->create_database());
  ASSERT_TRUE(target);
  ASSERT_TRUE(migrate_store(store_->backend(), *target, nullptr).ok());
  auto after = digest_tables(store_->backend());
  ASSERT_TRUE(after.ok());
  for (size_t i = 0; i < before->size(); ++i) {
    EXPECT_EQ((*before)[i].rows, (*after)[i].rows) << (*before)[i].table;
    EXPECT_EQ((*before)[i].sha256, (*after)[i].sha256) << (*before)[i].table;
  }
}

}  // namespace
}  // namespace vitrine::store::testing
