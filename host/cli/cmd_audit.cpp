// `vitrine audit`: the audit log as text, JSON, or a Markdown security-review
// report (per plugin: declared egress and scopes, approvals, what it fetched);
// `audit verify` walks the tamper-evident chain, `audit checkpoint` and
// `audit archive` write signed checkpoints (the archive also prunes).
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/store_commands.h"
#include "reconcile/audit_filter.h"
#include "store/audit_archive.h"
#include "store/audit_chain.h"
#include "store/report.h"
#include "store/store.h"

namespace vitrine::cli {

using namespace store_detail;

namespace {

// Long runs say how far they are, on stderr (stdout stays the result).
constexpr int64_t kProgressEvery = 100000;

void add_audit_chain_commands(CLI::App& audit, GlobalOptions& g, int& exit_code) {
  struct ChainOpts {
    std::vector<std::string> checkpoints;
    std::string before, out;
  };
  auto o = std::make_shared<ChainOpts>();

  auto* verify = audit.add_subcommand(
      "verify",
      "Check the audit chain: report the first row edited, deleted or reordered, and a "
      "log cut short against signed checkpoints");
  verify->add_option("--checkpoint", o->checkpoints,
                     "A file from 'audit checkpoint' or 'audit archive' (repeatable); needs the "
                     "keyring that signed it");
  verify->callback([&g, o, &exit_code] {
    auto s = open_store(g, !o->checkpoints.empty(), exit_code);
    if (!s) return;
    std::vector<store::AuditCheckpoint> cps;
    for (const auto& file : o->checkpoints) {
      std::ifstream in(file, std::ios::binary);
      if (!in) return fail(store::make_error(store::Errc::io, "cannot read " + file), exit_code);
      std::stringstream text;
      text << in.rdbuf();
      auto ring = s->keyring();
      auto cp = store::read_checkpoint(text.str(), ring ? *ring : store::crypto::Keyring{});
      if (!cp) {
        store::Error e = cp.error();
        e.message = file + ": " + e.message;
        return fail(e, exit_code);
      }
      cps.push_back(*cp);
    }
    int64_t shown = 0;
    auto rep = store::verify_audit_chain(s->backend(), cps, [&shown](int64_t n) {
      if (n - shown >= kProgressEvery) {
        shown = n;
        std::cerr << "verified " << n << " rows\n";
      }
    });
    if (!rep) return fail(rep.error(), exit_code);
    for (const auto& note : rep->notes) std::cerr << "note: " << note << "\n";
    if (!rep->ok) {
      std::cerr << "error: [audit-chain-broken] " << rep->problem << "\n";
      std::cout << "audit chain: BROKEN at row " << rep->bad_id << " (" << rep->rows_checked
                << " rows read)\n";
      exit_code = 1;
      return;
    }
    std::cout << "audit chain: ok (" << rep->rows_checked << " rows";
    if (rep->rows_checked > 0) std::cout << ", ids " << rep->first_id << ".." << rep->last_id;
    if (rep->unchained_rows > 0) {
      std::cout << ", " << rep->unchained_rows << " written before the chain existed";
    }
    std::cout << ", " << cps.size() << " checkpoint(s) checked)\n";
    exit_code = 0;
  });

  auto* checkpoint = audit.add_subcommand(
      "checkpoint", "Print a signed checkpoint of the newest audit row (keep it off this host)");
  checkpoint->add_option("--out", o->out, "Write it to this new file instead of stdout");
  checkpoint->callback([&g, o, &exit_code] {
    auto s = open_store(g, true, exit_code);
    if (!s) return;
    auto ring = s->keyring();
    auto line = store::checkpoint_audit(s->backend(), *ring, store::system_now_ms());
    if (!line) return fail(line.error(), exit_code);
    if (o->out.empty()) {
      std::cout << *line << "\n";
    } else {
      if (std::filesystem::exists(o->out)) {
        return fail(
            store::make_error(store::Errc::conflict, "[audit-archive-exists] " + o->out +
                                                         " already exists; choose a new --out"),
            exit_code);
      }
      std::ofstream out(o->out, std::ios::binary);
      out << *line << "\n";
      out.flush();
      if (!out) {
        return fail(store::make_error(store::Errc::io, "writing " + o->out + " failed"), exit_code);
      }
    }
    exit_code = 0;
  });

  auto* archive = audit.add_subcommand(
      "archive",
      "Export the rows before a time to a JSON-lines file ending with a signed "
      "checkpoint, then prune them");
  archive->add_option("--before", o->before, "2024-05-01, 2024-05-01T10:42:00Z, or 90d (ago)")
      ->required();
  archive->add_option("--out", o->out, "The archive file to create (never overwritten)")
      ->required();
  archive->callback([&g, o, &exit_code] {
    auto before = store::parse_since(o->before, store::system_now_ms());
    if (!before) return fail(before.error(), exit_code);
    auto s = open_store(g, true, exit_code);
    if (!s) return;
    auto ring = s->keyring();
    int64_t shown = 0;
    auto res = store::archive_audit(s->backend(), *ring, *before, o->out, store::system_now_ms(),
                                    [&shown](int64_t rows, int64_t last_id) {
                                      if (rows - shown >= kProgressEvery) {
                                        shown = rows;
                                        std::cerr << "exported " << rows << " rows (through id "
                                                  << last_id << ")\n";
                                      }
                                    });
    if (!res && res.error().code == store::Errc::not_found) {
      // A daily cron job on a young installation: nothing is old enough
      // yet, which is not a failure.
      std::cout << "nothing to archive: no audit rows before " << o->before
                << " (or all were archived already); no file written\n";
      exit_code = 0;
      return;
    }
    if (!res) return fail(res.error(), exit_code);
    std::cout << "archived " << res->rows << " rows (through id " << res->last_id << ") to "
              << o->out << " and pruned them; keep the archive: its last line is the signed "
              << "checkpoint 'vitrine audit verify --checkpoint " << o->out << "' accepts\n";
    exit_code = 0;
  });
}

}  // namespace

void add_audit_commands(CLI::App& app, int& exit_code) {
  GlobalOptions& g = global_options(app);
  struct Opts {
    std::string space, since, until, actor, action, before, generation, format = "text";
    std::string limit;
  };
  auto o = std::make_shared<Opts>();
  auto* audit = app.add_subcommand("audit", "Show the audit log or a security-review report");
  audit->fallthrough();
  audit->add_option("--space", o->space,
                    "Only this space key's rows, of every space that had the key (deleted and "
                    "created again); each row names its space id");
  audit->add_option("--space-id", o->generation,
                    "Only the rows of the space with this id (one generation of a key)");
  audit->add_option("--since", o->since, "2024-05-01, 2024-05-01T10:42:00Z, or 30m / 24h / 7d");
  audit->add_option("--until", o->until, "Rows before this time only (the same forms)");
  audit->add_option("--actor", o->actor, "Only this actor's rows (exact, e.g. ui:tok_... )");
  audit->add_option("--action", o->action, "Only this action or prefix (space. or plugin.approve)");
  audit->add_option("--before", o->before, "Only rows older than this row id (the next page)");
  audit
      ->add_option("--format", o->format,
                   "text, json, md-table (the rows as a Markdown table) or md (the "
                   "security-review report)")
      ->check(CLI::IsMember({"text", "json", "md", "md-table"}));
  audit->add_option("--limit", o->limit, "At most this many rows, the newest (default 100000)");
  add_audit_chain_commands(*audit, g, exit_code);
  audit->callback([&g, o, &exit_code, audit] {
    // `audit verify|checkpoint|archive` ran instead of the listing.
    if (!audit->get_subcommands().empty()) return;
    auto s = open_store(g, false, exit_code);
    if (!s) return;
    // The same filters as the API and the console (reconcile/audit_filter.h):
    // newest first, so --limit N keeps the N newest rows.
    reconcile::AuditFilter filter{o->space, o->actor, o->action, o->since,
                                  o->until, o->limit, o->before};
    auto parsed = reconcile::audit_query(filter, reconcile::kAuditMaxLimit, store::system_now_ms());
    if (!parsed) return fail(parsed.error(), exit_code);
    store::AuditQuery q = *parsed;
    if (!o->space.empty()) {
      if (auto sp = s->backend().get_space(o->space); !sp) {
        // Deleted spaces keep their rows; still answer, but say so.
        std::cerr << "note: space '" << o->space << "' does not exist (any more)\n";
      } else if (o->generation.empty()) {
        std::cerr << "note: rows of every space that had the key '" << o->space
                  << "'; the current one has id " << sp->id << " (--space-id ID for one)\n";
      }
    }
    if (!o->generation.empty()) q.space_id = o->generation;
    auto rows = s->audit().query(q);
    if (!rows) return fail(rows.error(), exit_code);
    if (o->format == "json") {
      std::cout << store::format_audit_json(*rows);
    } else if (o->format == "md") {
      auto approvals = s->approvals().list(std::nullopt);
      if (!approvals) return fail(approvals.error(), exit_code);
      std::cout << store::format_review_md(*rows, *approvals, q.space, store::system_now_ms());
    } else if (o->format == "md-table") {
      std::cout << reconcile::format_audit_md_table(*rows, filter, store::system_now_ms());
    } else {
      std::cout << store::format_audit_text(*rows);
    }
    exit_code = 0;
  });
}

}  // namespace vitrine::cli
