// The allowlist sanitizer every plugin's HTML passes before it reaches a
// page. A plugin is third-party code: its output is treated like any other
// untrusted input. The fragment is parsed with an HTML5 parser (gumbo) and a
// new document is serialized from the parse tree, keeping only what the
// tables in sanitizer.cpp allow. Nothing is ever matched with regular
// expressions on HTML text: the browser would parse it differently.
//
// Rule ids are stable (logs, metrics and docs/security/sanitizer.md refer to
// them); see sanitizer_rules.h.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace vitrine::render {

struct SanitizeContext {
  // The space's Grafana origin, "https://host" or "https://host:port". Links
  // (a href) may point only here or to `link_origins`.
  std::string grafana_origin;
  // Same-origin path prefix of the space's assets, e.g. "/assets/SPACE/".
  // Must start and end with '/'. Empty: no asset images are allowed.
  std::string asset_prefix;
  // Further origins links may point to (admin-approved), same form as
  // grafana_origin.
  std::vector<std::string> link_origins;
  // Prefix for id attributes (and the references to them: url(#id),
  // headers, aria-labelledby, ...) so plugin ids cannot clobber the host's
  // or another macro's. An id that already carries it is kept as is, which
  // keeps sanitize() idempotent.
  std::string id_prefix = "vm-";

  size_t max_input_bytes = size_t{4} << 20;       // longer input is cut
  size_t max_depth = 256;                         // deeper elements dropped
  size_t max_elements = 100000;                   // start tags in the input
  size_t max_data_image_bytes = size_t{1} << 20;  // decoded data: image size
  size_t max_removals_listed = 256;               // entries kept in `removed`
};

// One thing the sanitizer removed or cut, for logs and metrics.
struct Removal {
  std::string rule;       // rule id, e.g. "sanitize-attr-event-handler"
  std::string element;    // element name ("" for input-level rules)
  std::string attribute;  // attribute name, "" when the rule is about an element
};

struct SanitizeResult {
  std::string html;              // safe HTML fragment
  std::vector<Removal> removed;  // at most max_removals_listed entries
  size_t removed_total = 0;      // all removals, including those not listed
  bool truncated = false;        // a size, element-count or depth limit cut content
};

// Never throws for any input bytes (invalid UTF-8, NUL, huge or deep input);
// only std::bad_alloc can escape.
SanitizeResult sanitize(std::string_view html, const SanitizeContext& context);

}  // namespace vitrine::render
