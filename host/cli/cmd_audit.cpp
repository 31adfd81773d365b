// `vitrine audit`: the audit log as text, JSON, or a Markdown security-review
// report (per plugin: declared egress and scopes, approvals, what it fetched).
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/store_commands.h"
#include "store/report.h"
#include "store/store.h"

namespace vitrine::cli {

using namespace store_detail;

void add_audit_commands(CLI::App& app, int& exit_code) {
  GlobalOptions& g = global_options(app);
  struct Opts {
    std::string space, since, generation, format = "text";
    int64_t limit = 100000;
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
  audit->add_option("--format", o->format, "text, json or md")
      ->check(CLI::IsMember({"text", "json", "md"}));
  audit->add_option("--limit", o->limit, "At most this many rows (default 100000)");
  audit->callback([&g, o, &exit_code] {
    auto s = open_store(g, false, exit_code);
    if (!s) return;
    store::AuditQuery q;
    if (!o->space.empty()) {
      if (auto sp = s->backend().get_space(o->space); !sp) {
        // Deleted spaces keep their rows; still answer, but say so.
        std::cerr << "note: space '" << o->space << "' does not exist (any more)\n";
      } else if (o->generation.empty()) {
        std::cerr << "note: rows of every space that had the key '" << o->space
                  << "'; the current one has id " << sp->id << " (--space-id ID for one)\n";
      }
      q.space = o->space;
    }
    if (!o->generation.empty()) q.space_id = o->generation;
    if (!o->since.empty()) {
      auto since = store::parse_since(o->since, store::system_now_ms());
      if (!since) return fail(since.error(), exit_code);
      q.since_ms = *since;
    }
    q.limit = o->limit;
    auto rows = s->audit().query(q);
    if (!rows) return fail(rows.error(), exit_code);
    if (o->format == "json") {
      std::cout << store::format_audit_json(*rows);
    } else if (o->format == "md") {
      auto approvals = s->approvals().list(std::nullopt);
      if (!approvals) return fail(approvals.error(), exit_code);
      std::cout << store::format_review_md(*rows, *approvals, q.space, store::system_now_ms());
    } else {
      std::cout << store::format_audit_text(*rows);
    }
    exit_code = 0;
  });
}

}  // namespace vitrine::cli
