// The parsed, validated form of a plugin's manifest.yml. Everything the host
// trusts about a plugin before running any of its code comes from here.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "manifest/diagnostic.h"

namespace vitrine::manifest {

enum class ParamType { string, integer, boolean, enumeration, enum_list, duration, time, uid };

// Returns the manifest spelling: "string", "integer", "boolean", "enum",
// "enum_list", "duration", "time", "uid".
std::string_view to_string(ParamType type);

struct Parameter {
  std::string name;
  ParamType type = ParamType::string;
  std::string description;
  bool required = false;
  // The default as written in the manifest (scalar text; for enum_list the
  // items). Absent when none was given.
  std::optional<std::string> default_text;
  std::vector<std::string> default_items;
  std::optional<int64_t> min;          // integer
  std::optional<int64_t> max;          // integer
  std::optional<uint32_t> max_length;  // string
  std::optional<std::string> pattern;  // string: ECMAScript regex, whole-match
  std::vector<std::string> values;     // enum, enum_list
  Position pos;
};

struct Macro {
  std::string key;
  std::string title;
  std::string description;
  std::optional<std::string> license_feature;  // requires this licensed feature
  std::vector<Parameter> parameters;
  Position pos;
};

// One permissions.external.fetch.backend entry: https://host[:port] or
// https://*.suffix[:port].
struct EgressEntry {
  std::string text;       // as written, e.g. "https://*.grafana.net"
  bool wildcard = false;  // "*." leftmost label
  std::string host;       // lowercase; for a wildcard the suffix after "*."
  uint16_t port = 443;
  bool customer_managed = false;
  Position pos;
};

struct LicenseFeature {
  std::string key;
  std::string description;
};

struct AbiVersion {
  uint16_t major = 0;
  uint16_t minor = 0;
};

struct Manifest {
  std::filesystem::path path;  // the file it was read from (may be empty)
  std::string id;
  std::string version;
  AbiVersion abi;
  std::string library;  // file name of the shared library, beside the manifest
  std::string description;
  std::vector<Macro> macros;
  std::vector<std::string> scopes;
  std::vector<EgressEntry> egress;
  std::vector<LicenseFeature> license_features;
};

struct CheckResult {
  std::optional<Manifest> manifest;     // set only when there is no error
  std::vector<Diagnostic> diagnostics;  // errors and warnings, in file order
  bool ok() const { return manifest.has_value(); }
};

// The plugin id grammar, [a-z][a-z0-9_]{1,63}: the one check every API
// route, form and command uses for a plugin id.
bool valid_plugin_id(std::string_view id);

// Parses and validates. Never throws; every problem is a diagnostic.
// `display_name` is the FILE part of each diagnostic.
CheckResult check_text(std::string_view text, const std::string& display_name);

// Reads the file (refusing directories, files over 1 MiB and binary content
// with a diagnostic) and checks it.
CheckResult check_file(const std::filesystem::path& path);

}  // namespace vitrine::manifest
