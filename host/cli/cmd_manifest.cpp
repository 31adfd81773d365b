// `vitrine manifest check`: the plugin author's and the CI pipeline's view of
// the manifest checker. Diagnostics go to stderr in the compiler format that
// editors and CI annotate; the per-file verdict goes to stdout.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "log/log.h"
#include "manifest/manifest.h"

namespace vitrine::cli {
namespace {

using manifest::CheckResult;
using manifest::Diagnostic;
using manifest::Severity;

std::string json_string(std::string_view s) { return "\"" + log::json_escape(s) + "\""; }

std::string plural(std::size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

std::string summary(const std::string& file, const CheckResult& r) {
  std::size_t errors = 0, warnings = 0;
  for (const Diagnostic& d : r.diagnostics) (d.severity == Severity::error ? errors : warnings)++;
  if (r.ok()) {
    std::string s = file + ": ok (plugin " + r.manifest->id + " " + r.manifest->version + ", " +
                    plural(r.manifest->macros.size(), "macro");
    if (warnings > 0) s += ", " + plural(warnings, "warning");
    return s + ")";
  }
  return file + ": " + plural(errors, "error") + ", " + plural(warnings, "warning");
}

std::string to_json(const std::string& file, const CheckResult& r) {
  std::string out = "{\"file\":" + json_string(file) + ",\"ok\":" + (r.ok() ? "true" : "false");
  out += ",\"plugin\":";
  if (r.ok()) {
    out += "{\"id\":" + json_string(r.manifest->id) +
           ",\"version\":" + json_string(r.manifest->version) +
           ",\"macros\":" + std::to_string(r.manifest->macros.size()) + "}";
  } else {
    out += "null";
  }
  out += ",\"diagnostics\":[";
  bool first = true;
  for (const Diagnostic& d : r.diagnostics) {
    if (!first) out += ",";
    first = false;
    out += "{\"line\":" + std::to_string(d.pos.line) +
           ",\"column\":" + std::to_string(d.pos.column) +
           ",\"severity\":" + (d.severity == Severity::error ? "\"error\"" : "\"warning\"") +
           ",\"message\":" + json_string(d.message) + ",\"rule\":" + json_string(d.rule) + "}";
  }
  return out + "]}";
}

bool is_io_failure(const CheckResult& r) {
  for (const Diagnostic& d : r.diagnostics) {
    if (d.rule == "file-unreadable") return true;
  }
  return false;
}

}  // namespace

void add_manifest_commands(CLI::App& app, int& exit_code) {
  CLI::App* group = app.add_subcommand("manifest", "Work with plugin manifests (manifest.yml)");
  group->require_subcommand(1);
  CLI::App* check = group->add_subcommand(
      "check", "Validate manifests; exit 0 if all are valid, 1 if any is invalid, 2 on I/O errors");

  struct Options {
    std::string format = "text";
    std::vector<std::string> files;
  };
  auto options = std::make_shared<Options>();
  check->add_option("--format", options->format, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  check->add_option("files", options->files, "Manifest files to check")->required();

  check->callback([options, &exit_code] {
    bool any_invalid = false, any_io = false;
    std::string json = "[";
    for (std::size_t i = 0; i < options->files.size(); ++i) {
      const std::string& file = options->files[i];
      CheckResult r = manifest::check_file(file);
      any_invalid = any_invalid || !r.ok();
      any_io = any_io || is_io_failure(r);
      if (options->format == "json") {
        json += (i ? "," : "") + to_json(file, r);
      } else {
        for (const Diagnostic& d : r.diagnostics) std::cerr << manifest::format(d) << '\n';
        std::cerr.flush();
        std::cout << summary(file, r) << std::endl;
      }
    }
    if (options->format == "json") std::cout << json << "]\n";
    exit_code = any_io ? 2 : any_invalid ? 1 : 0;
  });
}

}  // namespace vitrine::cli
