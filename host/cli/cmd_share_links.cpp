// `vitrine embed origins` and `vitrine share-links create|list|revoke`
// (docs/embedding.md): the origins allowed to frame a space's embeds and
// share links, and the space's share links, from the data directory. The
// store audits each change with the local actor (cli:<user>).
#include <CLI/CLI.hpp>
#include <charconv>
#include <filesystem>
#include <iostream>

#include "cli/store_commands.h"
#include "store/embed_settings.h"
#include "store/report.h"
#include "store/share_links.h"
#include "store/store.h"

namespace vitrine::cli {

using namespace store_detail;

namespace {

// "7d", "12h", "30m", "3600s" as seconds; nullopt when malformed.
std::optional<int64_t> duration_s(const std::string& text) {
  if (text.size() < 2 || text.size() > 12) return std::nullopt;
  int64_t n = 0;
  const char* end = text.data() + text.size() - 1;
  auto [p, ec] = std::from_chars(text.data(), end, n);
  if (ec != std::errc() || p != end || n <= 0) return std::nullopt;
  static constexpr std::pair<char, int64_t> kUnits[] = {
      {'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
  for (auto [unit, s] : kUnits) {
    if (text.back() == unit && n <= (int64_t{1} << 40) / s) return n * s;
  }
  return std::nullopt;
}

bool is_page_name(const std::string& s) {
  return !s.empty() && s.size() <= 64 &&
         s.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos;
}

std::string state_of(const store::ShareLinkRow& r) {
  if (r.revoked_at_ms != 0) return "revoked";
  return store::system_now_ms() >= r.expires_at_ms ? "expired" : "active";
}

}  // namespace

void add_embed_commands(CLI::App& app, int& exit_code) {
  GlobalOptions& g = global_options(app);
  struct Opts {
    std::string space, page, ttl = "7d", id, base_url;
    int64_t macro = 0;
    std::vector<std::string> origins;
    bool clear = false;
  };
  auto o = std::make_shared<Opts>();

  auto* embed = app.add_subcommand("embed", "Embed settings of a space (docs/embedding.md)");
  embed->require_subcommand(1);
  embed->fallthrough();
  auto* origins = embed->add_subcommand(
      "origins",
      "Show, or replace with the given list, the origins allowed to frame the space's "
      "embeds and share links");
  origins->fallthrough();
  origins->add_option("space", o->space, "Space key")->required();
  origins->add_option("origins", o->origins,
                      "https://HOST[:PORT], https://*.SUFFIX or loopback http");
  origins->add_flag("--clear", o->clear, "Allow no origin (frame-ancestors 'none')");
  origins->callback([&g, o, &exit_code] {
    auto s = open_store(g, false, exit_code);
    if (!s) return;
    store::EmbedSettings settings(s->context());
    if (!o->origins.empty() || o->clear) {
      if (o->clear && !o->origins.empty()) {
        std::cerr << "error: give origins or --clear, not both\n";
        exit_code = 2;
        return;
      }
      if (auto st = settings.set_origins(local_actor(), o->space, o->origins); !st) {
        return fail(st.error(), exit_code);
      }
    }
    auto list = settings.origins(o->space);
    if (!list) return fail(list.error(), exit_code);
    if (list->empty()) std::cout << "no origin may frame the embeds of " << o->space << "\n";
    for (const auto& origin : *list) std::cout << origin << "\n";
  });

  auto* group = app.add_subcommand("share-links", "Share links of a space (docs/embedding.md)");
  group->require_subcommand(1);
  group->fallthrough();
  auto* create = group->add_subcommand("create", "Create a share link to a page or one macro");
  create->fallthrough();
  create->add_option("--space", o->space, "Space key")->required();
  create->add_option("--page", o->page, "Page name")->required();
  create->add_option("--macro", o->macro, "The page's N-th macro block (1-based); 0: the page");
  create->add_option("--ttl", o->ttl, "Lifetime: 7d (default), 12h, 30m, 3600s; at most 365d");
  create->add_option("--base-url", o->base_url, "Print the link on this host (https://vitrine...)");
  create->callback([&g, o, &exit_code] {
    auto ttl = duration_s(o->ttl);
    if (!ttl) {
      std::cerr << "error: --ttl '" << o->ttl << "' is not a duration; use 7d, 12h, 30m or 3600s\n";
      exit_code = 2;
      return;
    }
    if (!is_page_name(o->page) ||
        !std::filesystem::exists(std::filesystem::path(g.data_dir) / "pages" / o->space /
                                 (o->page + ".md"))) {
      std::cerr << "error: the space '" << o->space << "' has no page '" << o->page << "' (pages/"
                << o->space << "/" << o->page << ".md in the data directory) [embed-page-gone]\n";
      exit_code = 1;
      return;
    }
    auto s = open_store(g, true, exit_code);
    if (!s) return;
    auto created =
        store::ShareLinks(s->context()).create(local_actor(), o->space, o->page, o->macro, *ttl);
    if (!created) return fail(created.error(), exit_code);
    std::string base = o->base_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    std::cout << "created share link " << created->row.id << " (expires "
              << store::format_time(created->row.expires_at_ms) << "):\n"
              << base << "/s/" << created->token << "\n";
  });

  auto* list = group->add_subcommand("list", "List a space's share links");
  list->fallthrough();
  list->add_option("--space", o->space, "Space key")->required();
  list->callback([&g, o, &exit_code] {
    auto s = open_store(g, true, exit_code);
    if (!s) return;
    auto links = store::ShareLinks(s->context()).list(o->space);
    if (!links) return fail(links.error(), exit_code);
    for (const auto& l : *links) {
      std::cout << l.row.id << "  " << state_of(l.row) << "  " << l.row.page
                << (l.row.macro > 0 ? " macro " + std::to_string(l.row.macro) : std::string())
                << "  expires " << store::format_time(l.row.expires_at_ms) << "  by "
                << l.row.created_by << "\n";
    }
  });

  auto* revoke = group->add_subcommand("revoke", "Revoke a share link");
  revoke->fallthrough();
  revoke->add_option("--space", o->space, "Space key")->required();
  revoke->add_option("id", o->id, "The link's id")->required();
  revoke->callback([&g, o, &exit_code] {
    auto s = open_store(g, false, exit_code);
    if (!s) return;
    if (auto st = store::ShareLinks(s->context()).revoke(local_actor(), o->space, o->id); !st) {
      return fail(st.error(), exit_code);
    }
    std::cout << "share link revoked\n";
  });
}

}  // namespace vitrine::cli
