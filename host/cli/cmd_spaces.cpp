// `vitrine spaces ...`: spaces, their Grafana origin and their write-only
// token. The token is read from a file or stdin, never from argv (argv is
// visible to every user through /proc and lands in shell history).
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <iterator>

#include "cli/store_commands.h"
#include "reconcile/space_ops.h"
#include "store/json_log.h"
#include "store/report.h"
#include "store/store.h"

namespace vitrine::cli {

using namespace store_detail;

namespace {

constexpr std::size_t kMaxTokenInput = 4096;

store::Result<store::crypto::SecretString> read_token(const std::string& file, bool from_stdin) {
  if (file.empty() == !from_stdin) {
    return store::make_error(store::Errc::invalid,
                             "pass exactly one of --from-file FILE or --stdin (the token is "
                             "never accepted as an argument)");
  }
  std::string text;
  text.reserve(kMaxTokenInput + 1);
  if (from_stdin) {
    char c;
    while (text.size() <= kMaxTokenInput && std::cin.get(c)) text += c;
  } else {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      return store::make_error(store::Errc::io, "cannot read token file " + file +
                                                    "; check the path and its permissions");
    }
    char c;
    while (text.size() <= kMaxTokenInput && in.get(c)) text += c;
  }
  store::crypto::SecretString raw(std::move(text));
  if (raw.size() > kMaxTokenInput) {
    return store::make_error(store::Errc::invalid,
                             "the token input is larger than 4 KiB; it "
                             "should hold only the token");
  }
  std::string_view v = raw.view();
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r' || v.back() == ' ')) {
    v.remove_suffix(1);
  }
  while (!v.empty() && (v.front() == ' ' || v.front() == '\n')) v.remove_prefix(1);
  return store::crypto::SecretString(std::string(v));
}

void print_space_text(const store::SpaceView& v) {
  const auto& s = v.space;
  std::cout << "space:    " << s.key << " (" << s.display_name << ")\n"
            << "id:       " << s.id << "\n"
            << "created:  " << store::format_time(s.created_at_ms) << " by " << s.created_by << "\n"
            << "grafana:  "
            << (s.grafana_origin.empty() ? std::string("not connected") : s.grafana_origin)
            << (s.grafana_allow_private ? "  (private network approved)" : "") << "\n";
  if (!s.grafana_origin.empty()) {
    std::cout << "          connected " << store::format_time(s.connected_at_ms) << " by "
              << s.connected_by << "\n";
  }
  for (const auto& c : v.customer_origins) {
    std::cout << "approved: " << c.origin << " for plugin " << c.plugin_id << " entry " << c.entry
              << (c.allow_private ? " (private network)" : "") << ", "
              << store::format_time(c.approved_at_ms) << " by " << c.approved_by << "\n";
  }
  if (v.token.configured) {
    std::cout << "token:    configured " << store::format_time(v.token.set_at_ms) << " by "
              << v.token.set_by << " (encrypted with key " << v.token.key_id << ")\n";
  } else {
    std::cout << "token:    not configured\n";
  }
  std::cout << "plugins:  ";
  if (v.enabled_plugins.empty()) std::cout << "none enabled";
  for (std::size_t i = 0; i < v.enabled_plugins.size(); ++i) {
    std::cout << (i ? ", " : "") << v.enabled_plugins[i].plugin_id;
  }
  std::cout << "\n";
}

void print_space_json(const store::SpaceView& v) {
  using store::json_quote;
  const auto& s = v.space;
  std::cout << "{\"key\":" << json_quote(s.key) << ",\"id\":" << json_quote(s.id)
            << ",\"name\":" << json_quote(s.display_name)
            << ",\"created_at\":" << json_quote(store::format_time(s.created_at_ms))
            << ",\"created_by\":" << json_quote(s.created_by)
            << ",\"grafana_origin\":" << json_quote(s.grafana_origin)
            << ",\"allow_private\":" << (s.grafana_allow_private ? "true" : "false")
            << ",\"token\":{\"configured\":" << (v.token.configured ? "true" : "false");
  if (v.token.configured) {
    std::cout << ",\"set_at\":" << json_quote(store::format_time(v.token.set_at_ms))
              << ",\"set_by\":" << json_quote(v.token.set_by);
  }
  std::cout << "},\"enabled_plugins\":[";
  for (std::size_t i = 0; i < v.enabled_plugins.size(); ++i) {
    std::cout << (i ? "," : "") << json_quote(v.enabled_plugins[i].plugin_id);
  }
  std::cout << "]}\n";
}

}  // namespace

