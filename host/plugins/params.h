// Binds a macro invocation's raw parameter text to the typed values the
// manifest declares, before the plugin sees anything (ABI-12). A plugin can
// rely on every vitrine_param it receives being of the declared type and
// inside the declared range.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "manifest/manifest.h"
#include "plugins/date_math.h"
#include "vitrine/plugin.h"

namespace vitrine::plugins {

struct ParamError {
  std::string param;
  std::string rule;     // e.g. "param-unknown", "param-range"
  std::string message;  // what is wrong and what to write instead
};

// Owns the strings the vitrine_param array borrows; movable, not copyable
// (the array points into `text_`).
class BoundParams {
 public:
  BoundParams() = default;
  BoundParams(const BoundParams&) = delete;
  BoundParams& operator=(const BoundParams&) = delete;
  BoundParams(BoundParams&&) = default;
  BoundParams& operator=(BoundParams&&) = default;

  const std::vector<vitrine_param>& params() const { return params_; }
  const vitrine_param* find(std::string_view name) const;

 private:
  friend std::optional<ParamError> bind_params(const manifest::Macro&,
                                               const std::map<std::string, std::string>&, int64_t,
                                               BoundParams&);
  vitrine_str keep(std::string s);
  std::deque<std::string> text_;
  std::deque<std::vector<vitrine_str>> lists_;
  std::vector<vitrine_param> params_;
};

// `raw` maps parameter names to their text; an enum_list is comma-separated.
// `now_ms` resolves relative times. Returns the first error, or nullopt.
std::optional<ParamError> bind_params(const manifest::Macro& macro,
                                      const std::map<std::string, std::string>& raw, int64_t now_ms,
                                      BoundParams& out);

// "30s", "5m", "2h", "7d", "1w" -> milliseconds. nullopt when malformed.
std::optional<int64_t> parse_duration_ms(std::string_view text);

}  // namespace vitrine::plugins
