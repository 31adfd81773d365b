// The checks a validation run applies to each render, and to the run as a
// whole (declared permissions nothing used). Pure functions over what the
// runner observed, so each check is tested without a plugin or a network.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "manifest/manifest.h"
#include "plugins/invoke.h"
#include "validate/cases.h"

namespace vitrine::validate {

enum class Level { pass, warn, fail };

const char* to_string(Level level);

struct Finding {
  Level level = Level::pass;
  std::string check;    // crash, deadline, reason, param-validation, egress, markup, ...
  std::string message;  // what happened and what to do
};

// One plugin GET as the host's http capability saw it.
struct Request {
  std::string url;
  vitrine_status status = VITRINE_OK;
  int http_status = 0;
  std::string rule;    // the deciding rule on a refusal
  std::string reason;  // on a refusal or failure
};

// What the host removed from a render's HTML (render::sanitize).
struct Stripped {
  std::string rule;
  std::string element;
  std::string attribute;
};

struct Observation {
  plugins::RenderOutput output;
  int64_t elapsed_ms = 0;
  std::vector<Request> requests;
  std::vector<Stripped> stripped;  // only for a successful render
  size_t stripped_total = 0;
};

// The findings for one render of `c` with a per-render deadline of
// `deadline_ms`. Empty when every check passed.
std::vector<Finding> check_render(const Case& c, const Observation& o, int64_t deadline_ms);

// What the run as a whole used of the manifest's permissions.
struct Usage {
  std::set<std::string> scopes;  // scope ids some render's request or capability call used
  std::set<std::string> egress;  // egress entries (as written) some allowed request matched
};

// Adds to `usage` what `requests` used: the scopes whose path prefixes
// (manifests/scopes.yml) and the egress entries whose hosts match the
// allowed requests.
void record_usage(const manifest::Manifest& m, const std::vector<Request>& requests, Usage& usage);

// A warning per scope and egress entry `m` declares that no render used.
// `manifest_name` is how the manifest is named in the advice.
std::vector<Finding> check_unused(const manifest::Manifest& m, const Usage& usage,
                                  const std::string& manifest_name);

}  // namespace vitrine::validate
