// Store tests that run on every storage backend. A fixture derives from
// BackendTest instead of StoreTest, uses TEST_P, and instantiates itself
// with VITRINE_ON_EVERY_BACKEND(Fixture): each test then runs once on SQLite
// (".../sqlite") and once on a fresh PostgreSQL database (".../postgres",
// store/pg_server.h), skipped with the reason only when PostgreSQL is not
// installed.
#pragma once

#include <Poco/Data/Session.h>
#include <Poco/Exception.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <memory>
#include <string>

#include "pg_server.h"
#include "test_support.h"

namespace vitrine::store::testing {

class BackendTest : public StoreTest, public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") {
      std::string why;
      PgServer* server = PgServer::get(&why);
      if (server == nullptr) GTEST_SKIP() << why;
      url_ = server->create_database();
    }
    StoreTest::SetUp();
  }
  void configure_backend(StoreOptions& options) override {
    if (GetParam() != "postgres") return;
    options.backend = "postgres";
    options.url = url_;
  }
  bool on_postgres() const { return GetParam() == "postgres"; }

  // Runs `sql` on a connection of its own, behind the store's back, as
  // someone with direct access to the database would. False when the
  // database refused it.
  bool raw_sql(const std::string& sql) {
    if (!on_postgres()) {
      try {
        Poco::Data::Session raw("SQLite", (dir_ / "vitrine.db").string());
        raw << sql, Poco::Data::Keywords::now;
        return true;
      } catch (const Poco::Exception&) {
        return false;
      }
    }
    PGconn* c = PQconnectdb(url_.c_str());
    bool ok = PQstatus(c) == CONNECTION_OK;
    if (ok) {
      PGresult* r = PQexec(c, sql.c_str());
      ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
      PQclear(r);
    }
    PQfinish(c);
    return ok;
  }

  // Another host's view of the same store: its own Store (and database
  // connection) on this test's data directory and database, with the same
  // keyring and the test's clock.
  std::unique_ptr<Store> open_another() {
    StoreOptions o;
    o.data_dir = dir_;
    o.keyring = crypto::Keyring(*store_->keyring());
    o.now = [this] { return now_ms_; };
    configure_backend(o);
    auto s = Store::open(std::move(o));
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return s.ok() ? std::move(*s) : nullptr;
  }

  std::string url_;  // the test's own database (postgres only)
};

inline std::string backend_name(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

}  // namespace vitrine::store::testing

#define VITRINE_ON_EVERY_BACKEND(Fixture)                                                     \
  INSTANTIATE_TEST_SUITE_P(Backends, Fixture,                                                 \
                           ::testing::Values(std::string("sqlite"), std::string("postgres")), \
                           ::vitrine::store::testing::backend_name)
