// The value types of vitrine.yml, one checker each, independent of YAML so
// they can be tested as tables. Each answers either the value to use
// (normalised) or an error message that says what to write instead; the
// rule id is fixed per type (see config.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace vitrine::config {

struct ValueError {
  std::string message;  // starts with the key and the offending value
};

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

// An absolute http(s) origin: scheme, host, optional port, nothing else
// (a '/' alone is allowed). Normalised to what browsers send as Origin:
// lowercase scheme and host, no default port, no trailing '/'.
// Rule config-origin.
std::variant<std::string, ValueError> check_origin(std::string_view key, std::string_view value);

// HOST:PORT with a port 0-65535 (0: any free port); HOST a name, an IPv4
// address or a bracketed IPv6 address. Rule config-listen.
std::variant<HostPort, ValueError> check_listen(std::string_view key, std::string_view value);

// A non-empty path without control characters. Rule config-path.
std::optional<ValueError> check_path(std::string_view key, std::string_view value,
                                     std::string_view example);

// A CSP source list for frame-ancestors: non-empty, printable ASCII, no ';'
// or ',' (which would start another directive). Rule config-csp.
std::optional<ValueError> check_csp_sources(std::string_view key, std::string_view value);

// A host name (letters, digits, '-', '.'; labels 1-63, total at most 253).
bool is_host_name(std::string_view host);

// A whole decimal number (optional leading '-'), nothing else.
std::optional<int64_t> parse_whole_number(std::string_view text);

}  // namespace vitrine::config
