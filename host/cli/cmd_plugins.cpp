// `vitrine plugins list`: what a platform admin runs to see which plugins
// would load, with what permissions, and why any were refused. The group's
// other subcommands live beside it (`plugins render`: cmd_plugin_render.cpp).
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.h"
#include "cli/store_commands.h"
#include "plugins/capability_tables.h"
#include "plugins/host_table.h"
#include "plugins/loader.h"

namespace vitrine::cli {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "-" : out;
}

Poco::JSON::Array::Ptr to_json(const std::vector<std::string>& items) {
  Poco::JSON::Array::Ptr a = new Poco::JSON::Array;
  for (const auto& s : items) a->add(s);
  return a;
}

void print_text(const plugins::LoadReport& report) {
  for (const auto& p : report.loaded) {
    const auto& m = p.manifest;
    std::vector<std::string> macros, egress;
    for (const auto& macro : m.macros) macros.push_back(macro.key);
    for (const auto& e : m.egress) {
      egress.push_back(e.text + (e.customer_managed ? " (customer-managed)" : ""));
    }
    std::cout << "loaded  " << m.id << " " << m.version << "  abi " << m.abi.major << "."
              << m.abi.minor << "  " << p.library.string() << "\n"
              << "        macros: " << join(macros) << "\n"
              << "        scopes: " << join(m.scopes) << "\n"
              << "        egress: " << join(egress) << "\n";
  }
  for (const auto& d : report.diagnostics) std::cerr << d << "\n";
  for (const auto& r : report.refused) std::cout << "refused " << plugins::format(r) << "\n";
  std::cout << report.loaded.size() << " loaded, " << report.refused.size() << " refused\n";
}

void print_json(const plugins::LoadReport& report) {
  Poco::JSON::Object root(Poco::JSON_PRESERVE_KEY_ORDER);
  Poco::JSON::Array::Ptr loaded = new Poco::JSON::Array;
  for (const auto& p : report.loaded) {
    const auto& m = p.manifest;
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    std::vector<std::string> macros, egress;
    for (const auto& macro : m.macros) macros.push_back(macro.key);
    for (const auto& e : m.egress) egress.push_back(e.text);
    o->set("id", m.id);
    o->set("version", m.version);
    o->set("abi", std::to_string(m.abi.major) + "." + std::to_string(m.abi.minor));
    o->set("library", p.library.string());
    o->set("macros", to_json(macros));
    o->set("scopes", to_json(m.scopes));
    o->set("egress", to_json(egress));
    loaded->add(o);
  }
  Poco::JSON::Array::Ptr refused = new Poco::JSON::Array;
  for (const auto& r : report.refused) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("plugin", r.plugin);
    o->set("path", r.path.string());
    o->set("rule", r.rule);
    o->set("message", r.message);
    refused->add(o);
  }
  root.set("loaded", loaded);
  root.set("refused", refused);
  root.set("diagnostics", to_json(report.diagnostics));
  root.stringify(std::cout, 2);
  std::cout << "\n";
}

}  // namespace

void add_plugins_commands(CLI::App& app, int& exit_code) {
  auto* group = app.add_subcommand("plugins", "Inspect and try renderer plugins");
  group->require_subcommand(1);
  add_plugin_admin_commands(*group, exit_code);
  add_plugin_lifecycle_commands(*group, exit_code);
  add_plugin_usage_command(*group, exit_code);
  add_bundle_commands(*group, exit_code);
  add_plugin_validate_command(*group, exit_code);

  struct ListOptions {
    std::string dir;
    std::string format = "text";
  };
  auto list_opts = std::make_shared<ListOptions>();
  auto* list = group->add_subcommand(
      "list",
      "Load every plugin in a directory and show its macros, scopes and egress; exit 1 if "
      "any is refused");
  list->add_option("--plugins-dir", list_opts->dir, "Directory of manifests and libraries")
      ->required();
  list->add_option("--format", list_opts->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  list->callback([list_opts, &exit_code] {
    plugins::HostTable host;
    plugins::offer_standard_capabilities(host);
    auto report = plugins::load_plugins_dir(list_opts->dir, host.abi());
    if (list_opts->format == "json") {
      print_json(report);
    } else {
      print_text(report);
    }
    bool dir_error = !report.refused.empty() && report.refused[0].rule == "plugins-dir-unreadable";
    exit_code = dir_error ? 2 : (report.refused.empty() ? 0 : 1);
  });

  add_plugin_render_command(*group, exit_code);
}

}  // namespace vitrine::cli
