// Browser sessions live in the database (store/sessions.h,
// server/sessions.h): two hosts on one database (two stores, two session
// stores) serve the same browser, sign-out and revocation apply at once on
// both, and the table holds neither the cookie's id nor an admin token's
// text nor a user's ID token in the clear. Every test runs on SQLite and on
// PostgreSQL.
#include <Poco/Data/Session.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <memory>
#include <string>
#include <vector>

#include "server/sessions.h"
#include "store/backend_test_support.h"
#include "store/crypto/secret_box.h"
#include "store/rotation.h"

namespace vitrine::store::testing {
namespace {

constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 60 * kMinute;

class SharedSessions : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(store_->spaces().create("test", "alpha", "").ok());
    auto t = store_->admin_tokens().create("test", "viewer:alpha");
    ASSERT_TRUE(t.ok()) << t.error().message;
    token_id_ = t->row.id;
    token_text_ = std::string(t->token.view());
    other_ = open_another();
    ASSERT_TRUE(other_);
  }
  void TearDown() override {
    other_.reset();
    BackendTest::TearDown();
  }

  // Another host's view of the same database (its own connection).
  std::unique_ptr<Store> open_another(bool with_keyring = true) {
    StoreOptions o;
    o.data_dir = dir_;
    if (with_keyring) o.keyring = crypto::Keyring(*store_->keyring());
    o.now = [this] { return now_ms_; };
    configure_backend(o);
    auto s = Store::open(std::move(o));
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return s.ok() ? std::move(*s) : nullptr;
  }

  server::SessionStore host_a(server::SessionLimits limits = {}) {
    return server::SessionStore([this] { return store_->context(); }, limits);
  }
  server::SessionStore host_b(server::SessionLimits limits = {}) {
    return server::SessionStore([this] { return other_->context(); }, limits);
  }

  // Every text column of every row, read on a connection of its own.
  std::string dump_sessions() {
    const std::string sql =
        "SELECT id_hash || '|' || csrf || '|' || token_id || '|' || user_who || '|' || "
        "display_name || '|' || roles || '|' || id_token_record || '|' || flash FROM sessions";
    std::string out;
    if (!on_postgres()) {
      Poco::Data::Session raw("SQLite", (dir_ / "vitrine.db").string());
      std::vector<std::string> rows;
      raw << sql, Poco::Data::Keywords::into(rows), Poco::Data::Keywords::now;
      for (const auto& r : rows) out += r + "\n";
      return out;
    }
    PGconn* c = PQconnectdb(url_.c_str());
    EXPECT_EQ(PQstatus(c), CONNECTION_OK);
    PGresult* r = PQexec(c, sql.c_str());
    EXPECT_EQ(PQresultStatus(r), PGRES_TUPLES_OK);
    for (int i = 0; i < PQntuples(r); ++i) out += std::string(PQgetvalue(r, i, 0)) + "\n";
    PQclear(r);
    PQfinish(c);
    return out;
  }

  server::SessionUser a_user() {
    server::SessionUser u;
    u.who = "user:idp.example.com/u1";
    u.display_name = "Ada Lovelace";
    u.roles = {"viewer:alpha", "editor:alpha"};
    u.id_token = "eyJhbGciOiJSUzI1NiJ9.id-token-payload-secret.sig";
    return u;
  }

  std::unique_ptr<Store> other_;
  std::string token_id_;
  std::string token_text_;
};

TEST_P(SharedSessions, ASessionCreatedOnOneHostIsFoundOnAnother) {
  auto a = host_a();
  auto b = host_b();
  auto s = a.create(token_text_);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->id.size(), 64u);
  auto found = b.find(s->id);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->csrf, s->csrf);
  EXPECT_EQ(found->principal.token_id, token_id_);
  EXPECT_EQ(found->principal.role.space, "alpha");
  EXPECT_FALSE(found->user.has_value());
  EXPECT_FALSE(found->remembered);
  EXPECT_FALSE(b.find(std::string(64, '0')).has_value());
}

