// `vitrine egress check`: asks "would the host let this plugin GET this
// URL?" without touching the network. Runs the same phase-1 decision as the
// http/1 capability (docs/security/egress.md): URL parse, host match, the
// space's approved origin (with --origin), scope path, method and headers.
// Address classification needs DNS and is not part of this check.
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "egress/policy.h"
#include "manifest/manifest.h"

namespace vitrine::cli {
namespace {

struct EgressCheckOptions {
  std::string manifest;
  std::string origin;
  std::string method = "GET";
  std::vector<std::string> headers;
  std::string url;
};

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int run_check(const EgressCheckOptions& o) {
  const manifest::CheckResult checked = manifest::check_file(o.manifest);
  for (const auto& d : checked.diagnostics) std::cerr << manifest::format(d) << "\n";
  if (!checked.ok()) {
    std::cerr << "vitrine egress check: " << o.manifest
              << " is not a valid manifest; fix the errors above and retry\n";
    return 2;
  }

  std::vector<egress::Header> headers;
  for (const auto& h : o.headers) {
    const std::size_t colon = h.find(':');
    if (colon == std::string::npos) {
      std::cerr << "vitrine egress check: --header '" << h
                << "' is not in the form 'Name: value'\n";
      return 2;
    }
    headers.push_back(
        {h.substr(0, colon), std::string(trim_ows(std::string_view(h).substr(colon + 1)))});
  }

  egress::Request req;
  req.method = o.method;
  req.url = o.url;
  req.headers = &headers;

  egress::Decision d;
  if (o.origin.empty()) {
    d = egress::decide_without_space(*checked.manifest, req);
  } else {
    const egress::UrlResult origin = egress::parse_origin(o.origin);
    if (!origin.ok) {
      std::cerr << "vitrine egress check: --origin '" << o.origin
                << "' is not a valid origin: " << origin.reason << " [" << origin.rule << "]\n";
      return 2;
    }
    egress::SpaceOrigins space;
    space.grafana_origin = o.origin;
    d = egress::decide(*checked.manifest, space, req);
  }

  if (d.allowed) {
    std::cout << "allow\n";
    std::cerr << "entry: " << d.matched_entry << "; scope: " << d.matched_scope
              << "; token attached: " << (d.attach_token ? "yes" : "no") << "\n";
    if (o.origin.empty()) {
      std::cerr << "note: no --origin given, so the space's approved-origin check was skipped\n";
    }
    return 0;
  }
  std::cout << "deny " << d.rule << ": " << d.reason << "\n";
  return 3;
}

}  // namespace

void add_egress_commands(CLI::App& app, int& exit_code) {
  CLI::App* egress = app.add_subcommand("egress", "Inspect the egress policy");
  egress->require_subcommand(1);

  auto opts = std::make_shared<EgressCheckOptions>();
  CLI::App* check = egress->add_subcommand(
      "check",
      "Would the host let this plugin GET this URL? Runs the URL, host, origin, scope, method and "
      "header rules without any network access (no DNS, so address classes are not checked). "
      "Prints 'allow' or 'deny <rule-id>: <reason>'. Exit 0 allow, 3 deny, 2 usage error.");
  check->add_option("--manifest", opts->manifest, "The plugin's manifest.yml")
      ->required()
      ->check(CLI::ExistingFile);
  check->add_option("--origin", opts->origin,
                    "The space's Grafana origin (https://HOST[:PORT]). With it, the URL must be "
                    "that origin (the token origin). Without it, the space's approved-origin "
                    "check is SKIPPED and only the manifest's own entries apply.");
  check->add_option("--method", opts->method, "HTTP method (only GET is ever allowed)");
  check->add_option("--header", opts->headers, "A plugin header 'Name: value'; repeatable");
  check->add_option("URL", opts->url, "The absolute https URL the plugin would fetch")->required();
  check->callback([opts, &exit_code] { exit_code = run_check(*opts); });
}

}  // namespace vitrine::cli
