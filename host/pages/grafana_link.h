// The link converter: a Grafana URL pasted by a page author becomes the
// macro block that shows the same thing (docs/editing.md lists the shapes).
//
//   https://G/d/UID/slug                      -> ```dashboard
//   https://G/d/UID/slug?viewPanel=N          -> ```panel-image
//   https://G/d-solo/UID/slug?panelId=N       -> ```panel-image
//   https://G/render/d-solo/UID/slug?panelId=N -> ```panel-image
//
// G is the space's Grafana origin, optionally followed by the sub-path
// Grafana is served under (root_url, e.g. https://host/grafana/d/...).
//
// The pasted text is untrusted: it goes through the egress module's strict
// URL parser, and every value that lands in the block is checked so that no
// link can add a line, close the fence or open a quote in the page. Every
// refusal names its rule and says what to paste instead. Pure functions, no
// I/O: [thread-safe].
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vitrine::pages {

// A macro block: the fence's key and its parameters in output order.
struct MacroBlock {
  std::string key;
  std::vector<std::pair<std::string, std::string>> params;

  // The fenced block, lines joined by `eol`, with no line ending after the
  // closing fence. Values are quoted where YAML would otherwise read them
  // as something else (numbers, booleans, null).
  std::string text(std::string_view eol = "\n") const;
};

struct LinkResult {
  bool ok = false;
  MacroBlock block;  // when ok
  // When ok: query parameters that were not carried into the block and why
  // (e.g. "orgId=2 not carried: the space's token decides the organization").
  std::vector<std::string> notes;
  std::string rule;     // when !ok: link-* rule id
  std::string message;  // when !ok: what was wrong and what to paste instead
};

// Converts `url` for a space whose connected Grafana origin is
// `grafana_origin` (https://host[:port], as stored for the space; empty
// when the space is not connected).
LinkResult convert_grafana_link(std::string_view url, std::string_view grafana_origin);

struct LineResult {
  bool ok = false;
  std::string document;            // when ok: the whole document, converted
  std::vector<std::string> notes;  // when ok: as LinkResult::notes
  std::string rule;                // when !ok
  std::string message;             // when !ok
};

// The "paste on its own line" behaviour: when line `line` (1-based) of
// `markdown` holds only a URL (up to three spaces of indentation, optional
// trailing blanks, optionally as <URL>), that line is replaced by the macro
// block. Every other byte of the document is left as it was, and the block
// uses the line ending the replaced line had. Lines inside a fenced code
// block are not converted (rule link-line-in-code-block).
LineResult convert_link_line(std::string_view markdown, std::size_t line,
                             std::string_view grafana_origin);

}  // namespace vitrine::pages
