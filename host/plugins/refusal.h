// Why the host refused to run a plugin. Every refusal names the plugin, the
// file, what was found, and what to do; `rule` is the stable id the tests
// and docs/plugin-abi.md cite.
#pragma once

#include <filesystem>
#include <string>

namespace vitrine::plugins {

struct Refusal {
  std::string plugin;          // plugin id, the manifest file stem when unknown, or empty
                               // when the plugins directory itself cannot be read
  std::filesystem::path path;  // the library (or manifest) that was refused
  std::string rule;            // e.g. "abi-minor-too-new"
  std::string message;         // what happened and what to do
};

// "plugin 'x' (PATH): MESSAGE [rule]", or "plugins directory PATH: MESSAGE
// [rule]" when there is no plugin id. `vitrine plugins list` prefixes each
// line with "refused ".
std::string format(const Refusal& r);

}  // namespace vitrine::plugins