TEST_P(SharedSessions, ASessionSurvivesARestart) {
  auto s = host_a().create(token_text_);
  ASSERT_TRUE(s.ok());
  other_.reset();
  reopen(crypto::Keyring(*store_->keyring()));
  EXPECT_TRUE(host_a().find(s->id).has_value());
}

TEST_P(SharedSessions, SigningOutOnOneHostEndsTheSessionOnTheOther) {
  auto a = host_a();
  auto b = host_b();
  auto s = a.create(token_text_);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(b.find(s->id).has_value());
  a.remove(s->id);
  auto gone = b.lookup(s->id);
  EXPECT_FALSE(gone.session.has_value());
  EXPECT_FALSE(gone.unavailable);
  EXPECT_NE(gone.message.find("[session-unknown]"), std::string::npos) << gone.message;
}

TEST_P(SharedSessions, AFlashSetOnOneHostIsTakenOnceOnTheOther) {
  auto a = host_a();
  auto b = host_b();
  auto s = a.create(token_text_);
  ASSERT_TRUE(s.ok());
  a.set_flash(s->id, "Saved runbook.");
  // The next page, served by the other host: its read of the session says
  // a message waits.
  auto next = b.lookup(s->id);
  ASSERT_TRUE(next.session.has_value()) << next.message;
  EXPECT_TRUE(next.session->has_flash);
  EXPECT_EQ(b.take_flash(*next.session), "Saved runbook.");
  // Once, on whichever host: a view read before it was taken gets nothing
  // more, and the page after that sees no message waiting.
  EXPECT_EQ(a.take_flash(*next.session), "");
  auto after = a.lookup(s->id);
  ASSERT_TRUE(after.session.has_value()) << after.message;
  EXPECT_FALSE(after.session->has_flash);
  EXPECT_EQ(a.take_flash(*after.session), "");
}

TEST_P(SharedSessions, RevokingTheTokenEndsItsSessionsAtOnceOnEveryHost) {
  auto a = host_a();
  auto b = host_b();
  auto s = a.create(token_text_);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(b.find(s->id).has_value());
  ASSERT_TRUE(other_->admin_tokens().revoke("test", token_id_).ok());
  auto refused = a.lookup(s->id);
  EXPECT_FALSE(refused.session.has_value());
  EXPECT_FALSE(refused.unavailable);
  EXPECT_NE(refused.message.find("[session-token-inactive]"), std::string::npos) << refused.message;
  EXPECT_FALSE(b.find(s->id).has_value());
}

TEST_P(SharedSessions, DeletingTheTokensSpaceEndsItsSessions) {
  auto a = host_a();
  auto s = a.create(token_text_);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(other_->spaces().remove("test", "alpha").ok());
  EXPECT_FALSE(host_b().find(s->id).has_value());
}

TEST_P(SharedSessions, AnIdleSessionIsRefusedAndDeleted) {
  auto a = host_a();
  auto s = a.create(token_text_);
  ASSERT_TRUE(s.ok());
  now_ms_ += 8 * kHour + 1;
  auto refused = host_b().lookup(s->id);
  EXPECT_FALSE(refused.session.has_value());
  EXPECT_NE(refused.message.find("[session-idle]"), std::string::npos) << refused.message;
  auto rows = store_->backend().list_sessions();
  ASSERT_TRUE(rows.ok());
  EXPECT_TRUE(rows->empty());
}

TEST_P(SharedSessions, UseKeepsASessionAliveUntilItsAbsoluteLifetime) {
  auto a = host_a();
  auto b = host_b();
  auto s = a.create(token_text_);
  ASSERT_TRUE(s.ok());
  for (int i = 0; i < 3; ++i) {
    now_ms_ += 7 * kHour;  // each use resets the idle clock, on either host
    ASSERT_TRUE((i % 2 == 0 ? b : a).find(s->id).has_value()) << i;
  }
  now_ms_ += 3 * kHour + 1;  // 24 h after creation
  auto refused = a.lookup(s->id);
  EXPECT_FALSE(refused.session.has_value());
  EXPECT_NE(refused.message.find("[session-absolute]"), std::string::npos) << refused.message;
}

