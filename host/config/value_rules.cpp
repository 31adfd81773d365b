#include "config/value_rules.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace vitrine::config {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string quoted(std::string_view key, std::string_view value) {
  return std::string(key) + " '" + std::string(value) + "'";
}

bool is_ipv4(std::string_view s) {
  in_addr a{};
  return inet_pton(AF_INET, std::string(s).c_str(), &a) == 1;
}

bool is_ipv6(std::string_view s) {
  in6_addr a{};
  return inet_pton(AF_INET6, std::string(s).c_str(), &a) == 1;
}

// "[::1]" or a name or an IPv4 address.
bool valid_host(std::string_view host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    return is_ipv6(host.substr(1, host.size() - 2));
  }
  return is_ipv4(host) || is_host_name(host);
}

std::optional<uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  if (!std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return std::nullopt;
  }
  const auto v = parse_whole_number(text);
  if (!v || *v > 65535) return std::nullopt;
  return static_cast<uint16_t>(*v);
}

}  // namespace

bool is_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i <= host.size(); ++i) {
    if (i == host.size() || host[i] == '.') {
      if (label == 0 || label > 63) return false;
      if (host[i - 1] == '-' || host[i - label] == '-') return false;
      label = 0;
      continue;
    }
    const auto c = static_cast<unsigned char>(host[i]);
    if (std::isalnum(c) == 0 && c != '-') return false;
    ++label;
  }
  return true;
}

std::optional<int64_t> parse_whole_number(std::string_view text) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || p != end) return std::nullopt;
  return v;
}

std::variant<std::string, ValueError> check_origin(std::string_view key, std::string_view value) {
  const auto bad = [&](const std::string& why) {
    return ValueError{quoted(key, value) + " " + why};
  };
  const auto sep = value.find("://");
  if (sep == std::string_view::npos) {
    const std::string host(value.substr(0, value.find_first_of("/?#")));
    return bad("is not an absolute origin; write it with its scheme, e.g. https://" +
               (host.empty() ? std::string("docs.example.com") : host));
  }
  const std::string scheme = lower(value.substr(0, sep));
  if (scheme != "https" && scheme != "http") {
    return bad("has the scheme '" + scheme +
               "'; write an http or https origin, e.g. https://docs.example.com");
  }
  std::string_view rest = value.substr(sep + 3);
  const auto end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, end);
  const std::string_view tail = end == std::string_view::npos ? "" : rest.substr(end);
  const std::string example = scheme + "://" + std::string(authority);
  if (authority.find('@') != std::string_view::npos) {
    return bad("contains a user name or password; write only scheme, host and port, e.g. " +
               scheme + "://docs.example.com");
  }
  if (!tail.empty() && tail != "/") {
    return bad("has a path, query or fragment ('" + std::string(tail) +
               "'); the public URL is an origin: write only scheme, host and port, e.g. " +
               example);
  }
  std::string_view host = authority;
  std::optional<uint16_t> port;
  const auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    host = authority.substr(0, colon);
    port = parse_port(authority.substr(colon + 1));
    if (!port || *port == 0) {
      return bad("has an invalid port '" + std::string(authority.substr(colon + 1)) +
                 "'; write a port from 1 to 65535, or none for the scheme's default");
    }
  }
  if (!valid_host(host)) {
    return bad("has no valid host name; write scheme and host, e.g. https://docs.example.com");
  }
  std::string origin = scheme + "://" + lower(host);
  // Browsers omit the scheme's default port from Origin; so must we, or
  // every form post would be refused as cross-origin.
  const uint16_t default_port = scheme == "https" ? 443 : 80;
  if (port && *port != default_port) origin += ":" + std::to_string(*port);
  return origin;
}

std::variant<HostPort, ValueError> check_listen(std::string_view key, std::string_view value) {
  const auto colon = value.rfind(':');
  const auto bad = [&](const std::string& why) {
    return ValueError{quoted(key, value) + " " + why +
                      "; write HOST:PORT, e.g. 127.0.0.1:8080 (port 0 picks a free port)"};
  };
  if (colon == std::string_view::npos) return bad("has no port");
  const std::string_view host = value.substr(0, colon);
  const auto port = parse_port(value.substr(colon + 1));
  if (!port) return bad("has an invalid port (0-65535)");
  if (!valid_host(host) && !is_ipv6(host)) return bad("has no valid host");
  // The listener binds the bare address.
  const bool bracketed = host.size() > 2 && host.front() == '[';
  return HostPort{std::string(bracketed ? host.substr(1, host.size() - 2) : host), *port};
}

std::optional<ValueError> check_path(std::string_view key, std::string_view value,
                                     std::string_view example) {
  if (value.empty()) {
    return ValueError{std::string(key) + " is empty; write a path, e.g. " + std::string(key) +
                      ": " + std::string(example) + ", or remove the key for the default"};
  }
  if (std::any_of(value.begin(), value.end(), [](unsigned char c) { return c < 0x20; })) {
    return ValueError{std::string(key) +
                      " contains a control character; write a plain path, e.g. " +
                      std::string(key) + ": " + std::string(example)};
  }
  return std::nullopt;
}

std::optional<ValueError> check_csp_sources(std::string_view key, std::string_view value) {
  const bool bad = value.empty() || std::any_of(value.begin(), value.end(), [](char c) {
                     const auto u = static_cast<unsigned char>(c);
                     return u < 0x20 || u >= 0x7f || c == ';' || c == ',';
                   });
  if (!bad) return std::nullopt;
  return ValueError{quoted(key, value) +
                    " is not a CSP source list (it is empty, or has ';', ',' or a non-printable "
                    "character); write sources separated by spaces, e.g. \"'self' "
                    "https://wiki.example.com\", or \"'none'\""};
}

}  // namespace vitrine::config
