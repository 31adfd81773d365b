// Rule store-unavailable (store/admin_tokens.h): a database that cannot
// answer is not a verdict on the credential. AdminTokens::authorize answers
// Verdict::unavailable with the database's message, never unauthenticated
// or not_found, and answers normally again once the database is back,
// without reopening the store.
//
// The fault: on PostgreSQL the test server is stopped and started again; on
// SQLite the admin_tokens or spaces table is renamed away behind the store's
// back, so the same queries fail inside the database.
#include <gtest/gtest.h>

#include <string>

#include "backend_test_support.h"

namespace vitrine::store::testing {
namespace {

class StoreUnavailable : public BackendTest {
 protected:
  std::string platform_token() {
    auto t = store_->admin_tokens().create("test", "platform-admin");
    EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
    return t.ok() ? std::string(t->token.view()) : std::string();
  }

  void TearDown() override {
    // Other tests in this process share the database server.
    if (stopped_) mend_database("");
    BackendTest::TearDown();
  }

  // Takes the named table away (SQLite) or the whole server (PostgreSQL).
  void break_database(const std::string& table) {
    if (on_postgres()) {
      stopped_ = PgServer::get(nullptr)->stop_server();
      ASSERT_TRUE(stopped_);
    } else {
      ASSERT_TRUE(raw_sql("ALTER TABLE " + table + " RENAME TO " + table + "_away"));
    }
  }
  void mend_database(const std::string& table) {
    if (on_postgres()) {
      std::string why;
      ASSERT_TRUE(PgServer::get(nullptr)->start_server(&why)) << why;
      stopped_ = false;
    } else {
      ASSERT_TRUE(raw_sql("ALTER TABLE " + table + "_away RENAME TO " + table));
    }
  }
  bool stopped_ = false;
};

TEST_P(StoreUnavailable, ATokenLookupTheDatabaseCannotAnswerIsUnavailableNotUnauthenticated) {
  const std::string token = platform_token();
  ASSERT_EQ(store_->admin_tokens().authorize(token, Action::space_list, "").verdict,
            Verdict::allow);

  break_database("admin_tokens");
  auto a = store_->admin_tokens().authorize(token, Action::space_list, "");
  EXPECT_EQ(a.verdict, Verdict::unavailable) << a.message;
  EXPECT_FALSE(a.message.empty());
  auto who = store_->admin_tokens().authenticate(token);
  ASSERT_FALSE(who.ok());
  EXPECT_EQ(who.error().code, Errc::io) << who.error().message;

  mend_database("admin_tokens");
  a = store_->admin_tokens().authorize(token, Action::space_list, "");
  EXPECT_EQ(a.verdict, Verdict::allow) << a.message;
}

TEST_P(StoreUnavailable, ASpaceLookupTheDatabaseCannotAnswerIsUnavailableNotNotFound) {
  approve_plugins();
  make_space("alpha", "https://acme.grafana.net", make_glsa('a'));
  const std::string token = platform_token();
  // A user's principal: decide() reads only the spaces table.
  Principal user = principal_of({Role{Role::Kind::viewer, "alpha"}});
  user.user = "user:idp.example.com/u1";
  ASSERT_EQ(store_->admin_tokens().decide(user, Action::space_show, "alpha").verdict,
            Verdict::allow);

  break_database("spaces");
  auto a = store_->admin_tokens().decide(user, Action::space_show, "alpha");
  EXPECT_EQ(a.verdict, Verdict::unavailable) << a.message;
  EXPECT_EQ(store_->admin_tokens().authorize(token, Action::space_show, "alpha").verdict,
            Verdict::unavailable);

  mend_database("spaces");
  EXPECT_EQ(store_->admin_tokens().decide(user, Action::space_show, "alpha").verdict,
            Verdict::allow);
  EXPECT_EQ(store_->admin_tokens().authorize(token, Action::space_show, "alpha").verdict,
            Verdict::allow);
}

VITRINE_ON_EVERY_BACKEND(StoreUnavailable);

}  // namespace
}  // namespace vitrine::store::testing
