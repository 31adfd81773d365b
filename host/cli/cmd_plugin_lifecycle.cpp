// `vitrine plugins install|approve|rollback|status|trust`: the plugin
// lifecycle from the command line. Every command changes only desired state
// in the store (store/plugin_store.h, store/approvals.h); running hosts
// apply it within a second (reconcile/), so none needs a restart.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <fstream>
#include <iostream>

#include "bundle/bundle.h"
#include "cli/store_commands.h"
#include "plugins/loader.h"
#include "reconcile/plugin_install.h"
#include "reconcile/plugin_ops.h"
#include "store/crypto/encoding.h"
#include "store/report.h"
#include "store/store.h"

namespace vitrine::cli {

using namespace store_detail;

namespace {

constexpr const char* kLive = "running hosts apply it within one second";

std::string signer_text(const store::ArtifactRow& r) {
  return r.signer.empty() ? "UNSIGNED" : "signed by " + r.signer;
}

}  // namespace

void add_plugin_lifecycle_commands(CLI::App& plugins_group, int& exit_code) {
  GlobalOptions& g = global_options(plugins_group);
  struct Opts {
    std::string path, id, version, library_sha256, plugins_dir, name, key, reason;
    bool allow_unsigned = false, show_diff = false, dry_run = false;
  };
  auto o = std::make_shared<Opts>();

  // ---------------------------------------------------------------- install
  auto* install = plugins_group.add_subcommand(
      "install",
      "Install a signed bundle (.vitrine-plugin) or a plugin directory into the plugin store; "
      "it runs once a platform admin approves it");
  install->fallthrough();
  install->add_option("path", o->path, "A .vitrine-plugin bundle, or a directory / manifest")
      ->required();
  install->add_flag("--allow-unsigned", o->allow_unsigned,
                    "Accept a plugin no trusted publisher signed (marked unsigned everywhere)");
  install->callback([&g, o, &exit_code] {
    auto s = open_store(g, false, exit_code);
    if (!s) return;
    // The same operation as POST /api/v1/plugins and the console.
    auto installed = reconcile::install_plugin(*s, local_actor(), o->path, o->allow_unsigned);
    if (!installed) return fail(installed.error(), exit_code);
    const auto& r = installed->row;
    std::cout << (installed->added ? "installed " : "already installed ") << r.plugin_id << " "
              << r.version << " (library sha256 " << r.library_sha256.substr(0, 16) << "..., "
              << signer_text(r) << ")\n"
              << "It runs once approved: vitrine plugins approve " << r.plugin_id << " --version "
              << r.version << " --show-diff\n";
    exit_code = 0;
  });

  // ---------------------------------------------------------------- approve
  auto* approve = plugins_group.add_subcommand(
      "approve",
      "Approve an installed plugin version: its exact files and permission set (platform admin)");
  approve->fallthrough();
  approve->add_option("id", o->id, "Plugin id")->required();
  approve->add_option("--version", o->version, "The version (default: the newest installed)");
  approve->add_option("--library-sha256", o->library_sha256,
                      "The artifact, when one version was installed with different bytes");
  approve->add_option("--plugins-dir", o->plugins_dir,
                      "First install this plugin from a directory of manifests (unsigned, your "
                      "own directory)");
  approve->add_flag("--show-diff", o->show_diff,
                    "Print the permission diff against the version that runs now");
  approve->add_flag("--dry-run", o->dry_run, "Only print the diff; approve nothing");
  approve->callback([&g, o, &exit_code] {
    auto s = open_store(g, false, exit_code);
    if (!s) return;
    if (!o->plugins_dir.empty()) {
      auto found = plugins::discover_plugins(o->plugins_dir);
      bool any = false;
      for (const auto& m : found.manifests) {
        if (m.id != o->id) continue;
        any = true;
        auto req = store::PluginStore::read_directory_entry(m.path);
        if (!req) return fail(req.error(), exit_code);
        req->source = "plugins_dir " + m.path.string();
        auto installed = s->plugin_store().install(local_actor(), *req);
        if (!installed) return fail(installed.error(), exit_code);
      }
      if (!any) {
        std::cerr << "error: no valid manifest for plugin '" << o->id << "' in " << o->plugins_dir
                  << "; check it with 'vitrine manifest check'\n";
        exit_code = 1;
        return;
      }
    }
    auto outcome = reconcile::approve_artifact(*s, local_actor(),
                                               {o->id, o->version, o->library_sha256}, o->dry_run);
    if (!outcome) return fail(outcome.error(), exit_code);
    const auto& pick = outcome->artifact;
    if (o->show_diff || o->dry_run) {
      std::cout << "permission diff for " << o->id << " " << pick.row.version << " ("
                << signer_text(pick.row) << ", library sha256 "
                << pick.row.library_sha256.substr(0, 16) << "...)"
                << (outcome->running_version.empty()
                        ? std::string(" (nothing runs now)")
                        : " against running " + outcome->running_version)
                << ":\n";
      if (outcome->diff.empty()) std::cout << "  (no change)\n";
      for (const auto& line : outcome->diff) std::cout << line << "\n";
      // What the running version actually used, so a diff that adds a
      // permission can be weighed against the ones never exercised.
      for (const auto& line : running_usage_summary(*s, o->id)) std::cout << line << "\n";
    }
    if (outcome->already_approved) {
      std::cout << o->id << " " << pick.row.version
                << " is already approved (these exact files and permissions)\n";
    } else if (outcome->approval) {
      std::cout << "approved " << o->id << " " << pick.row.version << " (library sha256 "
                << pick.row.library_sha256.substr(0, 16) << "..., " << signer_text(pick.row)
                << "); " << kLive << "\n";
    }
    exit_code = 0;
  });

  // --------------------------------------------------------------- rollback
  auto* rollback = plugins_group.add_subcommand(
      "rollback", "Run an earlier approved version again, without re-approval (platform admin)");
  rollback->fallthrough();
  rollback->add_option("id", o->id, "Plugin id")->required();
  rollback->add_option("--to", o->version, "The approved version to run")->required();
  rollback->callback([&g, o, &exit_code] {
    auto s = open_store(g, false, exit_code);
    if (!s) return;
    if (auto st = s->plugin_store().pin(local_actor(), o->id, o->version); !st) {
      return fail(st.error(), exit_code);
    }
    std::cout << "rolled " << o->id << " back to " << o->version << "; " << kLive
              << ". Approving a newer version moves it forward again.\n";
    exit_code = 0;
  });

  // --------------------------------------------------------------- withdraw
  auto* withdraw = plugins_group.add_subcommand(
      "withdraw",
      "Withdraw a plugin's approval: no version of it runs anywhere until it is approved again "
      "(platform admin)");
  withdraw->fallthrough();
  withdraw->add_option("id", o->id, "Plugin id")->required();
  withdraw->add_option("--reason", o->reason, "Why (kept in the audit)")->required();
  withdraw->callback([&g, o, &exit_code] {
    auto s = open_store(g, false, exit_code);
    if (!s) return;
    auto n = s->approvals().withdraw(local_actor(), o->id, o->reason);
    if (!n) return fail(n.error(), exit_code);
    std::cout << "withdrew " << *n << " approval" << (*n == 1 ? "" : "s") << " of " << o->id
              << "; " << kLive << ": its macros show an error box. 'vitrine plugins approve "
              << o->id << "' lets it run again.\n";
    exit_code = 0;
  });

  // ----------------------------------------------------------------- status
  auto* status = plugins_group.add_subcommand(
      "status", "Every installed plugin version: running, standby, awaiting approval or refused");
  status->fallthrough();
  status->callback([&g, &exit_code] {
    auto s = open_store(g, false, exit_code);
    if (!s) return;
    auto input = reconcile::read_plan_input(*s);
    if (!input) return fail(input.error(), exit_code);
    const auto plan = reconcile::plan_plugins(*input);
    for (const auto& [id, list] : plan.plugins) {
      bool first_candidate = true;
      for (const auto& a : list) {
        std::string state = a.state;
        if (state == "candidate") {
          state = first_candidate ? "runs" : "standby";
          first_candidate = false;
        }
        std::cout << id << "  " << a.row.version << "  " << state
                  << (a.pinned ? " (pinned by rollback)" : "") << "  " << signer_text(a.row)
                  << "  library " << a.row.library_sha256.substr(0, 16) << "\n";
        if (!a.detail.empty()) std::cout << "    " << a.detail << "\n";
        for (const auto& d : a.diff) std::cout << "    " << d << "\n";
      }
    }
    exit_code = 0;
  });

  // ------------------------------------------------------------------ trust
  auto* trust = plugins_group.add_subcommand("trust", "Publisher keys that sign plugin bundles");
  trust->fallthrough();
  trust->require_subcommand(1);
  auto* add = trust->add_subcommand("add", "Trust a publisher key (its .pub file or base64)");
  add->fallthrough();
  add->add_option("key", o->key, "PUBKEY: a .pub file or the base64 key")->required();
  add->add_option("--name", o->name, "A name for the publisher")->required();
  add->callback([&g, o, &exit_code] {
    auto s = open_store(g, false, exit_code);
    if (!s) return;
    std::string text = o->key;
    if (std::filesystem::is_regular_file(o->key)) {
      std::ifstream in(o->key);
      std::getline(in, text);
    }
    std::string raw;
    if (auto err = bundle::parse_public_key(text, raw); !err.empty()) {
      std::cerr << "error: " << err << "\n";
      exit_code = 1;
      return;
    }
    if (auto st = s->plugin_store().trust(local_actor(), o->name, bundle::base64(raw)); !st) {
      return fail(st.error(), exit_code);
    }
    std::cout << "trusted publisher " << o->name << " (key " << bundle::key_id(raw) << ")\n";
    exit_code = 0;
  });
  auto* list = trust->add_subcommand("list", "List trusted publisher keys");
  list->fallthrough();
  list->callback([&g, &exit_code] {
    auto s = open_store(g, false, exit_code);
    if (!s) return;
    auto rows = s->plugin_store().publishers();
    if (!rows) return fail(rows.error(), exit_code);
    for (const auto& r : *rows) {
      std::cout << r.name << "  " << r.public_key << "  added " << store::format_time(r.added_at_ms)
                << " by " << r.added_by << "\n";
    }
    exit_code = 0;
  });
  auto* remove = trust->add_subcommand("remove", "Stop trusting a publisher key");
  remove->fallthrough();
  remove->add_option("name", o->name, "The publisher name")->required();
  remove->callback([&g, o, &exit_code] {
    auto s = open_store(g, false, exit_code);
    if (!s) return;
    if (auto st = s->plugin_store().distrust(local_actor(), o->name); !st) {
      return fail(st.error(), exit_code);
    }
    std::cout << "removed publisher " << o->name
              << "; installed artifacts it signed stay installed\n";
    exit_code = 0;
  });
}

}  // namespace vitrine::cli
