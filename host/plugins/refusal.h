// Why the host refused to run a plugin. Every refusal names the plugin, the
// file, what was found, and what to do; `rule` is the stable id the tests
// and docs/plugin-abi.md cite.
#pragma once

#include <filesystem>
#include <string>

namespace vitrine::plugins {

struct Refusal {
  std::string plugin;          // plugin id, or the manifest file stem when unknown
  std::filesystem::path path;  // the library (or manifest) that was refused
  std::string rule;            // e.g. "abi-minor-too-new"
  std::string message;         // what happened and what to do
};

// "plugin 'x' (PATH): MESSAGE [rule]"
std::string format(const Refusal& r);

}  // namespace vitrine::plugins