TEST_P(SharedSessions, APageViewWritesLastSeenAtMostOnceAMinute) {
  auto a = host_a();
  auto s = a.create(token_text_);
  ASSERT_TRUE(s.ok());
  const int64_t created = now_ms_;
  now_ms_ += 30'000;
  ASSERT_TRUE(a.find(s->id).has_value());
  auto row = store_->backend().get_session(Sessions::hash_of(s->id));
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->last_seen_ms, created);
  now_ms_ += kMinute;
  ASSERT_TRUE(a.find(s->id).has_value());
  row = store_->backend().get_session(Sessions::hash_of(s->id));
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->last_seen_ms, now_ms_);
}

TEST_P(SharedSessions, TheDatabaseHoldsNeitherTheCookieIdNorTheTokenText) {
  auto s = host_a().create(token_text_);
  ASSERT_TRUE(s.ok());
  const std::string raw = dump_sessions();
  ASSERT_NE(raw.find(Sessions::hash_of(s->id)), std::string::npos) << raw;
  EXPECT_EQ(raw.find(s->id), std::string::npos);
  EXPECT_EQ(raw.find(token_text_), std::string::npos);
  EXPECT_EQ(raw.find("vtr_"), std::string::npos);
  EXPECT_NE(raw.find(token_id_), std::string::npos);
}

TEST_P(SharedSessions, AUserSessionKeepsRolesAndDisplayNameAndSealsTheIdToken) {
  const server::SessionUser user = a_user();
  auto s = host_a().create(user);
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto found = host_b().find(s->id);
  ASSERT_TRUE(found.has_value());
  ASSERT_TRUE(found->user.has_value());
  EXPECT_EQ(found->user->who, user.who);
  EXPECT_EQ(found->user->display_name, "Ada Lovelace");
  EXPECT_EQ(found->user->roles, user.roles);
  EXPECT_EQ(found->user->id_token, user.id_token);
  EXPECT_EQ(found->principal.user, user.who);
  EXPECT_TRUE(found->principal.holds(Role::Kind::editor, "alpha"));

  const std::string raw = dump_sessions();
  EXPECT_EQ(raw.find(user.id_token), std::string::npos) << raw;
  EXPECT_EQ(raw.find("id-token-payload-secret"), std::string::npos) << raw;
  EXPECT_EQ(raw.find(s->id), std::string::npos);
  auto row = store_->backend().get_session(Sessions::hash_of(s->id));
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->id_token_record.rfind("v1:", 0), 0u) << row->id_token_record;
}

TEST_P(SharedSessions, KeyRotationReWrapsAUsersIdTokenSoRetiringTheOldKeyKeepsIt) {
  const server::SessionUser user = a_user();
  auto s = host_a().create(user);
  ASSERT_TRUE(s.ok()) << s.error().message;
  const std::string hash = Sessions::hash_of(s->id);
  ASSERT_EQ(crypto::record_key_id(store_->backend().get_session(hash)->id_token_record), "k1");

  // keys add + keys rotate: the ID token is re-sealed with the new key.
  crypto::Keyring both;
  ASSERT_TRUE(both.add(crypto::Key{"k1", store_->keyring()->newest().bytes}).ok());
  ASSERT_TRUE(both.add_generated().ok());
  const crypto::Key k2 = both.newest();
  other_.reset();
  reopen(std::move(both));
  auto rep = rewrap_all(store_->context(), "test");
  ASSERT_TRUE(rep.ok()) << rep.error().message;
  EXPECT_EQ(rep->failed, 0);
  EXPECT_GE(rep->rewrapped, 1);
  EXPECT_EQ(crypto::record_key_id(store_->backend().get_session(hash)->id_token_record), "k2");
  auto used = store_->backend().record_key_ids();
  ASSERT_TRUE(used.ok()) << used.error().message;
  EXPECT_EQ(used->count("k1"), 0u) << "a record still names the key about to be retired";

  // keys retire k1: the session still has its ID token (the logout hint).
  crypto::Keyring only_new;
  ASSERT_TRUE(only_new.add(k2).ok());
  reopen(std::move(only_new));
  auto found = host_a().find(s->id);
  ASSERT_TRUE(found.has_value());
  ASSERT_TRUE(found->user.has_value());
  EXPECT_EQ(found->user->id_token, user.id_token);
}

