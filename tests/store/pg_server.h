// A real PostgreSQL 15 for tests: one server per test process, started on
// first use in a temporary directory (initdb, then `postgres` itself as a
// child process), listening on 127.0.0.1 on a free port with its unix
// socket inside that directory. Each test gets a fresh empty database.
//
// initdb and postgres refuse to run as root. When the tests run as root (CI)
// the server runs as the `postgres` user the Debian package postgresql-15
// creates (falling back to `nobody`), and the temporary directory is owned
// by that user. The server gets SIGQUIT when the test process dies, however
// it dies (PR_SET_PDEATHSIG), and is stopped and its directory removed at
// normal exit (a global test environment).
//
// Binaries: $VITRINE_PG_BINDIR, /usr/lib/postgresql/15/bin, or
// `pg_config --bindir`. When none has initdb and postgres, tests that need
// the server skip, saying so (scripts/setup.sh installs postgresql-15).
#pragma once

#include <string>

namespace vitrine::store::testing {

class PgServer {
 public:
  // A role that must log in with a password (scram-sha-256), for the
  // store.password_file tests; every other role is trusted on loopback.
  static constexpr const char* kPasswordRole = "vitrine_pw";
  static constexpr const char* kPassword = "pw-for-tests-only";

  // The process's server, started on first call; nullptr when PostgreSQL is
  // absent or did not start, with the reason in `why`.
  static PgServer* get(std::string* why);

  // A new empty database; its URL (postgres://vitrine@127.0.0.1:PORT/NAME).
  std::string create_database();
  std::string url(const std::string& database, const std::string& role = "vitrine") const;
  int port() const { return port_; }
  // The server's files (tables, indexes, write-ahead log), for at-rest checks.
  std::string data_directory() const { return dir_ + "/data"; }

  // Fast shutdown and start again on the same port and data (fault tests).
  bool stop_server();
  bool start_server(std::string* why);
  void shutdown();  // stops the server and removes its directory

 private:
  PgServer() = default;
  bool init(std::string* why);
  std::string bindir_;
  std::string dir_;
  int port_ = 0;
  int pid_ = 0;
  int databases_ = 0;
};

}  // namespace vitrine::store::testing
