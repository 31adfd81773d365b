// The manifest checker. The schema is a table of allowed keys per section;
// every rule is a named function that reports through one Reporter, so a
// single pass finds every problem and nothing throws to the caller.
#include "manifest/manifest.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <span>
#include <system_error>

#include "manifest/detail.h"
#include "manifest/rules.h"
#include "manifest/scope_catalog.h"

namespace vitrine::manifest {

std::string_view to_string(ParamType type) {
  switch (type) {
    case ParamType::string:
      return "string";
    case ParamType::integer:
      return "integer";
    case ParamType::boolean:
      return "boolean";
    case ParamType::enumeration:
      return "enum";
    case ParamType::enum_list:
      return "enum_list";
    case ParamType::duration:
      return "duration";
    case ParamType::time:
      return "time";
    case ParamType::uid:
      return "uid";
  }
  return "string";
}

namespace detail {

void Reporter::error(Position pos, std::string_view rule, std::string message) {
  add(pos, Severity::error, rule, std::move(message));
}

void Reporter::warning(Position pos, std::string_view rule, std::string message) {
  add(pos, Severity::warning, rule, std::move(message));
}

void Reporter::add(Position pos, Severity severity, std::string_view rule, std::string message) {
  assert(find_rule(rule) != nullptr && "every rule id must be listed in rules.cpp");
  diags_.push_back(Diagnostic{file_, pos, severity, std::move(message), std::string(rule)});
}

bool Reporter::has_errors() const {
  return std::any_of(diags_.begin(), diags_.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::error; });
}

std::vector<Diagnostic> Reporter::take_sorted() {
  std::stable_sort(diags_.begin(), diags_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::pair(a.pos.line, a.pos.column) < std::pair(b.pos.line, b.pos.column);
  });
  return std::move(diags_);
}

}  // namespace detail

