// `vitrine store migrate --to postgres://...`: copies the SQLite store of
// --data-dir into a new, empty PostgreSQL database (store/migrate.h), with
// progress on stderr and a per-table row count and digest on stdout. The
// source is only read; a running `vitrine serve` on it, a missing source or
// a target holding any data is refused. Records stay sealed: the same
// keyring opens them on the target, so the command needs no key.
// Exit 0: copied and verified; 1: refused; 2: a database failed.
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "cli/store_commands.h"
#include "store/data_dir_lock.h"
#include "store/migrate.h"
#include "store/postgres/postgres_backend.h"
#include "store/sqlite/sqlite_backend.h"

namespace vitrine::cli {
namespace {

using namespace store_detail;

struct MigrateArgs {
  std::string to;
  std::string password_file;
};

int migrate(const GlobalOptions& g, const MigrateArgs& a) {
  const std::filesystem::path dir = g.data_dir;
  const std::filesystem::path db = dir / store::kSqliteFileName;
  struct stat st {};
  if (::stat(db.c_str(), &st) != 0 || st.st_size == 0) {
    std::cerr << "error: no SQLite store at " << db.string()
              << "; pass the --data-dir of the installation to copy\n";
    return 1;
  }
  if (auto pid = store::serve_lock_holder(dir)) {
    std::cerr << "error: vitrine serve (pid " << *pid << ") is running on " << dir.string()
              << "; stop it first, so no write made during the copy is left behind\n";
    return 1;
  }
  if (a.to.rfind("postgres://", 0) != 0 && a.to.rfind("postgresql://", 0) != 0) {
    std::cerr << "error: --to '" << store::redact_postgres_url(a.to)
              << "' is not a PostgreSQL URL; write postgres://USER@HOST:PORT/DATABASE\n";
    return 1;
  }
  store::PostgresOptions po;
  po.url = a.to;
  const std::string password_file =
      a.password_file.empty() ? g.store_password_file : a.password_file;
  if (!password_file.empty()) {
    auto pw = store::read_postgres_password(password_file);
    if (!pw) {
      std::cerr << "error: " << pw.error().message << "\n";
      return 1;
    }
    po.password = std::move(*pw);
  }
  auto source = store::open_sqlite_backend(db);
  if (!source) {
    std::cerr << "error: " << source.error().message << "\n";
    return 2;
  }
  std::cerr << "store migrate: from " << db.string() << " to " << store::redact_postgres_url(a.to)
            << "\n";
  auto target = store::open_postgres_backend(po);
  if (!target) {
    std::cerr << "error: " << target.error().message << "\n";
    return 2;
  }
  auto done = store::migrate_store(**source, **target, [](const std::string& line) {
    std::cerr << "store migrate: " << line << "\n";
  });
  if (!done) {
    std::cerr << "error: " << done.error().message << "\n";
    return done.error().code == store::Errc::conflict ? 1 : 2;
  }
  for (const auto& t : *done) {
    std::printf("%-20s %8lld  sha256 %s\n", t.table.c_str(), static_cast<long long>(t.rows),
                t.sha256.c_str());
  }
  std::cout << "copied and verified; now set store.backend: postgres and store.url in "
               "vitrine.yml (keep data_dir: it holds the keyring's INSTANCE marker and the "
               "plugin artifacts) and start vitrine serve\n";
  return 0;
}

}  // namespace

void add_store_migrate_command(CLI::App& app, int& exit_code) {
  GlobalOptions& g = global_options(app);
  CLI::App* group = &store_group(app);
  static MigrateArgs args;
  auto* cmd = group->add_subcommand(
      "migrate", "Copy the SQLite store of --data-dir into a new, empty PostgreSQL database");
  cmd->add_option("--to", args.to, "postgres://USER@HOST:PORT/DATABASE[?sslmode=...]")->required();
  cmd->add_option("--password-file", args.password_file,
                  "File (mode 0600) with the database password");
  cmd->fallthrough();
  cmd->callback([&g, &exit_code] { exit_code = migrate(g, args); });
}

}  // namespace vitrine::cli
