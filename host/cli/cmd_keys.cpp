// `vitrine keys init|rotate|list`: the keyring that encrypts records at rest.
#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <thread>

#include "cli/store_commands.h"
#include "store/rotation.h"
#include "store/store.h"

namespace vitrine::cli {

using namespace store_detail;

void add_keys_commands(CLI::App& app, int& exit_code) {
  GlobalOptions& g = global_options(app);
  auto* group = app.add_subcommand("keys", "Create and rotate the master keys (keyring)");
  group->require_subcommand(1);
  group->fallthrough();

  auto* init = group->add_subcommand(
      "init", "Create a new keyring file (mode 0600) with one random key; needs --key-file");
  init->fallthrough();
  init->callback([&g, &exit_code] {
    if (g.key_file.empty()) {
      std::cerr << "error: 'keys init' writes a file: pass --key-file FILE\n";
      exit_code = 2;
      return;
    }
    store::crypto::Keyring ring;
    if (auto st = ring.add_generated(); !st) return fail(st.error(), exit_code);
    if (auto st = ring.create_file(g.key_file); !st) return fail(st.error(), exit_code);
    auto s = open_store(g, false, exit_code);
    if (s) {
      (void)s->audit().record(
          store::AuditEvent{local_actor(), "", "keys.init", ring.newest().id, "ok", {}});
    }
    std::cout << "created keyring " << g.key_file << " (mode 0600) with key " << ring.newest().id
              << "\n"
              << "Back it up apart from the data directory: without it the stored tokens and "
                 "cache cannot be decrypted.\n";
    exit_code = 0;
  });

  auto* rotate = group->add_subcommand(
      "rotate", "Add a new key to the keyring file and re-wrap every record with it");
  rotate->fallthrough();
  rotate->callback([&g, &exit_code] {
    if (g.key_file.empty()) {
      std::cerr << "error: 'keys rotate' rewrites the keyring file: pass --key-file FILE "
                   "(a key from VITRINE_MASTER_KEY cannot be rotated in place)\n";
      exit_code = 2;
      return;
    }
    auto ring = store::crypto::Keyring::load_file(g.key_file);
    if (!ring) return fail(ring.error(), exit_code);
    if (auto st = ring->add_generated(); !st) return fail(st.error(), exit_code);
    // The new keyring is written first: if re-wrapping stops halfway, every
    // record is readable with the file as it is now.
    if (auto st = ring->replace_file(g.key_file); !st) return fail(st.error(), exit_code);
    std::cerr << "added key " << ring->newest().id << " to " << g.key_file << "\n";
    auto s = open_store(g, true, exit_code);
    if (!s) return;
    // Running hosts re-read the keyring file when this generation moves
    // (reconcile/), so they seal with the new key within a second; records
    // re-wrapped before that still open (they re-read on an unknown id).
    if (auto st = s->backend().bump_change_feed(true, store::system_now_ms()); !st) {
      return fail(st.error(), exit_code);
    }
    auto rep = store::rewrap_all(s->context(), local_actor(), [](int64_t done, int64_t total) {
      if (done == total || done % 100 == 0) {
        std::cerr << "\rre-wrapping records: " << done << "/" << total << std::flush;
      }
    });
    std::cerr << "\n";
    if (!rep) return fail(rep.error(), exit_code);
    std::cout << "re-wrapped " << rep->rewrapped << " of " << rep->total << " records with key "
              << ring->newest().id << " (" << rep->already_current << " already current, "
              << rep->failed << " unreadable, " << rep->skipped << " changed meanwhile)\n";
    if (rep->failed > 0) {
      std::cerr << "warning: " << rep->failed
                << " records could not be decrypted and were left as they are; see 'vitrine "
                   "audit' and set those secrets again\n";
    }
    exit_code = rep->failed == 0 ? 0 : 1;
  });

  auto* retire = group->add_subcommand(
      "retire",
      "Remove an older key from the keyring file once no record is sealed with it (re-wraps "
      "what still is)");
  retire->fallthrough();
  static std::string retire_id;
  retire->add_option("KEY_ID", retire_id, "The key id to remove (see 'vitrine keys list')")
      ->required();
  retire->callback([&g, &exit_code] {
    if (g.key_file.empty()) {
      std::cerr << "error: 'keys retire' rewrites the keyring file: pass --key-file FILE\n";
      exit_code = 2;
      return;
    }
    auto ring = store::crypto::Keyring::load_file(g.key_file);
    if (!ring) return fail(ring.error(), exit_code);
    store::crypto::Keyring smaller = *ring;
    if (auto st = smaller.remove(retire_id); !st) return fail(st.error(), exit_code);
    auto s = open_store(g, true, exit_code);
    if (!s) return;
    // A running host adopts a rotation within one second (reconcile/); until
    // then it may still seal with the older key, so wait that long before
    // the last re-wrap.
    std::cerr << "waiting 2 s for running hosts to seal with key " << ring->newest().id << "\n";
    std::this_thread::sleep_for(std::chrono::seconds(2));
    auto rep = store::rewrap_all(s->context(), local_actor(), {});
    if (!rep) return fail(rep.error(), exit_code);
    auto used = s->backend().record_key_ids();
    if (!used) return fail(used.error(), exit_code);
    if (auto it = used->find(retire_id); it != used->end() && it->second > 0) {
      std::cerr << "error: " << it->second << " records are still sealed with key " << retire_id
                << " (they could not be re-wrapped); the key stays. 'vitrine audit' shows the "
                   "keys.rotate row with the unreadable count [keyring-key-in-use]\n";
      exit_code = 1;
      return;
    }
    if (auto st = smaller.replace_file(g.key_file); !st) return fail(st.error(), exit_code);
    (void)s->backend().delete_key_check(retire_id);
    if (auto st = s->backend().bump_change_feed(true, store::system_now_ms()); !st) {
      return fail(st.error(), exit_code);
    }
    (void)s->audit().record(
        store::AuditEvent{local_actor(), "", "keys.retire", retire_id, "ok", {}});
    std::cout << "retired key " << retire_id << ": no record is sealed with it any more and "
              << g.key_file << " no longer holds it\n";
    exit_code = 0;
  });

  auto* list = group->add_subcommand("list", "List key ids (never key material)");
  list->fallthrough();
  list->callback([&g, &exit_code] {
    std::optional<std::filesystem::path> kf;
    if (!g.key_file.empty()) kf = g.key_file;
    auto ring = store::crypto::Keyring::load(kf);
    if (!ring) return fail(ring.error(), exit_code);
    for (const auto& id : ring->ids()) {
      std::cout << id << (id == ring->newest().id ? "  (encrypts new records)" : "") << "\n";
    }
    exit_code = 0;
  });
}

}  // namespace vitrine::cli