namespace {

using detail::Reporter;
using detail::YNode;

// ---- schema table -------------------------------------------------------

enum class Want { string, boolean, integer, sequence, map, any };

struct KeySpec {
  std::string_view key;
  Want want;
  bool required;
};

constexpr KeySpec kRootKeys[] = {{"plugin", Want::map, true},
                                 {"macros", Want::sequence, true},
                                 {"permissions", Want::map, true},
                                 {"licensing", Want::map, false}};
constexpr KeySpec kPluginKeys[] = {{"id", Want::string, true},
                                   {"version", Want::string, true},
                                   {"abi", Want::string, true},
                                   {"library", Want::string, true},
                                   {"description", Want::string, false}};
constexpr KeySpec kMacroKeys[] = {{"key", Want::string, true},
                                  {"title", Want::string, true},
                                  {"description", Want::string, false},
                                  {"license", Want::string, false},
                                  {"parameters", Want::sequence, false}};
constexpr KeySpec kParamKeys[] = {
    {"name", Want::string, true},         {"type", Want::string, true},
    {"description", Want::string, false}, {"required", Want::boolean, false},
    {"default", Want::any, false},        {"values", Want::sequence, false},
    {"min", Want::integer, false},        {"max", Want::integer, false},
    {"max_length", Want::integer, false}, {"pattern", Want::string, false}};
constexpr KeySpec kPermissionKeys[] = {{"scopes", Want::sequence, true},
                                       {"external", Want::map, false}};
constexpr KeySpec kExternalKeys[] = {{"fetch", Want::map, true}};
constexpr KeySpec kFetchKeys[] = {{"backend", Want::sequence, true}};
constexpr KeySpec kBackendKeys[] = {{"address", Want::string, true},
                                    {"customer_managed", Want::boolean, false}};
constexpr KeySpec kLicensingKeys[] = {{"features", Want::sequence, true}};
constexpr KeySpec kFeatureKeys[] = {{"key", Want::string, true},
                                    {"description", Want::string, false}};

struct ParamTypeName {
  std::string_view name;
  ParamType type;
};
constexpr ParamTypeName kParamTypes[] = {
    {"string", ParamType::string},       {"integer", ParamType::integer},
    {"boolean", ParamType::boolean},     {"enum", ParamType::enumeration},
    {"enum_list", ParamType::enum_list}, {"duration", ParamType::duration},
    {"time", ParamType::time},           {"uid", ParamType::uid}};

// Which parameter types each type-specific option applies to.
struct OptionSpec {
  std::string_view key;
  std::array<ParamType, 2> types;
  std::string_view applies_to;
};
constexpr OptionSpec kOptions[] = {
    {"min", {ParamType::integer, ParamType::integer}, "integer"},
    {"max", {ParamType::integer, ParamType::integer}, "integer"},
    {"max_length", {ParamType::string, ParamType::string}, "string"},
    {"pattern", {ParamType::string, ParamType::string}, "string"},
    {"values", {ParamType::enumeration, ParamType::enum_list}, "enum and enum_list"}};

constexpr uint32_t kMaxLengthLimit = 65536;

// ---- helpers ------------------------------------------------------------

// Compiling a std::regex is slow, so each fixed pattern is compiled once.
// check_text may run on several threads at once: the cache is locked, and
// matching against a compiled regex is read-only.
bool full_match(const std::string& text, const char* pattern) {
  static std::mutex mutex;
  static std::map<const char*, std::regex> cache;
  const std::regex* compiled = nullptr;
  {
    std::lock_guard lock(mutex);
    auto it = cache.find(pattern);
    if (it == cache.end()) it = cache.emplace(pattern, std::regex(pattern)).first;
    compiled = &it->second;
  }
  return std::regex_match(text, *compiled);
}

std::string describe(const YNode& node) {
  switch (node.kind) {
    case YNode::Kind::null:
      return "nothing";
    case YNode::Kind::sequence:
      return "a list";
    case YNode::Kind::map:
      return "a mapping";
    case YNode::Kind::scalar:
      break;
  }
  std::string shown = node.scalar.size() > 40 ? node.scalar.substr(0, 40) + "..." : node.scalar;
  return (node.quoted ? "the string '" : "'") + shown + "'";
}

std::string_view expected(Want want) {
  switch (want) {
    case Want::string:
      return "a string";
    case Want::boolean:
      return "true or false";
    case Want::integer:
      return "an integer";
    case Want::sequence:
      return "a list";
    case Want::map:
      return "a mapping";
    case Want::any:
      return "a value";
  }
  return "a value";
}

std::optional<int64_t> as_integer(const YNode& node) {
  if (node.kind != YNode::Kind::scalar || node.quoted) return std::nullopt;
  const std::string& s = node.scalar;
  if (!full_match(s, "-?(0|[1-9][0-9]*)")) return std::nullopt;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

std::optional<bool> as_boolean(const YNode& node) {
  if (node.kind != YNode::Kind::scalar || node.quoted) return std::nullopt;
  if (node.scalar == "true") return true;
  if (node.scalar == "false") return false;
  return std::nullopt;
}

bool has_kind(const YNode& node, Want want) {
  switch (want) {
    case Want::string:
      return node.kind == YNode::Kind::scalar;
    case Want::boolean:
      return as_boolean(node).has_value();
    case Want::integer:
      return as_integer(node).has_value();
    case Want::sequence:
      return node.kind == YNode::Kind::sequence;
    case Want::map:
      return node.kind == YNode::Kind::map;
    case Want::any:
      return node.kind != YNode::Kind::null;
  }
  return false;
}

std::size_t utf8_length(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string_view best = detail::closest(word, candidates);
  return best.empty() ? std::string() : "; did you mean '" + std::string(best) + "'?";
}

std::string join(const std::vector<std::string_view>& words) {
  std::string out;
  for (std::string_view w : words) out += (out.empty() ? "" : ", ") + std::string(w);
  return out;
}

// The keys of one mapping that passed the schema table, first occurrence
// only (a repeated key is reported once, by the duplicate-key rule).
struct Fields {
  struct Field {
    const YNode* key;
    const YNode* value;
  };
  std::map<std::string_view, Field> by_key;
  Position at;  // where the section itself starts, for "missing" messages

  const YNode* get(std::string_view key) const {
    auto it = by_key.find(key);
    return it == by_key.end() ? nullptr : it->second.value;
  }
  Position key_pos(std::string_view key) const {
    auto it = by_key.find(key);
    return it == by_key.end() ? at : it->second.key->pos;
  }
  std::string text(std::string_view key) const {
    const YNode* n = get(key);
    return n ? n->scalar : std::string();
  }
};

// ---- rules ---------------------------------------------------------------

class Checker {
 public:
  explicit Checker(Reporter& report) : report_(report) {}

  std::optional<Manifest> run(const YNode& root);

 private:
  void check_duplicate_keys(const YNode& node);
  Fields check_section(const YNode& map, std::span<const KeySpec> spec, std::string_view section,
                       Position missing_at);
  void check_plugin(const Fields& f);
  void check_macros(const YNode& list, Position at);
  void check_macro(const YNode& node, std::set<std::string>& keys);
  void check_parameter(const YNode& node, std::set<std::string>& names, Parameter& out);
  void check_default(const Fields& f, Parameter& p);
  void check_permissions(const Fields& f);
  void check_egress(const YNode& list);
  void check_licensing(const Fields& f);
  void check_license_references();
  void check_nonempty(const Fields& f, std::string_view key, std::string_view what);

  Reporter& report_;
  Manifest m_;
  std::vector<std::pair<std::string, Position>> license_refs_;
  std::map<std::string, Position> features_;
};

void Checker::check_duplicate_keys(const YNode& node) {
  if (node.kind == YNode::Kind::map) {
    std::map<std::string, Position> seen;
    for (const auto& [key, value] : node.entries) {
      if (key.kind == YNode::Kind::scalar) {
        auto [it, fresh] = seen.emplace(key.scalar, key.pos);
        if (!fresh) {
          report_.error(key.pos, "yaml-duplicate-key",
                        "the key '" + key.scalar + "' appears again (first at line " +
                            std::to_string(it->second.line) +
                            "); YAML would silently keep only one, so remove one of them");
        }
      }
      check_duplicate_keys(value);
    }
  }
  for (const YNode& item : node.items) check_duplicate_keys(item);
}

Fields Checker::check_section(const YNode& map, std::span<const KeySpec> spec,
                              std::string_view section, Position missing_at) {
  Fields fields;
  fields.at = missing_at;
  std::vector<std::string_view> allowed;
  for (const KeySpec& k : spec) allowed.push_back(k.key);
  std::set<std::string_view> suggested;
  for (const auto& [key, value] : map.entries) {
    if (key.kind != YNode::Kind::scalar) {
      report_.error(
          key.pos, "schema-type",
          "a key in " + std::string(section) + " must be a plain name, not " + describe(key));
      continue;
    }
    auto spec_it = std::find_if(spec.begin(), spec.end(),
                                [&](const KeySpec& k) { return k.key == key.scalar; });
    if (spec_it == spec.end()) {
      std::string_view best = detail::closest(key.scalar, allowed);
      if (!best.empty()) suggested.insert(best);
      report_.error(key.pos, "schema-unknown-key",
                    "unknown key '" + key.scalar + "' in " + std::string(section) +
                        did_you_mean(key.scalar, allowed) + " (allowed: " + join(allowed) + ")");
      continue;
    }
    if (fields.by_key.contains(spec_it->key)) continue;
    if (value.alias || !has_kind(value, spec_it->want)) {
      if (!value.alias) {
        report_.error(value.kind == YNode::Kind::null ? key.pos : value.pos, "schema-type",
                      "'" + key.scalar + "' in " + std::string(section) + " must be " +
                          std::string(expected(spec_it->want)) + ", not " + describe(value));
      }
      // Record the key so it is not also reported as missing.
      fields.by_key.emplace(spec_it->key, Fields::Field{&key, nullptr});
      continue;
    }
    fields.by_key.emplace(spec_it->key, Fields::Field{&key, &value});
  }
  for (const KeySpec& k : spec) {
    // A misspelt key already got "did you mean"; saying it is also missing
    // would report one slip twice.
    if (k.required && !fields.by_key.contains(k.key) && !suggested.contains(k.key)) {
      report_.error(
          missing_at, "schema-missing-key",
          std::string(section) + " is missing the required key '" + std::string(k.key) + "'");
    }
  }
  // Drop the wrongly typed ones now that "missing" was decided.
  std::erase_if(fields.by_key, [](const auto& kv) { return kv.second.value == nullptr; });
  return fields;
}

void Checker::check_nonempty(const Fields& f, std::string_view key, std::string_view what) {
  const YNode* n = f.get(key);
  if (n && n->scalar.find_first_not_of(" \t\r\n") == std::string::npos) {
    report_.error(n->pos, "schema-empty",
                  std::string(what) + " '" + std::string(key) +
                      "' is empty; write a short text or "
                      "remove the key");
  }
}

std::optional<Manifest> Checker::run(const YNode& root) {
  check_duplicate_keys(root);
  if (root.kind != YNode::Kind::map) {
    report_.error(root.pos, "schema-type",
                  "a manifest must be a mapping with the sections plugin, macros and permissions, "
                  "not " +
                      describe(root));
    return std::nullopt;
  }
  Fields top = check_section(root, kRootKeys, "the manifest", Position{1, 1});
  if (const YNode* plugin = top.get("plugin")) {
    check_plugin(check_section(*plugin, kPluginKeys, "plugin", top.key_pos("plugin")));
  }
  if (const YNode* macros = top.get("macros")) check_macros(*macros, top.key_pos("macros"));
  if (const YNode* licensing = top.get("licensing")) {
    check_licensing(
        check_section(*licensing, kLicensingKeys, "licensing", top.key_pos("licensing")));
  }
  if (const YNode* permissions = top.get("permissions")) {
    check_permissions(
        check_section(*permissions, kPermissionKeys, "permissions", top.key_pos("permissions")));
  }
  check_license_references();
  if (report_.has_errors()) return std::nullopt;
  return std::move(m_);
}

void Checker::check_plugin(const Fields& f) {
  if (const YNode* id = f.get("id")) {
    if (!valid_plugin_id(id->scalar)) {
      std::string fixed = id->scalar;
      for (char& c : fixed) {
        c = c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      std::string hint =
          full_match(fixed, "[a-z][a-z0-9_]{1,63}") ? "; e.g. " + fixed : "; e.g. alert_list";
      report_.error(id->pos, "plugin-id-format",
                    "plugin id '" + id->scalar +
                        "' must be 2-64 characters of a-z, 0-9 and '_', starting with a letter" +
                        hint);
    }
    m_.id = id->scalar;
  }
  if (const YNode* v = f.get("version")) {
    if (!full_match(v->scalar, "(0|[1-9][0-9]{0,8})\\.(0|[1-9][0-9]{0,8})\\.(0|[1-9][0-9]{0,8})")) {
      report_.error(v->pos, "plugin-version-format",
                    "plugin version '" + v->scalar +
                        "' must be MAJOR.MINOR.PATCH without leading zeros, e.g. 1.2.0");
    }
    m_.version = v->scalar;
  }
  if (const YNode* abi = f.get("abi")) {
    static const char* kAbi = "(0|[1-9][0-9]{0,4})\\.(0|[1-9][0-9]{0,4})";
    if (!abi->quoted) {
      report_.error(abi->pos, "plugin-abi-format",
                    "plugin abi must be a quoted string such as abi: \"" + abi->scalar +
                        "\"; unquoted, YAML tools read 1.10 as the number 1.1");
    } else if (!full_match(abi->scalar, kAbi)) {
      report_.error(abi->pos, "plugin-abi-format",
                    "plugin abi '" + abi->scalar +
                        "' must be the plugin ABI MAJOR.MINOR it was built for, e.g. \"1.0\"");
    } else {
      std::size_t dot = abi->scalar.find('.');
      unsigned long major = std::stoul(abi->scalar.substr(0, dot));
      unsigned long minor = std::stoul(abi->scalar.substr(dot + 1));
      if (major > UINT16_MAX || minor > UINT16_MAX) {
        report_.error(abi->pos, "plugin-abi-format",
                      "plugin abi '" + abi->scalar + "' has a part larger than 65535");
      } else {
        m_.abi = AbiVersion{static_cast<uint16_t>(major), static_cast<uint16_t>(minor)};
      }
    }
  }
  if (const YNode* lib = f.get("library")) {
    const std::string& name = lib->scalar;
    std::string problem;
    if (name.find_first_of("/\\") != std::string::npos) {
      problem =
          "has a path separator; the library must sit beside the manifest, so write only "
          "its file name";
    } else if (name.starts_with(".")) {
      problem = "starts with '.'; write a plain file name such as " + m_.id + ".so";
    } else if (!full_match(name, "[A-Za-z0-9_.+-]{1,252}\\.so")) {
      problem =
          "must be a file name of letters, digits, '_', '-', '.' and '+' ending in .so, "
          "e.g. " +
          (m_.id.empty() ? std::string("alert_list") : m_.id) + ".so";
    }
    if (!problem.empty()) {
      report_.error(lib->pos, "plugin-library-path", "plugin library '" + name + "' " + problem);
    }
    m_.library = name;
  }
  check_nonempty(f, "description", "plugin");
  m_.description = f.text("description");
}

void Checker::check_macros(const YNode& list, Position at) {
  if (list.items.empty()) {
    report_.error(at, "macros-empty",
                  "the plugin declares no macros; list at least one under macros:");
    return;
  }
  std::set<std::string> keys;
  for (const YNode& item : list.items) check_macro(item, keys);
}

void Checker::check_macro(const YNode& node, std::set<std::string>& keys) {
  if (node.kind != YNode::Kind::map) {
    report_.error(node.pos, "schema-type",
                  "each entry of macros must be a mapping with key, title and parameters, not " +
                      describe(node));
    return;
  }
  Fields f = check_section(node, kMacroKeys, "a macro", node.pos);
  Macro macro;
  macro.pos = node.pos;
  if (const YNode* key = f.get("key")) {
    if (!full_match(key->scalar, "[a-z][a-z0-9-]{1,63}")) {
      report_.error(key->pos, "macro-key-format",
                    "macro key '" + key->scalar +
                        "' must be 2-64 characters of a-z, 0-9 and '-', starting with a letter, "
                        "e.g. alert-list");
    } else if (!keys.insert(key->scalar).second) {
      report_.error(key->pos, "macro-key-duplicate",
                    "macro key '" + key->scalar +
                        "' is already used by another macro of this plugin; keys must be unique");
    }
    macro.key = key->scalar;
  }
  check_nonempty(f, "title", "macro");
  check_nonempty(f, "description", "macro");
  macro.title = f.text("title");
  macro.description = f.text("description");
  if (const YNode* license = f.get("license")) {
    macro.license_feature = license->scalar;
    license_refs_.emplace_back(license->scalar, license->pos);
  }
  if (const YNode* params = f.get("parameters")) {
    std::set<std::string> names;
    for (const YNode& item : params->items) {
      Parameter p;
      check_parameter(item, names, p);
      macro.parameters.push_back(std::move(p));
    }
  }
  m_.macros.push_back(std::move(macro));
}

void Checker::check_parameter(const YNode& node, std::set<std::string>& names, Parameter& p) {
  if (node.kind != YNode::Kind::map) {
    report_.error(node.pos, "schema-type",
                  "each parameter must be a mapping with name and type, not " + describe(node));
    return;
  }
  Fields f = check_section(node, kParamKeys, "a parameter", node.pos);
  p.pos = node.pos;
  if (const YNode* name = f.get("name")) {
    if (!full_match(name->scalar, "[a-z][a-z0-9_]{0,63}")) {
      report_.error(name->pos, "param-name-format",
                    "parameter name '" + name->scalar +
                        "' must be 1-64 characters of a-z, 0-9 and '_', starting with a letter, "
                        "e.g. max_items");
    } else if (!names.insert(name->scalar).second) {
      report_.error(name->pos, "param-name-duplicate",
                    "parameter '" + name->scalar + "' is declared twice in this macro");
    }
    p.name = name->scalar;
  }
  check_nonempty(f, "description", "parameter");
  p.description = f.text("description");
  if (const YNode* req = f.get("required")) p.required = *as_boolean(*req);

  const YNode* type = f.get("type");
  std::optional<ParamType> known;
  if (type) {
    for (const ParamTypeName& t : kParamTypes) {
      if (t.name == type->scalar) known = t.type;
    }
    if (!known) {
      std::vector<std::string_view> names_list;
      for (const ParamTypeName& t : kParamTypes) names_list.push_back(t.name);
      report_.error(type->pos, "param-type-unknown",
                    "unknown parameter type '" + type->scalar + "'" +
                        did_you_mean(type->scalar, names_list) + " (types: " + join(names_list) +
                        ")");
    }
  }
  if (!known) return;
  p.type = *known;

  for (const OptionSpec& opt : kOptions) {
    if (f.get(opt.key) && opt.types[0] != p.type && opt.types[1] != p.type) {
      report_.error(f.key_pos(opt.key), "param-option-wrong-type",
                    "'" + std::string(opt.key) + "' applies only to " +
                        std::string(opt.applies_to) + " parameters, and '" + p.name + "' is " +
                        std::string(to_string(p.type)) + "; remove it");
    }
  }
  auto applies = [&](std::string_view key) {
    for (const OptionSpec& opt : kOptions) {
      if (opt.key == key) return opt.types[0] == p.type || opt.types[1] == p.type;
    }
    return false;
  };

  bool options_ok = true;
  if (p.type == ParamType::enumeration || p.type == ParamType::enum_list) {
    const YNode* values = f.get("values");
    if (!values || values->items.empty()) {
      report_.error(values ? values->pos : type->pos, "param-enum-empty",
                    "parameter '" + p.name + "' is " + std::string(to_string(p.type)) +
                        " but lists no values; add values: [a, b]");
      options_ok = false;
    } else {
      for (const YNode& v : values->items) {
        if (v.kind != YNode::Kind::scalar || v.scalar.empty()) {
          report_.error(
              v.pos, "schema-type",
              "each value of '" + p.name + "' must be a non-empty string, not " + describe(v));
          options_ok = false;
          continue;
        }
        if (std::find(p.values.begin(), p.values.end(), v.scalar) != p.values.end()) {
          report_.error(v.pos, "param-enum-duplicate",
                        "the value '" + v.scalar + "' of parameter '" + p.name +
                            "' is listed twice; remove one");
        }
        p.values.push_back(v.scalar);
      }
    }
  }
  if (applies("min")) {
    if (const YNode* n = f.get("min")) p.min = as_integer(*n);
    if (const YNode* n = f.get("max")) p.max = as_integer(*n);
    if (p.min && p.max && *p.min > *p.max) {
      report_.error(f.key_pos("max"), "param-range-order",
                    "parameter '" + p.name + "' has min " + std::to_string(*p.min) +
                        " greater than max " + std::to_string(*p.max) + "; swap them");
      options_ok = false;
    }
  }
  if (applies("max_length")) {
    if (const YNode* n = f.get("max_length")) {
      int64_t v = *as_integer(*n);
      if (v < 1 || v > kMaxLengthLimit) {
        report_.error(n->pos, "param-max-length-invalid",
                      "max_length of '" + p.name + "' is " + std::to_string(v) +
                          "; it must be between 1 and " + std::to_string(kMaxLengthLimit));
        options_ok = false;
      } else {
        p.max_length = static_cast<uint32_t>(v);
      }
    }
    if (const YNode* n = f.get("pattern")) {
      try {
        std::regex compiled(n->scalar, std::regex::ECMAScript);
        p.pattern = n->scalar;
      } catch (const std::regex_error&) {
        report_.error(n->pos, "param-pattern-invalid",
                      "pattern '" + n->scalar + "' of '" + p.name +
                          "' is not a valid ECMAScript regular expression; check brackets, "
                          "parentheses and escapes");
        options_ok = false;
      }
    }
  }
  if (options_ok) check_default(f, p);
}

void Checker::check_default(const Fields& f, Parameter& p) {
  const YNode* d = f.get("default");
  if (!d) return;
  if (p.required) {
    report_.warning(f.key_pos("default"), "param-required-with-default",
                    "parameter '" + p.name +
                        "' is required, so its default is never used; drop the default or "
                        "make it optional");
  }
  const std::string type_name(to_string(p.type));
  auto type_error = [&](const std::string& what) {
    report_.error(d->pos, "param-default-type",
                  "the default of " + type_name + " parameter '" + p.name + "' must be " + what +
                      ", not " + describe(*d));
  };
  auto range_error = [&](Position pos, const std::string& what) {
    report_.error(pos, "param-default-range", what);
  };
  const std::string of_param = " of parameter '" + p.name + "'";
  if (p.type == ParamType::enum_list) {
    if (d->kind != YNode::Kind::sequence)
      return type_error("a list such as [" + (p.values.empty() ? "a" : p.values[0]) + "]");
    std::set<std::string> seen;
    for (const YNode& item : d->items) {
      if (item.kind != YNode::Kind::scalar) {
        report_.error(
            item.pos, "param-default-type",
            "each default item of '" + p.name + "' must be a string, not " + describe(item));
        continue;
      }
      if (std::find(p.values.begin(), p.values.end(), item.scalar) == p.values.end()) {
        std::vector<std::string_view> vs(p.values.begin(), p.values.end());
        range_error(item.pos, "the default item '" + item.scalar + "'" + of_param +
                                  " is not one of its values (" + join(vs) + ")" +
                                  did_you_mean(item.scalar, vs));
      } else if (!seen.insert(item.scalar).second) {
        range_error(item.pos, "the default" + of_param + " lists '" + item.scalar + "' twice");
      }
      p.default_items.push_back(item.scalar);
    }
    return;
  }
  if (d->kind != YNode::Kind::scalar) return type_error("a single value");
  const std::string& v = d->scalar;
  p.default_text = v;
  switch (p.type) {
    case ParamType::string:
      if (p.max_length && utf8_length(v) > *p.max_length) {
        range_error(d->pos, "the default" + of_param + " is " + std::to_string(utf8_length(v)) +
                                " characters long, more than max_length " +
                                std::to_string(*p.max_length));
      }
      if (p.pattern && !std::regex_match(v, std::regex(*p.pattern, std::regex::ECMAScript))) {
        range_error(d->pos, "the default '" + v + "'" + of_param + " does not match its pattern '" +
                                *p.pattern + "'");
      }
      break;
    case ParamType::integer: {
      auto n = as_integer(*d);
      if (!n) return type_error("an unquoted integer such as 10");
      if ((p.min && *n < *p.min) || (p.max && *n > *p.max)) {
        range_error(d->pos, "the default " + std::to_string(*n) + of_param +
                                " is outside its range " +
                                (p.min ? std::to_string(*p.min) : std::string("...")) + ".." +
                                (p.max ? std::to_string(*p.max) : std::string("...")));
      }
      break;
    }
    case ParamType::boolean:
      if (!as_boolean(*d)) return type_error("true or false");
      break;
    case ParamType::enumeration:
      if (std::find(p.values.begin(), p.values.end(), v) == p.values.end()) {
        std::vector<std::string_view> vs(p.values.begin(), p.values.end());
        range_error(d->pos, "the default '" + v + "'" + of_param + " is not one of its values (" +
                                join(vs) + ")" + did_you_mean(v, vs));
      }
      break;
    case ParamType::duration:
      if (!full_match(v, "([0-9]{1,9}(ms|s|m|h|d|w))+")) {
        return type_error("a duration such as 30s, 5m or 1h30m");
      }
      break;
    case ParamType::time:
      if (!full_match(v, "now([+-][0-9]{1,9}(ms|s|m|h|d|w|M|y))*(/(s|m|h|d|w|M|y))?") &&
          !full_match(v,
                      "[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,9})?)?"
                      "(Z|[+-][0-9]{2}:[0-9]{2})?)?") &&
          !full_match(v, "[0-9]{1,16}")) {
        return type_error(
            "a time such as now, now-7d, now/d, 2024-05-01T00:00:00Z or epoch "
            "milliseconds");
      }
      break;
    case ParamType::uid:
      if (!full_match(v, "[A-Za-z0-9_-]{1,40}")) {
        return type_error("a Grafana uid of 1-40 letters, digits, '_' or '-'");
      }
      break;
    case ParamType::enum_list:
      break;
  }
}

void Checker::check_permissions(const Fields& f) {
  bool grafana_scope = false;
  if (const YNode* scopes = f.get("scopes")) {
    std::vector<std::string_view> ids;
    for (const Scope& s : scope_catalog()) ids.push_back(s.id);
    std::map<std::string, Position> seen;
    for (const YNode& s : scopes->items) {
      if (s.kind != YNode::Kind::scalar) {
        report_.error(
            s.pos, "schema-type",
            "each scope must be a string such as grafana:read:alerts, not " + describe(s));
        continue;
      }
      if (!find_scope(s.scalar)) {
        // An unknown grafana:* scope still shows the intent to read Grafana;
        // do not add a second, misleading warning about egress.
        if (s.scalar.starts_with("grafana:")) grafana_scope = true;
        report_.error(s.pos, "scope-unknown",
                      "unknown scope '" + s.scalar + "'" + did_you_mean(s.scalar, ids) +
                          " (scopes: " + join(ids) + ")");
        continue;
      }
      auto [it, fresh] = seen.emplace(s.scalar, s.pos);
      if (!fresh) {
        report_.error(s.pos, "scope-duplicate",
                      "scope '" + s.scalar + "' is already listed at line " +
                          std::to_string(it->second.line) + "; remove this one");
        continue;
      }
      if (s.scalar.starts_with("grafana:")) grafana_scope = true;
      m_.scopes.push_back(s.scalar);
    }
  }
  const YNode* backend = nullptr;
  Position backend_at = f.at;
  if (const YNode* external = f.get("external")) {
    Fields ext =
        check_section(*external, kExternalKeys, "permissions.external", f.key_pos("external"));
    if (const YNode* fetch = ext.get("fetch")) {
      Fields fe =
          check_section(*fetch, kFetchKeys, "permissions.external.fetch", ext.key_pos("fetch"));
      backend = fe.get("backend");
      backend_at = fe.key_pos("backend");
    }
  }
  if (backend) check_egress(*backend);
  bool has_egress = backend && !backend->items.empty();
  if (has_egress && !grafana_scope) {
    report_.warning(backend_at, "egress-without-scope",
                    "egress is declared but no grafana:* scope is requested, so no request can "
                    "pass the path check; add the scope the plugin reads, or drop the egress");
  }
  if (grafana_scope && !has_egress) {
    report_.warning(f.key_pos("scopes"), "scope-without-egress",
                    "a grafana:* scope is requested but no egress is declared, so the plugin "
                    "cannot reach Grafana; add permissions.external.fetch.backend");
  }
}

void Checker::check_egress(const YNode& list) {
  std::map<std::tuple<bool, std::string, uint16_t>, Position> seen;
  for (const YNode& item : list.items) {
    const YNode* address = nullptr;
    bool customer_managed = false;
    if (item.kind == YNode::Kind::scalar) {
      address = &item;
    } else if (item.kind == YNode::Kind::map) {
      Fields f = check_section(item, kBackendKeys, "a backend entry", item.pos);
      address = f.get("address");
      if (const YNode* cm = f.get("customer_managed")) customer_managed = *as_boolean(*cm);
    } else {
      report_.error(item.pos, "schema-type",
                    "each backend entry must be an origin such as https://*.grafana.net or a "
                    "mapping with address and customer_managed, not " +
                        describe(item));
      continue;
    }
    if (!address) continue;
    auto entry = detail::check_egress_address(address->scalar, address->pos, report_);
    if (!entry) continue;
    entry->customer_managed = customer_managed;
    auto [it, fresh] =
        seen.emplace(std::tuple(entry->wildcard, entry->host, entry->port), entry->pos);
    if (!fresh) {
      report_.error(entry->pos, "egress-duplicate",
                    "egress entry '" + entry->text + "' names the same origin as line " +
                        std::to_string(it->second.line) + "; remove one");
      continue;
    }
    m_.egress.push_back(std::move(*entry));
  }
}

void Checker::check_licensing(const Fields& f) {
  const YNode* features = f.get("features");
  if (!features) return;
  for (const YNode& item : features->items) {
    if (item.kind != YNode::Kind::map) {
      report_.error(item.pos, "schema-type",
                    "each licensing feature must be a mapping with key and description, not " +
                        describe(item));
      continue;
    }
    Fields ff = check_section(item, kFeatureKeys, "a licensing feature", item.pos);
    check_nonempty(ff, "description", "licensing feature");
    const YNode* key = ff.get("key");
    if (!key) continue;
    if (!full_match(key->scalar, "[a-z][a-z0-9-]{1,63}")) {
      report_.error(key->pos, "license-feature-format",
                    "licensing feature key '" + key->scalar +
                        "' must be 2-64 characters of a-z, 0-9 and '-', starting with a letter, "
                        "e.g. alert-badges");
      continue;
    }
    auto [it, fresh] = features_.emplace(key->scalar, key->pos);
    if (!fresh) {
      report_.error(key->pos, "license-feature-duplicate",
                    "licensing feature '" + key->scalar + "' is already declared at line " +
                        std::to_string(it->second.line) + "; remove one");
      continue;
    }
    m_.license_features.push_back(LicenseFeature{key->scalar, ff.text("description")});
  }
}

void Checker::check_license_references() {
  std::vector<std::string_view> declared;
  for (const auto& [key, pos] : features_) declared.push_back(key);
  std::set<std::string> used;
  for (const auto& [name, pos] : license_refs_) {
    used.insert(name);
    // A misspelt reference already points at the feature it meant.
    if (std::string_view best = detail::closest(name, declared);
        !features_.contains(name) && !best.empty()) {
      used.insert(std::string(best));
    }
    if (!features_.contains(name)) {
      report_.error(pos, "license-feature-unknown",
                    "macro requires the licensing feature '" + name +
                        "', which is not declared under licensing.features" +
                        did_you_mean(name, declared));
    }
  }
  for (const auto& [key, pos] : features_) {
    if (!used.contains(key)) {
      report_.warning(pos, "license-feature-unused",
                      "licensing feature '" + key +
                          "' is not required by any macro; reference it with license: " + key +
                          " or remove it");
    }
  }
}

// ---- file-level rules ----------------------------------------------------

Position position_of(std::string_view text, std::size_t offset) {
  Position pos{1, 1};
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++pos.line;
      pos.column = 1;
    } else {
      ++pos.column;
    }
  }
  return pos;
}

// Returns the offset of the first byte that breaks UTF-8, or npos.
std::size_t invalid_utf8_at(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto b = static_cast<unsigned char>(s[i]);
    std::size_t len = b < 0x80                   ? 1
                      : (b >= 0xC2 && b <= 0xDF) ? 2
                      : (b & 0xF0) == 0xE0       ? 3
                      : (b >= 0xF0 && b <= 0xF4) ? 4
                                                 : 0;
    if (len == 0 || i + len > s.size()) return i;
    uint32_t cp = len == 1 ? b : len == 2 ? (b & 0x1Fu) : len == 3 ? (b & 0x0Fu) : (b & 0x07u);
    for (std::size_t k = 1; k < len; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (c & 0x3Fu);
    }
    bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return i;
    i += len;
  }
  return std::string_view::npos;
}

