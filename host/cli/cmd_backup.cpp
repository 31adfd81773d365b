// `vitrine backup --out FILE` and `vitrine restore FILE`: an online backup
// of the data directory (safe beside a running server) and its restore
// into a new directory (docs/admin.md "Backup and restore").
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cli/store_commands.h"
#include "store/backup.h"
#include "store/sqlite/sqlite_backend.h"
#include "store/store.h"
#include "vitrine_version.h"

namespace vitrine::cli {

using namespace store_detail;
namespace backup = store::backup;

namespace {

// Progress on stderr: on a terminal one line per phase, redrawn at most
// once per percent; into a log file a line per 10 percent.
backup::ProgressFn progress_printer() {
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  const int64_t step = tty ? 1 : 10;
  auto last = std::make_shared<int64_t>(-1);
  return [last, tty, step](const backup::Progress& p) {
    const char* what = p.phase == backup::Progress::Phase::database ? "database pages"
                       : p.phase == backup::Progress::Phase::files  ? "files"
                                                                    : "restored files";
    const int64_t bucket = (p.total > 0 ? p.done * 100 / p.total : 100) / step;
    const bool last_one = p.done == p.total;
    if (bucket == *last && !last_one) return;
    *last = last_one ? -1 : bucket;
    std::cerr << (tty ? "\r" : "") << what << ": " << p.done << "/" << p.total
              << (tty && !last_one ? "" : "\n") << std::flush;
  };
}

store::Detail report_detail(const backup::Verified& v) {
  const auto& m = v.manifest;
  return {{"sha256", v.sha256, false},
          {"bytes", std::to_string(v.bytes), true},
          {"entries", std::to_string(m.entries.size()), true},
          {"database_pages", std::to_string(m.database.pages), true},
          {"audit_rows", std::to_string(m.database.audit_rows), true}};
}

}  // namespace

void add_backup_commands(CLI::App& app, int& exit_code) {
  GlobalOptions& g = global_options(app);
  struct Opts {
    std::string out, file;
    bool verify_only = false;
  };
  auto o = std::make_shared<Opts>();

  auto* cmd = app.add_subcommand(
      "backup",
      "Write a consistent backup of the data directory (database, pages, license) to a file "
      "while the server keeps running; the keyring is never included");
  cmd->fallthrough();
  cmd->add_option("--out", o->out, "The backup file to create (must not exist)")->required();
  cmd->callback([&g, o, &exit_code] {
    const std::filesystem::path data_dir = g.data_dir;
    std::error_code ec;
    if (!std::filesystem::exists(data_dir / store::kSqliteFileName, ec)) {
      std::cerr << "error: " << (data_dir / store::kSqliteFileName).string()
                << " does not exist; pass the --data-dir of the installation to back up\n";
      exit_code = 2;
      return;
    }
    auto s = open_store(g, false, exit_code);
    if (!s) return;
    backup::CreateOptions opt;
    opt.data_dir = data_dir;
    opt.out = o->out;
    if (!g.key_file.empty()) opt.exclude.push_back(g.key_file);
    opt.vitrine_version = VITRINE_VERSION;
    opt.progress = progress_printer();
    auto rep = backup::create_backup(s->backend(), opt);
    if (!rep) {
      (void)s->audit().record(store::AuditEvent{
          local_actor(), "", "backup.create", o->out, "error", {{"reason", rep.error().message}}});
      return fail(rep.error(), exit_code);
    }
    for (const auto& skipped : rep->skipped) std::cerr << "skipped " << skipped << "\n";
    auto row = s->audit().record(store::AuditEvent{local_actor(), "", "backup.create", o->out, "ok",
                                                   report_detail(rep->file)});
    if (!row) return fail(row.error(), exit_code);
    const auto& m = rep->file.manifest;
    std::cout << "wrote " << o->out << ": " << rep->file.bytes << " bytes, " << m.entries.size()
              << " files (database " << m.database.pages << " pages, " << m.database.audit_rows
              << " audit rows)\n"
              << "sha256 " << rep->file.sha256 << "\n"
              << "The keyring is not in the backup: keep it apart; a restore needs the same "
                 "keyring to decrypt tokens.\n";
    exit_code = 0;
  });

  auto* restore = app.add_subcommand(
      "restore",
      "Verify a backup file completely, then restore it into --data-dir, which must be new or "
      "empty");
  restore->fallthrough();
  restore->add_option("FILE", o->file, "The backup file")->required();
  restore->add_flag("--verify-only", o->verify_only, "Only check the file; write nothing");
  restore->callback([&g, o, &exit_code] {
    if (o->verify_only) {
      auto v = backup::verify_backup(o->file);
      if (!v) return fail(v.error(), exit_code);
      std::cout << o->file << ": intact, " << v->manifest.entries.size() << " files, created "
                << v->manifest.created_at << " by vitrine " << v->manifest.vitrine_version
                << "\nsha256 " << v->sha256 << "\n";
      exit_code = 0;
      return;
    }
    backup::RestoreOptions opt;
    opt.file = o->file;
    opt.target = g.data_dir;
    opt.who = local_actor();
    opt.progress = progress_printer();
    auto v = backup::restore_backup(opt);
    if (!v) return fail(v.error(), exit_code);
    // With a keyring at hand, prove right away that the restored data
    // opens with it (the store checks its key proofs when it opens).
    if (!g.key_file.empty() || std::getenv(store::crypto::kMasterKeyEnv) != nullptr) {
      int key_exit = 0;
      if (!open_store(g, true, key_exit)) {
        std::cerr << "the files were restored, but the data does not open with this keyring: "
                     "start vitrine with the keyring the backup was taken with\n";
        exit_code = 1;
        return;
      }
      std::cerr << "the restored data opens with this keyring\n";
    }
    std::cout << "restored " << v->manifest.entries.size() << " files into " << g.data_dir
              << " (backup of " << v->manifest.created_at << ", vitrine "
              << v->manifest.vitrine_version << ", " << v->manifest.database.audit_rows
              << " audit rows)\n"
              << "Start vitrine on it with the keyring the backup was taken with.\n";
    exit_code = 0;
  });
}

}  // namespace vitrine::cli
