// Read access to the typed parameters of a render request (ABI-12). The host
// has validated them against the manifest; these accessors still cope with a
// missing parameter so a plugin called directly cannot crash.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vitrine/plugin.h"

namespace vitrine::pc {

class Params {
 public:
  explicit Params(const vitrine_render_request* req) : req_(req) {}
  const vitrine_param* find(std::string_view name) const;
  // Set by the author (present and not a manifest default).
  bool is_set(std::string_view name) const;
  std::string text(std::string_view name, std::string fallback = {}) const;
  std::optional<int64_t> integer(std::string_view name) const;
  // enum_list items; for a plain string, its comma-separated parts.
  std::vector<std::string> items(std::string_view name) const;

 private:
  const vitrine_render_request* req_;
};

// The name of the first parameter whose value looks like a credential
// (glsa_ service-account token, glc_ cloud token, "Bearer ...", a legacy API
// key "eyJrIjoi..."), or nullopt. Tokens never belong in macro configuration
// (P4), so such a render is refused before anything is fetched.
std::optional<std::string> secret_looking_param(const vitrine_render_request* req);
bool looks_like_secret(std::string_view value);

}  // namespace vitrine::pc