TEST_P(SharedSessions, ASealedIdTokenMovedToAnotherSessionDoesNotOpen) {
  auto a = host_a();
  auto first = a.create(a_user());
  auto second = a.create(a_user());
  ASSERT_TRUE(first.ok() && second.ok());
  auto row = store_->backend().get_session(Sessions::hash_of(first->id));
  ASSERT_TRUE(row.ok());
  ASSERT_TRUE(raw_sql("UPDATE sessions SET id_token_record = '" + row->id_token_record +
                      "' WHERE id_hash = '" + Sessions::hash_of(second->id) + "'"));
  auto found = host_b().find(second->id);
  ASSERT_TRUE(found.has_value());
  ASSERT_TRUE(found->user.has_value());
  EXPECT_EQ(found->user->id_token, "");
}

TEST_P(SharedSessions, WithoutAKeyringNoIdTokenIsStored) {
  auto bare = open_another(false);
  ASSERT_TRUE(bare);
  server::SessionStore host([&bare] { return bare->context(); });
  auto s = host.create(a_user());
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto row = store_->backend().get_session(Sessions::hash_of(s->id));
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->id_token_record, "");
  EXPECT_EQ(dump_sessions().find("id-token-payload-secret"), std::string::npos);
  auto found = host_a().find(s->id);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->user->display_name, "Ada Lovelace");
}

TEST_P(SharedSessions, BeyondMaxSessionsTheLeastRecentlySeenIsDropped) {
  server::SessionLimits limits;
  limits.max_sessions = 3;
  auto a = host_a(limits);
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    now_ms_ += 1000;
    auto s = a.create(token_text_);
    ASSERT_TRUE(s.ok());
    ids.push_back(s->id);
  }
  EXPECT_EQ(a.size(), 3u);
  EXPECT_FALSE(a.find(ids[0]).has_value());
  for (int i = 1; i < 4; ++i) EXPECT_TRUE(a.find(ids[static_cast<size_t>(i)]).has_value()) << i;
}

TEST_P(SharedSessions, SigningInPurgesExpiredSessions) {
  auto a = host_a();
  ASSERT_TRUE(a.create(token_text_).ok());
  now_ms_ += 9 * kHour;
  ASSERT_TRUE(a.create(token_text_).ok());
  EXPECT_EQ(a.size(), 1u);
}

TEST_P(SharedSessions, ADatabaseThatCannotAnswerIsNotASignOut) {
  auto a = host_a();
  auto s = a.create(token_text_);
  ASSERT_TRUE(s.ok());
  auto never_seen = host_b().create(token_text_);
  ASSERT_TRUE(never_seen.ok());
  ASSERT_TRUE(raw_sql("ALTER TABLE sessions RENAME TO sessions_away"));
  // This host read the session before: it stands in, marked remembered.
  auto remembered = a.lookup(s->id);
  ASSERT_TRUE(remembered.session.has_value()) << remembered.message;
  EXPECT_TRUE(remembered.session->remembered);
  // A host that never read it: unavailable (503), not "no session".
  auto fresh = host_b().lookup(s->id);
  EXPECT_FALSE(fresh.session.has_value());
  EXPECT_TRUE(fresh.unavailable);
  ASSERT_TRUE(raw_sql("ALTER TABLE sessions_away RENAME TO sessions"));
  EXPECT_FALSE(a.lookup(s->id).session->remembered);
}

VITRINE_ON_EVERY_BACKEND(SharedSessions);

}  // namespace
}  // namespace vitrine::store::testing
