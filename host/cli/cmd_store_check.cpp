// `vitrine store check`: the full integrity check of the database
// (PRAGMA integrity_check and foreign_key_check), for an admin who was told
// at start that the database is damaged, or who wants to verify a backup.
// Exit 0: ok; 1: problems found (each printed), or no database at all.
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/store_commands.h"
#include "store/postgres/postgres_backend.h"
#include "store/sqlite/sqlite_backend.h"
#include "store/store.h"

namespace vitrine::cli {
namespace {

using namespace store_detail;

// With --store-url: the PostgreSQL store, opened without creating or
// migrating anything (a database without vitrine's schema is a problem).
int check_postgres(const GlobalOptions& g, std::unique_ptr<store::Backend>& out) {
  store::PostgresOptions po;
  po.url = g.store_url;
  po.allow_create = false;
  if (!g.store_password_file.empty()) {
    auto pw = store::read_postgres_password(g.store_password_file);
    if (!pw) {
      std::cout << "problem: " << pw.error().message << "\n";
      return 1;
    }
    po.password = std::move(*pw);
  }
  auto b = store::open_postgres_backend(po);
  if (!b) {
    std::cout << "problem: " << b.error().message << "\n";
    return 1;
  }
  out = std::move(*b);
  return 0;
}

int check(const GlobalOptions& g) {
  const bool postgres = !g.store_url.empty();
  const std::filesystem::path db = std::filesystem::path(g.data_dir) / store::kSqliteFileName;
  const std::string where = postgres ? store::redact_postgres_url(g.store_url) : db.string();
  const std::string restore = postgres ? "restore the database from a backup (pg_dump)"
                                       : "restore vitrine.db from a backup";
  std::unique_ptr<store::Store> s;
  std::unique_ptr<store::Backend> pg;
  if (postgres) {
    if (int rc = check_postgres(g, pg); rc != 0) return rc;
  } else {
    struct stat st {};
    if (::stat(db.c_str(), &st) != 0 || st.st_size == 0) {
      // Opening would create an empty database; a check must not.
      std::cout << "problem: no database at " << db.string()
                << (::stat(db.c_str(), &st) == 0 ? " (0 bytes)" : "")
                << "; check --data-dir, or restore vitrine.db from a backup\n";
      return 1;
    }
    store::StoreOptions opts;
    opts.data_dir = g.data_dir;
    opts.quick_check = false;  // the full check below reports every problem
    auto opened = store::Store::open(std::move(opts));
    if (!opened) {
      std::cout << "problem: " << opened.error().message << "\n";
      return 1;
    }
    s = std::move(*opened);
  }
  store::Backend& backend = postgres ? *pg : s->backend();
  int problems = 0;
  auto integrity = backend.integrity_check();
  if (!integrity) {
    std::cout << "problem: " << integrity.error().message << "\n";
    ++problems;
  } else if (*integrity != "ok") {
    size_t pos = 0;
    while (pos < integrity->size()) {
      size_t nl = integrity->find('\n', pos);
      std::cout << "problem: " << integrity->substr(pos, nl - pos) << "\n";
      ++problems;
      pos = nl == std::string::npos ? integrity->size() : nl + 1;
    }
  }
  auto fk = backend.foreign_key_check();
  if (!fk) {
    std::cout << "problem: " << fk.error().message << "\n";
    ++problems;
  } else {
    for (const auto& row : *fk) std::cout << "problem: " << row << "\n";
    problems += static_cast<int>(fk->size());
  }
  if (problems == 0) {
    std::cout << "ok: " << where << " passed integrity_check and foreign_key_check\n";
    return 0;
  }
  std::cout << problems << " problem(s) in " << where << "; " << restore
            << " taken before the damage\n";
  return 1;
}

}  // namespace

void add_store_check_command(CLI::App& app, int& exit_code) {
  GlobalOptions& g = global_options(app);
  CLI::App* group = &store_group(app);
  auto* cmd = group->add_subcommand(
      "check", "Full integrity check of the database (integrity_check, foreign_key_check)");
  cmd->fallthrough();
  cmd->callback([&g, &exit_code] { exit_code = check(g); });
}

}  // namespace vitrine::cli
