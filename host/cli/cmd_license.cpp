// `vitrine license verify|install|show|dev`: license files for gated
// features. Output never includes key material.
#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "cli/store_commands.h"
#include "license/license_files.h"
#include "reconcile/license_ops.h"
#include "store/audit.h"
#include "store/sqlite/sqlite_backend.h"
#include "store/store.h"

namespace vitrine::cli {
namespace {

int64_t now_s() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

void print_license(const license::License& l) {
  std::string features;
  for (const auto& f : l.features) features += (features.empty() ? "" : ", ") + f;
  std::cout << "license    " << l.license_id << (l.dev ? " (development)" : "") << "\n"
            << "licensee   " << l.licensee << "\n"
            << "product    " << l.product << "\n"
            << "features   " << (features.empty() ? "-" : features) << "\n"
            << "max spaces " << (l.max_spaces == 0 ? "unlimited" : std::to_string(l.max_spaces))
            << "\n"
            << "valid      " << license::format_rfc3339(l.not_before) << " to "
            << license::format_rfc3339(l.expires) << "\n"
            << "signed by  " << l.key_id << "\n";
}

int report(const license::LoadResult& r) {
  if (r.ok) {
    print_license(r.license);
    return 0;
  }
  std::cerr << "error: " << r.reason << " [" << r.rule << "]\n";
  return r.rule == "license-unreadable" ? 2 : 1;
}

// The store of this data directory, when it has a database (else null:
// there is no server to tell).
std::unique_ptr<store::Store> open_if_present(const std::string& data_dir) {
  if (!std::filesystem::exists(std::filesystem::path(data_dir) / store::kSqliteFileName)) {
    return nullptr;
  }
  store::StoreOptions so;
  so.data_dir = data_dir;
  auto s = store::Store::open(std::move(so));
  return s ? std::move(*s) : nullptr;
}

// A server on this data directory applies a new license within a second:
// the audited row bumps the change feed its reconciler watches. Without a
// database there is no server to tell.
void note_license_change(const std::string& data_dir, const char* action,
                         const std::string& subject) {
  if (!std::filesystem::exists(std::filesystem::path(data_dir) / store::kSqliteFileName)) return;
  store::StoreOptions so;
  so.data_dir = data_dir;
  auto s = store::Store::open(std::move(so));
  if (!s) return;
  (void)store::run_audited(
      (*s)->context(), store::AuditEvent{store_detail::local_actor(), "", action, subject, "", {}},
      [] { return store::ok_status(); });
}

}  // namespace

void add_license_commands(CLI::App& app, int& exit_code) {
  auto* group = app.add_subcommand("license", "Verify, install and show license files");
  group->require_subcommand(1);
  struct Options {
    std::string file;
    std::string data_dir = "vitrine-data";
    bool dev = false;
    std::vector<std::string> features;
    std::string licensee = "local developer";
    int days = 30;
  };
  auto o = std::make_shared<Options>();
  auto common = [o](CLI::App* cmd) {
    cmd->add_option("--data-dir", o->data_dir, "Data directory (license, clock mark, dev key)");
    cmd->add_flag("--dev", o->dev, "Dev mode: also trust this data dir's development key");
  };

  auto* verify = group->add_subcommand("verify", "Check a license file; exit 0 valid, 1 invalid");
  verify->add_option("file", o->file, "License file")->required();
  common(verify);
  verify->callback([o, &exit_code] {
    exit_code = report(license::verify_file(o->file, o->data_dir, o->dev, now_s()));
  });

  auto* install = group->add_subcommand("install", "Verify a license file and install it");
  install->add_option("file", o->file, "License file")->required();
  common(install);
  install->callback([o, &exit_code] {
    // The same operation as PUT /api/v1/license and the console: verified,
    // copied, audited (which tells a running server within a second).
    auto s = open_if_present(o->data_dir);
    exit_code = report(reconcile::install_license(s.get(), store_detail::local_actor(), o->file,
                                                  o->data_dir, o->dev, now_s()));
    if (exit_code != 0) return;
    std::cout << "installed into " << o->data_dir << "/license.json\n";
  });

  auto* show = group->add_subcommand("show", "Show the installed license");
  common(show);
  show->callback([o, &exit_code] {
    const auto r = license::load_installed(o->data_dir, o->dev, now_s());
    exit_code = report(r);
    if (r.ok && r.license.expires != 0) {
      std::cout << "days left  " << reconcile::days_left(r.license.expires, now_s()) << "\n";
    }
  });

  auto* dev = group->add_subcommand(
      "dev",
      "Create a development license for testing gated features locally; it is accepted "
      "only by a host whose config sets dev_mode: true");
  dev->add_option("--data-dir", o->data_dir, "Data directory");
  dev->add_option("--features", o->features, "Feature names to grant")->delimiter(',')->required();
  dev->add_option("--licensee", o->licensee, "Name shown on the license");
  dev->add_option("--days", o->days, "Validity in days")->check(CLI::Range(1, 90));
  dev->callback([o, &exit_code] {
    auto err = license::write_dev_license(o->data_dir, o->features, o->licensee, o->days, now_s());
    if (!err.empty()) {
      std::cerr << "error: " << err << "\n";
      exit_code = 2;
      return;
    }
    std::cout << "wrote " << o->data_dir
              << "/dev-license.json (accepted only by a host with dev_mode: true)\n";
    note_license_change(o->data_dir, "license.dev", "dev-license.json");
    exit_code = report(license::load_installed(o->data_dir, true, now_s()));
  });
}

}  // namespace vitrine::cli
