// Rule store-unavailable (server/auth.h): while the database cannot answer
// a credential lookup, the JSON API answers 503 with Retry-After and a JSON
// error, browser routes answer the 503 error page (never 401 or a redirect
// to the login form), a page a session viewed just before keeps rendering
// from the authorization cache, and everything answers as before once the
// database is back, without restarting the server.
//
// The faults: on SQLite the admin_tokens table is renamed away behind the
// server's back, so every token lookup fails inside the database (Errc::io)
// while the rest of the store still answers; on PostgreSQL the database
// server itself is stopped and started again under the running server.
#include <Poco/Data/Session.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "server/auth.h"
#include "server/auth_cache.h"
#include "server_fixture.h"
#include "store/pg_server.h"

namespace vitrine::testing {
namespace {

// Past the authorization cache's max_age (one second), so its answers
// must be recomputed from the database.
void outlive_cached_answers() { std::this_thread::sleep_for(std::chrono::milliseconds(1100)); }

class StoreUnavailable : public ServerFixture {
 protected:
  void raw_sql(const std::string& sql) {
    Poco::Data::Session raw("SQLite", (config_.data_dir / "vitrine.db").string());
    raw << sql, Poco::Data::Keywords::now;
  }
  void break_tokens() { raw_sql("ALTER TABLE admin_tokens RENAME TO admin_tokens_away"); }
  void mend_tokens() { raw_sql("ALTER TABLE admin_tokens_away RENAME TO admin_tokens"); }
};

TEST_F(StoreUnavailable, TheApiAnswers503WithRetryAfterNot401) {
  ASSERT_EQ(api("GET", "/api/v1/spaces", platform_).status, 200);
  break_tokens();
  outlive_cached_answers();
  for (const char* path : {"/api/v1/spaces", "/api/v1/spaces/alpha"}) {
    auto r = api("GET", path, platform_);
    EXPECT_EQ(r.status, 503) << path << " " << r.body;
    EXPECT_EQ(r.header("retry-after"), "5") << path;
    EXPECT_NE(r.header("content-type").find("application/json"), std::string::npos) << path;
    EXPECT_NE(r.body.find("the store is unavailable: "), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("[store-unavailable]"), std::string::npos) << r.body;
    EXPECT_TRUE(r.header("www-authenticate").empty()) << path;
  }
  // A write that was never authorized before gets the same answer.
  auto w = api("POST", "/api/v1/spaces", platform_, R"({"key":"gamma"})");
  EXPECT_EQ(w.status, 503) << w.body;

  mend_tokens();
  EXPECT_EQ(api("GET", "/api/v1/spaces", platform_).status, 200);
}

TEST_F(StoreUnavailable, APageViewedBeforeKeepsRenderingFromTheAuthorizationCache) {
  const std::string viewer = login(alpha_viewer_);
  ASSERT_EQ(send("GET", "/spaces/alpha", {{"Cookie", viewer}}).status, 200);
  const std::string admin = login(alpha_admin_);
  break_tokens();
  outlive_cached_answers();

  auto page = send("GET", "/spaces/alpha", {{"Cookie", viewer}});
  EXPECT_EQ(page.status, 200) << page.body;

  // A session with no earlier answer: the error page, not the login form.
  auto fresh = send("GET", "/spaces/alpha", {{"Cookie", admin}});
  EXPECT_EQ(fresh.status, 503) << fresh.body;
  EXPECT_EQ(fresh.header("retry-after"), "5");
  EXPECT_NE(fresh.header("content-type").find("text/html"), std::string::npos);
  EXPECT_NE(fresh.body.find("the store is unavailable: "), std::string::npos) << fresh.body;

  mend_tokens();
  EXPECT_EQ(send("GET", "/spaces/alpha", {{"Cookie", admin}}).status, 200);
}

TEST_F(StoreUnavailable, SigningInAnswers503AndIsNotCountedAsAFailedAttempt) {
  break_tokens();
  // More attempts than the sign-in limiter allows failures: none is counted.
  for (int i = 0; i < 12; ++i) {
    auto r = send("POST", "/login", {{"Content-Type", "application/x-www-form-urlencoded"}},
                  "token=" + alpha_admin_);
    ASSERT_EQ(r.status, 503) << r.body;
    EXPECT_NE(r.body.find("the store is unavailable: "), std::string::npos) << r.body;
  }
  mend_tokens();
  EXPECT_FALSE(login(alpha_admin_).empty());
}

// A user signed in through OpenID Connect is answered by the same cache:
// an earlier "allow" to view survives the outage, a write does not, and a
// principal with other roles gets no borrowed answer.
TEST_F(StoreUnavailable, AUserSessionsEarlierViewAnswerIsKeptWhileTheDatabaseIsAway) {
  uint64_t generation = 0;
  server::AuthCache cache([&generation] { return generation; }, std::chrono::seconds(1));
  auto tokens = rt_->store().admin_tokens();
  store::Principal viewer = store::principal_of({{store::Role::Kind::viewer, "alpha"}});
  viewer.user = "user:idp.example.com/u1";
  store::Principal admin = store::principal_of({{store::Role::Kind::space_admin, "alpha"}});
  admin.user = viewer.user;
  ASSERT_EQ(cache.decide(tokens, viewer, store::Action::space_show, "alpha").verdict,
            store::Verdict::allow);

  raw_sql("ALTER TABLE spaces RENAME TO spaces_away");
  ++generation;  // the cached answer is no longer current
  EXPECT_EQ(cache.decide(tokens, viewer, store::Action::space_show, "alpha").verdict,
            store::Verdict::allow);
  EXPECT_EQ(cache.decide(tokens, viewer, store::Action::space_delete, "alpha").verdict,
            store::Verdict::unavailable);
  EXPECT_EQ(cache.decide(tokens, admin, store::Action::space_show, "alpha").verdict,
            store::Verdict::unavailable);

  raw_sql("ALTER TABLE spaces_away RENAME TO spaces");
  EXPECT_EQ(cache.decide(tokens, admin, store::Action::space_show, "alpha").verdict,
            store::Verdict::allow);
}

class StoreUnavailableOnPostgres : public ServerFixture {
 protected:
  void SetUp() override {
    std::string why;
    pg_ = store::testing::PgServer::get(&why);
    if (pg_ == nullptr) GTEST_SKIP() << why;
    config_.store_backend = "postgres";
    config_.store_url = pg_->create_database();
    ServerFixture::SetUp();
  }
  void TearDown() override {
    // Other tests in this process share the database server.
    if (stopped_) start();
    ServerFixture::TearDown();
  }
  void stop() { stopped_ = pg_->stop_server(); }
  void start() {
    std::string why;
    ASSERT_TRUE(pg_->start_server(&why)) << why;
    stopped_ = false;
  }
  store::testing::PgServer* pg_ = nullptr;
  bool stopped_ = false;
};

TEST_F(StoreUnavailableOnPostgres, ARestartedDatabaseAnswers503ThenRecoversWithoutARestart) {
  const std::string viewer = login(alpha_viewer_);
  ASSERT_EQ(send("GET", "/spaces/alpha", {{"Cookie", viewer}}).status, 200);
  ASSERT_EQ(api("GET", "/api/v1/spaces", platform_).status, 200);

  stop();
  ASSERT_TRUE(stopped_);
  outlive_cached_answers();
  auto r = api("GET", "/api/v1/spaces", platform_);
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.header("retry-after"), "5");
  EXPECT_NE(r.body.find("the store is unavailable: "), std::string::npos) << r.body;
  auto page = send("GET", "/spaces/alpha", {{"Cookie", viewer}});
  EXPECT_EQ(page.status, 200) << page.body;

  start();
  EXPECT_EQ(api("GET", "/api/v1/spaces", platform_).status, 200);
  EXPECT_EQ(send("GET", "/spaces/alpha", {{"Cookie", login(alpha_admin_)}}).status, 200);
}

}  // namespace
}  // namespace vitrine::testing