void add_spaces_commands(CLI::App& app, int& exit_code) {
  GlobalOptions& g = global_options(app);
  auto* group = app.add_subcommand("spaces", "Spaces, their Grafana origin and token");
  group->require_subcommand(1);
  group->fallthrough();

  struct Opts {
    std::string key, name, origin, plugin, entry, file, format = "text";
    std::vector<std::string> extras;
    bool customer_managed = false, allow_private = false, from_stdin = false, yes = false,
         purge = false;
  };
  auto o = std::make_shared<Opts>();

  auto* create = group->add_subcommand("create", "Create a space");
  create->fallthrough();
  create->add_option("key", o->key, "Space key: 2-32 of a-z, 0-9, '-'")->required();
  create->add_option("--name", o->name, "Display name");
  create->callback([&g, o, &exit_code] {
    auto s = open_store(g, false, exit_code);
    if (!s) return;
    auto r = s->spaces().create(local_actor(), o->key, o->name);
    if (!r) return fail(r.error(), exit_code);
    std::cout << "created space " << r->key << "\n";
    exit_code = 0;
  });

  auto* list = group->add_subcommand("list", "List spaces");
  list->fallthrough();
  list->add_option("--format", o->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  list->callback([&g, o, &exit_code] {
    auto s = open_store(g, false, exit_code);
    if (!s) return;
    auto rows = s->spaces().list();
    if (!rows) return fail(rows.error(), exit_code);
    if (o->format == "json") std::cout << "[";
    for (std::size_t i = 0; i < rows->size(); ++i) {
      const auto& r = (*rows)[i];
      if (o->format == "json") {
        std::cout << (i ? "," : "") << "{\"key\":" << store::json_quote(r.key)
                  << ",\"id\":" << store::json_quote(r.id)
                  << ",\"name\":" << store::json_quote(r.display_name)
                  << ",\"grafana_origin\":" << store::json_quote(r.grafana_origin) << "}";
      } else {
        std::cout << r.key << "  " << (r.grafana_origin.empty() ? "-" : r.grafana_origin) << "  "
                  << r.display_name << "\n";
      }
    }
    if (o->format == "json") std::cout << "]\n";
    exit_code = 0;
  });

  auto* show = group->add_subcommand("show", "Show a space: origin, approvals, token status");
  show->fallthrough();
  show->add_option("key", o->key, "Space key")->required();
  show->add_option("--format", o->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  show->callback([&g, o, &exit_code] {
    auto s = open_store(g, false, exit_code);
    if (!s) return;
    auto v = s->spaces().show(o->key);
    if (!v) return fail(v.error(), exit_code);
    if (o->format == "json") {
      print_space_json(*v);
    } else {
      print_space_text(*v);
    }
    exit_code = 0;
  });

  auto* del = group->add_subcommand(
      "delete",
      "Delete a space: token, cache, assets, enablement and its admin tokens; pages to the trash "
      "(audit stays)");
  del->fallthrough();
  del->add_option("key", o->key, "Space key")->required();
  del->add_flag("--yes", o->yes, "Confirm the deletion");
  del->add_flag("--purge", o->purge,
                "Remove the space's pages for good instead of moving them to <data-dir>/trash");
  del->callback([&g, o, &exit_code] {
    if (!o->yes) {
      std::cerr << "error: deleting space '" << o->key
                << "' removes its token, cache and assets, revokes its admin tokens and moves "
                   "its pages to the trash; repeat with --yes to confirm\n";
      exit_code = 1;
      return;
    }
    auto s = open_store(g, false, exit_code);
    if (!s) return;
    store::RemoveOptions opts;
    opts.files = store::SpaceFiles::under(g.data_dir);
    opts.purge = o->purge;
    auto r = s->spaces().remove(local_actor(), o->key, opts);
    if (!r) return fail(r.error(), exit_code);
    std::cout << "deleted space " << o->key << " (id " << r->id << "); revoked " << r->tokens.size()
              << " admin token(s)\n";
    if (r->purged) {
      std::cout << "pages removed for good\n";
    } else if (!r->trashed.empty()) {
      std::cout << "pages moved to " << r->trashed.string()
                << " (to restore: create the space again and move that directory to "
                << (opts.files->pages_dir / o->key).string() << ")\n";
    }
    exit_code = 0;
    if (!r->warning.empty()) {
      std::cerr << "error: " << r->warning << "\n";
      exit_code = 2;
    }
  });

  auto* connect = group->add_subcommand(
      "connect", "Connect a space to its Grafana origin (platform admin approval)");
  connect->fallthrough();
  connect->add_option("key", o->key, "Space key")->required();
  connect->add_option("--origin", o->origin, "https://HOST[:PORT] of the Grafana stack")
      ->required();
  connect->add_flag("--customer-managed", o->customer_managed,
                    "Approve an origin outside the plugins' patterns (self-hosted Grafana)");
  connect->add_option("--plugin", o->plugin, "With --customer-managed: the plugin id");
  connect->add_option("--entry", o->entry,
                      "With --customer-managed: the plugin's customer-managed egress entry");
  connect->add_flag("--allow-private", o->allow_private,
                    "Also approve private network addresses for this origin");
  connect->callback([&g, o, &exit_code] {
    auto s = open_store(g, false, exit_code);
    if (!s) return;
    store::ConnectRequest req{o->origin, o->customer_managed, o->plugin, o->entry,
                              o->allow_private};
    auto r = reconcile::connect_space(*s, local_actor(), o->key, req);
    if (!r) return fail(r.error(), exit_code);
    std::cout << "space " << r->space.key << " connected to " << r->space.grafana_origin
              << (r->space.grafana_allow_private ? " (private network approved)" : "") << "\n";
    if (!r->removed_token_origin.empty()) {
      std::cout << "the previous token was bound to " << r->removed_token_origin
                << " and has been removed; set the token for the new origin with 'vitrine "
                   "spaces token set "
                << o->key << " --stdin'\n";
    }
    exit_code = 0;
  });

  auto* token = group->add_subcommand("token", "Set, rotate or revoke a space's Grafana token");
  token->require_subcommand(1);
  token->fallthrough();
  struct TokenCmd {
    const char* name;
    const char* help;
    bool rotate;
  };
  static constexpr TokenCmd kSetters[] = {
      {"set", "Store the space's Grafana service account token (from a file or stdin)", false},
      {"rotate", "Replace the space's existing token (from a file or stdin)", true},
  };
  for (const auto& cmd : kSetters) {
    auto* sub = token->add_subcommand(cmd.name, cmd.help);
    sub->fallthrough();
    sub->add_option("key", o->key, "Space key")->required();
    sub->add_option("--from-file", o->file, "Read the token from this file");
    sub->add_flag("--stdin", o->from_stdin, "Read the token from standard input");
    // Extra arguments are collected (hidden) instead of refused by the parser,
    // so that a token pasted on the command line is not echoed back in a
    // usage error.
    sub->add_option("extra", o->extras)->group("");
    const bool rotate = cmd.rotate;
    sub->callback([&g, o, &exit_code, rotate] {
      if (!o->extras.empty()) {
        std::cerr << "error: unexpected argument(s); the token is never accepted on the command "
                     "line. Use --stdin or --from-file FILE. If you typed a token there, treat "
                     "it as exposed (shell history, process list) and rotate it in Grafana\n";
        exit_code = 2;
        return;
      }
      auto tok = read_token(o->file, o->from_stdin);
      if (!tok) return fail(tok.error(), exit_code);
      auto s = open_store(g, true, exit_code);
      if (!s) return;
      auto spaces = s->spaces();
      auto st = rotate ? spaces.rotate_token(local_actor(), o->key, *tok)
                       : spaces.set_token(local_actor(), o->key, *tok);
      if (!st) return fail(st.error(), exit_code);
      std::cout << "token " << (rotate ? "rotated" : "set") << " for space " << o->key
                << " (stored encrypted; it will not be shown again)\n";
      exit_code = 0;
    });
  }
  auto* revoke = token->add_subcommand("revoke", "Delete the space's token");
  revoke->fallthrough();
  revoke->add_option("key", o->key, "Space key")->required();
  revoke->callback([&g, o, &exit_code] {
    auto s = open_store(g, false, exit_code);
    if (!s) return;
    if (auto st = s->spaces().revoke_token(local_actor(), o->key); !st) {
      return fail(st.error(), exit_code);
    }
    std::cout << "token revoked for space " << o->key
              << "; also revoke it in Grafana (Administration > Service accounts)\n";
    exit_code = 0;
  });
}

}  // namespace vitrine::cli
