// `vitrine plugins validate PATH|BUNDLE`: the conformance run authors use
// before they publish and admins use before they approve
// (docs/plugins.md "Validate a plugin"). Exit 0 all checks passed (warnings
// allowed), 1 a check failed, 2 usage or I/O error.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "validate/plugin_source.h"
#include "validate/validator.h"

namespace vitrine::cli {

void add_plugin_validate_command(CLI::App& plugins_group, int& exit_code) {
  struct Options {
    std::string path;
    std::string junit;
    std::string simulator;
    std::string worker;
    std::vector<std::string> trust_keys;
    bool allow_unsigned = false;
    bool quiet = false;
    int64_t deadline_ms = 2000;
    int jobs = 4;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = plugins_group.add_subcommand(
      "validate",
      "Conformance run: render every macro of a plugin in a worker against the Grafana "
      "simulator (defaults, boundaries, invalid values, faults) and check the results; exit 1 "
      "if a check failed");
  cmd->add_option("path", o->path, "Plugin directory, manifest file or signed bundle")->required();
  cmd->add_option("--junit", o->junit, "Also write a JUnit XML report to FILE");
  cmd->add_option("--deadline-ms", o->deadline_ms, "Deadline of each render")
      ->check(CLI::Range(int64_t{100}, int64_t{60000}));
  cmd->add_option("--jobs", o->jobs, "Renders in parallel")->check(CLI::Range(1, 16));
  cmd->add_option("--simulator", o->simulator,
                  "The vitrine-grafana-sim executable (default: beside vitrine)");
  cmd->add_option("--worker-path", o->worker,
                  "The vitrine-worker executable (default: beside vitrine)");
  cmd->add_option("--trust-key", o->trust_keys,
                  "Publisher public key (PREFIX.pub) a signed bundle may be signed by "
                  "(repeatable)");
  cmd->add_flag("--allow-unsigned", o->allow_unsigned, "Accept an unsigned bundle");
  cmd->add_flag("--quiet", o->quiet, "No progress lines on stderr");
  cmd->callback([o, &exit_code] {
    std::vector<std::filesystem::path> keys(o->trust_keys.begin(), o->trust_keys.end());
    auto source = validate::open_plugin_source(o->path, keys, o->allow_unsigned);
    if (!source.error.empty()) {
      std::cerr << "error: " << source.error << "\n";
      exit_code = 2;
      return;
    }
    validate::Options opt;
    opt.deadline_ms = o->deadline_ms;
    opt.jobs = o->jobs;
    opt.simulator = o->simulator;
    opt.worker = o->worker;
    if (!o->quiet) opt.progress = [](const std::string& line) { std::cerr << line << std::endl; };
    std::vector<validate::Report> reports;
    bool failed = false;
    for (size_t i = 0; i < source.manifests.size(); ++i) {
      validate::Report report;
      std::string error;
      if (!validate::validate_plugin(source.manifests[i], source.manifest_names[i], opt, report,
                                     error)) {
        std::cerr << "error: " << source.manifests[i].id << ": " << error << "\n";
        exit_code = 2;
        return;
      }
      validate::write_text(std::cout, report);
      failed = failed || !report.passed();
      reports.push_back(std::move(report));
    }
    if (!o->junit.empty()) {
      std::ofstream out(o->junit, std::ios::trunc);
      validate::write_junit(out, reports);
      if (!out) {
        std::cerr << "error: cannot write the JUnit report to " << o->junit << "\n";
        exit_code = 2;
        return;
      }
    }
    exit_code = failed ? 1 : 0;
  });
}

}  // namespace vitrine::cli
