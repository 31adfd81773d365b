#include "validate/cases.h"

#include <chrono>
#include <optional>

#include "plugins/params.h"

namespace vitrine::validate {
namespace {

using manifest::Macro;
using manifest::Parameter;
using manifest::ParamType;

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

bool accepted(const Macro& macro, const std::map<std::string, std::string>& params) {
  plugins::BoundParams bound;
  return !plugins::bind_params(macro, params, now_ms(), bound).has_value();
}

// True when binding raises no error about `name` (another required
// parameter may still be missing while the base is being filled).
bool accepted_for(const Macro& macro, const std::map<std::string, std::string>& params,
                  const std::string& name) {
  plugins::BoundParams bound;
  auto err = plugins::bind_params(macro, params, now_ms(), bound);
  return !err || err->param != name;
}

// Values tried in order for a required parameter without a default: the
// first the host accepts is used. "svc-checkout" is a dashboard uid the
// simulator's fixtures hold, so plugins that look one up render real data.
const std::vector<std::string>& filler_candidates(ParamType type) {
  static const std::vector<std::string> strings = {"svc-checkout", "validate", "a", "0", "x1"};
  static const std::vector<std::string> integers = {"1", "0", "10", "100"};
  static const std::vector<std::string> booleans = {"true"};
  static const std::vector<std::string> durations = {"1h", "5m", "1d"};
  static const std::vector<std::string> times = {"now-6h", "now"};
  switch (type) {
    case ParamType::integer:
      return integers;
    case ParamType::boolean:
      return booleans;
    case ParamType::duration:
      return durations;
    case ParamType::time:
      return times;
    default:
      return strings;
  }
}

std::optional<std::string> filler(const Macro& macro, const Parameter& p,
                                  std::map<std::string, std::string> base) {
  if (!p.values.empty()) return p.values.front();
  std::vector<std::string> tries = filler_candidates(p.type);
  if (p.type == ParamType::integer && p.min) tries.insert(tries.begin(), std::to_string(*p.min));
  for (const auto& v : tries) {
    base[p.name] = v;
    if (accepted_for(macro, base, p.name)) return v;
  }
  return std::nullopt;
}

struct Probe {
  std::string label;
  std::string value;
};

// Values at the edges of what the manifest allows.
std::vector<Probe> boundary_values(const Parameter& p) {
  std::vector<Probe> out;
  switch (p.type) {
    case ParamType::integer:
      out.push_back({"min", std::to_string(p.min.value_or(0))});
      out.push_back({"max", std::to_string(p.max.value_or(2147483647))});
      break;
    case ParamType::enumeration:
      for (const auto& v : p.values) out.push_back({"value", v});
      break;
    case ParamType::enum_list: {
      std::string all;
      for (const auto& v : p.values) {
        out.push_back({"value", v});
        all += (all.empty() ? "" : ",") + v;
      }
      if (p.values.size() > 1) out.push_back({"all values", all});
      break;
    }
    case ParamType::boolean:
      out.push_back({"true", "true"});
      out.push_back({"false", "false"});
      break;
    case ParamType::string:
      out.push_back({"empty", ""});
      out.push_back({"longest", std::string(p.max_length.value_or(4096), 'x')});
      out.push_back({"markup", "<b>\"quoted\" & 'apos'</b>"});
      out.push_back({"unicode", "\xC3\xA9t\xC3\xA9 \xE2\x9C\x93"});
      break;
    case ParamType::duration:
      out.push_back({"shortest", "1s"});
      out.push_back({"longest", "100000w"});
      break;
    case ParamType::time:
      out.push_back({"now", "now"});
      out.push_back({"epoch", "1970-01-01T00:00:00Z"});
      out.push_back({"far future", "2999-12-31T23:59:59Z"});
      break;
    case ParamType::uid:
      out.push_back({"unknown uid", "nonexistent"});
      out.push_back({"longest", std::string(40, 'u')});
      break;
  }
  return out;
}

// Values the host's binding must refuse.
std::vector<Probe> invalid_values(const Parameter& p) {
  std::vector<Probe> out;
  switch (p.type) {
    case ParamType::integer:
      if (p.min) out.push_back({"below min", std::to_string(*p.min - 1)});
      if (p.max) out.push_back({"above max", std::to_string(*p.max + 1)});
      out.push_back({"not a number", "12abc"});
      break;
    case ParamType::enumeration:
    case ParamType::enum_list:
      out.push_back({"not a value", "undeclared_value"});
      break;
    case ParamType::boolean:
      out.push_back({"not a boolean", "maybe"});
      break;
    case ParamType::string:
      if (p.max_length) out.push_back({"too long", std::string(*p.max_length + 1, 'x')});
      out.push_back({"NUL byte", std::string("a\0b", 3)});
      break;
    case ParamType::duration:
      out.push_back({"not a duration", "soon"});
      break;
    case ParamType::time:
      out.push_back({"not a time", "yesterday"});
      break;
    case ParamType::uid:
      out.push_back({"not a uid", "bad uid!"});
      break;
  }
  return out;
}

std::string shown(const std::string& value) {
  std::string s;
  for (char c : value) s += (c == '\0') ? std::string("\\0") : std::string(1, c);
  if (s.size() > 24) s = s.substr(0, 21) + "...(" + std::to_string(value.size()) + " bytes)";
  return s;
}

}  // namespace

const char* to_string(CaseKind kind) {
  switch (kind) {
    case CaseKind::defaults:
      return "defaults";
    case CaseKind::boundary:
      return "boundary";
    case CaseKind::invalid:
      return "invalid";
    case CaseKind::fault:
      return "fault";
  }
  return "?";
}

std::vector<Fault> fault_matrix(int64_t deadline_ms) {
  std::vector<Fault> f;
  f.push_back({"slow", "latency", 0, static_cast<int>(deadline_ms + 500), 0});
  for (int status : {500, 502, 503, 401, 403, 404}) {
    f.push_back({std::to_string(status), "error", status, 0, 0});
  }
  f.push_back({"reset", "reset", 0, 0, 0});
  f.push_back({"truncated", "truncated", 0, 0, 0});
  // Just above the host's default body limit (16 MiB): the fetch is cut at
  // the limit, so the size costs little time.
  f.push_back({"oversized", "oversized", 0, 0, (16ull << 20) + 1});
  return f;
}

std::vector<Case> generate_cases(const manifest::Manifest& m, int64_t deadline_ms) {
  std::vector<Case> cases;
  std::vector<Case> faults;
  for (const auto& macro : m.macros) {
    // The base every case varies: required parameters without a default
    // get a value the host accepts; everything else keeps its default.
    std::map<std::string, std::string> base;
    for (const auto& p : macro.parameters) {
      if (!p.required || p.default_text || !p.default_items.empty()) continue;
      if (auto v = filler(macro, p, base)) base[p.name] = *v;
    }
    auto add = [&](std::string name, std::map<std::string, std::string> params, CaseKind meant) {
      Case c;
      c.macro = macro.key;
      c.name = std::move(name);
      c.params = std::move(params);
      const bool ok = accepted(macro, c.params);
      c.kind = ok ? (meant == CaseKind::invalid ? CaseKind::boundary : meant) : CaseKind::invalid;
      cases.push_back(std::move(c));
    };
    add("defaults", base, CaseKind::defaults);
    for (const auto& p : macro.parameters) {
      for (const auto& probe : boundary_values(p)) {
        auto params = base;
        params[p.name] = probe.value;
        add(p.name + "=" + shown(probe.value) + " (" + probe.label + ")", params,
            CaseKind::boundary);
      }
      for (const auto& probe : invalid_values(p)) {
        auto params = base;
        params[p.name] = probe.value;
        add(p.name + "=" + shown(probe.value) + " (" + probe.label + ")", params,
            CaseKind::invalid);
      }
      if (p.required) {
        auto params = base;
        params.erase(p.name);
        add(p.name + " missing (required)", params, CaseKind::invalid);
      }
    }
    auto unknown = base;
    unknown["validate_unknown_param"] = "1";
    add("unknown parameter", unknown, CaseKind::invalid);
    for (const auto& f : fault_matrix(deadline_ms)) {
      Case c;
      c.macro = macro.key;
      c.name = "fault " + f.name;
      c.kind = CaseKind::fault;
      c.params = base;
      c.fault = f;
      faults.push_back(std::move(c));
    }
  }
  for (auto& c : faults) cases.push_back(std::move(c));
  return cases;
}

}  // namespace vitrine::validate
