// Internals of the manifest checker, shared between its translation units
// and its unit tests. Not part of the host's interface.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "manifest/diagnostic.h"
#include "manifest/manifest.h"

namespace vitrine::manifest::detail {

inline constexpr std::size_t kMaxManifestBytes = 1024 * 1024;

// Collects diagnostics for one file. Rule ids must come from all_rules().
class Reporter {
 public:
  explicit Reporter(std::string file) : file_(std::move(file)) {}
  void error(Position pos, std::string_view rule, std::string message);
  void warning(Position pos, std::string_view rule, std::string message);
  bool has_errors() const;
  std::vector<Diagnostic> take_sorted();

 private:
  void add(Position pos, Severity severity, std::string_view rule, std::string message);
  std::string file_;
  std::vector<Diagnostic> diags_;
};

// A YAML node with its source position. We build our own tree from parser
// events because yaml-cpp's Node neither reports anchors nor tells quoted
// from plain scalars, and its map lookup hides duplicate keys.
struct YNode {
  enum class Kind { null, scalar, sequence, map };
  Kind kind = Kind::null;
  Position pos;
  std::string scalar;
  bool quoted = false;  // quoted or block scalar: always a string, never a number or boolean
  bool alias = false;   // an alias, already reported; checked no further
  std::vector<YNode> items;
  std::vector<std::pair<YNode, YNode>> entries;  // file order, duplicates kept
};

// Parses one YAML document. Returns no tree on a syntax error or an empty
// document; problems go to the reporter.
std::optional<YNode> parse_yaml(std::string_view text, Reporter& report);

// Parses and checks one permissions.external.fetch.backend address.
std::optional<EgressEntry> check_egress_address(std::string_view text, Position pos,
                                                Reporter& report);

// RFC 3492 Punycode for one label; ASCII labels come back unchanged, others
// as "xn--...". Empty on invalid UTF-8.
std::string to_a_label(std::string_view utf8_label);

// Levenshtein distance, used for "did you mean" suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);

// Best candidate within a small edit distance of `word`, or empty.
std::string_view closest(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace vitrine::manifest::detail