std::string size_text(uintmax_t bytes) { return std::to_string(bytes) + " bytes"; }

}  // namespace

bool valid_plugin_id(std::string_view id) {
  if (id.size() < 2 || id.size() > 64 || !(id[0] >= 'a' && id[0] <= 'z')) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

CheckResult check_text(std::string_view text, const std::string& display_name) {
  Reporter report(display_name);
  std::optional<Manifest> manifest;
  try {
    if (text.size() > detail::kMaxManifestBytes) {
      report.error(Position{}, "file-too-large",
                   "the manifest is " + size_text(text.size()) +
                       "; the limit is 1 MiB (1048576 bytes), which real manifests never approach");
    } else if (std::size_t nul = text.find('\0'); nul != std::string_view::npos) {
      report.error(position_of(text, nul), "file-binary",
                   "the file contains a NUL byte; a manifest is UTF-8 text, is this the right "
                   "file?");
    } else if (std::size_t bad = invalid_utf8_at(text); bad != std::string_view::npos) {
      report.error(position_of(text, bad), "file-binary",
                   "the file is not valid UTF-8 here; save it as UTF-8");
    } else {
      std::optional<YNode> root = detail::parse_yaml(text, report);
      if (root) {
        manifest = Checker(report).run(*root);
      } else if (!report.has_errors()) {
        report.error(Position{}, "schema-type",
                     "the file is empty; a manifest needs the sections plugin, macros and "
                     "permissions");
      }
    }
  } catch (const std::exception& e) {
    // Nothing above should throw, but a checker must never take its caller
    // down: report the failure as a problem with the input.
    report.error(Position{}, "yaml-syntax", std::string("cannot check the file: ") + e.what());
    manifest.reset();
  }
  CheckResult result;
  if (!report.has_errors()) result.manifest = std::move(manifest);
  result.diagnostics = report.take_sorted();
  return result;
}

CheckResult check_file(const std::filesystem::path& path) {
  const std::string name = path.string();
  auto fail = [&](std::string_view rule, std::string message) {
    Reporter report(name);
    report.error(Position{}, rule, std::move(message));
    CheckResult result;
    result.diagnostics = report.take_sorted();
    return result;
  };
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    return fail("file-unreadable",
                "cannot read the file: " + (ec ? ec.message() : std::string("no such file")));
  }
  if (std::filesystem::is_directory(status)) {
    return fail("file-unreadable", "this is a directory; pass the manifest file inside it");
  }
  if (!std::filesystem::is_regular_file(status)) {
    return fail("file-unreadable", "this is not a regular file; pass a manifest file");
  }
  auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > detail::kMaxManifestBytes) {
    return fail("file-too-large", "the manifest is " + size_text(size) +
                                      "; the limit is 1 MiB (1048576 bytes), which real "
                                      "manifests never approach");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("file-unreadable", "cannot open the file for reading");
  // Read at most one byte past the limit: the file may have grown since stat.
  std::string text(detail::kMaxManifestBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return fail("file-unreadable", "reading the file failed");
  text.resize(static_cast<std::size_t>(in.gcount()));
  CheckResult result = check_text(text, name);
  if (result.manifest) result.manifest->path = path;
  return result;
}

}  // namespace vitrine::manifest
