// Checks one egress address from permissions.external.fetch.backend. The
// grammar is deliberately narrower than a URL: an origin, https only, with
// a host name a human can read and libpsl can judge. Anything a URL parser
// might interpret differently from the egress policy is refused here.
#include <libpsl.h>

#include <algorithm>
#include <cctype>

#include "manifest/detail.h"

namespace vitrine::manifest::detail {
namespace {

const psl_ctx_t* psl() {
  // The built-in list keeps the decision independent of files on the host;
  // fall back to the distribution's list only if libpsl was built without one.
  static const psl_ctx_t* ctx = psl_builtin() ? psl_builtin() : psl_latest(nullptr);
  return ctx;
}

bool is_public_suffix(const std::string& name) {
  const psl_ctx_t* ctx = psl();
  // Without any list we cannot prove a name safe, so refuse it.
  return ctx == nullptr || psl_is_public_suffix(ctx, name.c_str()) != 0;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool has_upper(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

std::string quoted(std::string_view entry) { return "egress entry '" + std::string(entry) + "'"; }

// WHATWG URL parsers treat a host whose last label is numeric as IPv4, in
// any of decimal, octal, hex or short forms (127.1, 2130706433, 0x7f000001).
bool looks_like_ipv4(std::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  std::size_t dot = host.rfind('.');
  std::string_view last = dot == std::string_view::npos ? host : host.substr(dot + 1);
  if (last.empty()) return false;
  if (std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return true;
  }
  if (last.size() >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X')) {
    return std::all_of(last.begin() + 2, last.end(),
                       [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
  }
  return false;
}

std::string suggest_a_labels(std::string_view host) {
  std::string out;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = host.find('.', start);
    std::string_view label = host.substr(start, dot == std::string_view::npos ? dot : dot - start);
    std::string a = to_a_label(label);
    if (a.empty() && !label.empty()) return {};
    out += a;
    if (dot == std::string_view::npos) break;
    out += '.';
    start = dot + 1;
  }
  return out;
}

// Returns an error message for the first bad label, or empty.
std::string label_problem(std::string_view name) {
  if (name.empty()) return "has no host name";
  if (name.back() == '.') return "ends with a dot; remove the trailing dot";
  if (name.size() > 253) return "has a host name longer than 253 characters";
  std::size_t start = 0;
  while (true) {
    std::size_t dot = name.find('.', start);
    std::string_view label = name.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty()) return "has an empty label (two dots in a row or a leading dot)";
    if (label.size() > 63) {
      return "has the label '" + std::string(label.substr(0, 16)) +
             "...' longer than 63 characters";
    }
    for (char c : label) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok) {
        return "has the character '" + std::string(1, c) + "' in the label '" + std::string(label) +
               "'; host names use only letters, digits and '-'";
      }
    }
    if (label.front() == '-' || label.back() == '-') {
      return "has the label '" + std::string(label) + "' starting or ending with '-'";
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return {};
}

}  // namespace

std::optional<EgressEntry> check_egress_address(std::string_view text, Position pos,
                                                Reporter& report) {
  const std::string what = quoted(text);
  if (text.empty()) {
    report.error(pos, "egress-syntax",
                 "egress entry is empty; write an origin such as "
                 "https://grafana.example.com");
    return std::nullopt;
  }
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f || c == '\\' || c == '%') {
      std::string shown = c == '\\'  ? "'\\'"
                          : c == '%' ? "'%' (percent-encoding)"
                                     : "whitespace or "
                                       "a control "
                                       "character";
      report.error(pos, "egress-syntax",
                   what + " contains " + shown +
                       "; write a plain origin such as "
                       "https://grafana.example.com");
      return std::nullopt;
    }
  }

  std::size_t sep = text.find("://");
  if (sep == std::string_view::npos) {
    report.error(pos, "egress-scheme", what + " has no scheme; write https://" + std::string(text));
    return std::nullopt;
  }
  std::string_view scheme = text.substr(0, sep);
  std::string_view rest = text.substr(sep + 3);
  bool failed = false;
  if (lower(scheme) != "https") {
    report.error(pos, "egress-scheme",
                 what + " uses '" + std::string(scheme) +
                     "'; only https is allowed, e.g. https://" + std::string(rest));
    return std::nullopt;
  }

  bool non_ascii = std::any_of(text.begin(), text.end(),
                               [](char c) { return static_cast<unsigned char>(c) >= 0x80; });

  std::size_t tail_at = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, tail_at);
  std::string_view tail = tail_at == std::string_view::npos ? "" : rest.substr(tail_at);
  if (tail.find_first_of("?#") != std::string_view::npos) {
    report.error(pos, "egress-query-fragment",
                 what + " has a query or fragment; an egress entry names an origin only: https://" +
                     std::string(authority));
    failed = true;
  } else if (!tail.empty() && tail != "/") {
    report.error(pos, "egress-path",
                 what + " has the path '" + std::string(tail) +
                     "'; egress entries name an origin and scopes decide paths: https://" +
                     std::string(authority));
    failed = true;
  }

  if (authority.find('@') != std::string_view::npos) {
    report.error(pos, "egress-userinfo",
                 what +
                     " has user information before '@'; credentials never belong in a "
                     "manifest, the host attaches them");
    return std::nullopt;
  }
  if (!authority.empty() && authority.front() == '[') {
    report.error(pos, "egress-ip-literal",
                 what +
                     " is an IPv6 address; egress entries name hosts, and a space admin "
                     "approves private origins separately");
    return std::nullopt;
  }

  std::string_view host_text = authority;
  uint16_t port = 443;
  std::size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos) {
    host_text = authority.substr(0, colon);
    std::string_view port_text = authority.substr(colon + 1);
    bool digits = !port_text.empty() && std::all_of(port_text.begin(), port_text.end(),
                                                    [](char c) { return c >= '0' && c <= '9'; });
    unsigned long value = 0;
    if (digits && port_text.size() <= 5) value = std::stoul(std::string(port_text));
    if (port_text.empty()) {
      report.error(pos, "egress-port",
                   what + " has ':' but no port; remove the ':' or add a port such as :8443");
      failed = true;
    } else if (!digits) {
      report.error(pos, "egress-port",
                   what + " has the port '" + std::string(port_text) +
                       "', which is not a number; ports are 1-65535");
      failed = true;
    } else if (port_text.size() > 1 && port_text[0] == '0') {
      report.error(pos, "egress-port",
                   what + " has a port with leading zeros; write it without them");
      failed = true;
    } else if (port_text.size() > 5 || value == 0 || value > 65535) {
      report.error(pos, "egress-port",
                   what + " has the port " + std::string(port_text) + "; ports are 1-65535");
      failed = true;
    } else {
      port = static_cast<uint16_t>(value);
    }
  }

  if (non_ascii) {
    std::string suggestion = suggest_a_labels(host_text);
    std::string msg = what + " has non-ASCII characters; write the host as its A-label";
    if (!suggestion.empty()) msg += ": https://" + suggestion;
    report.error(pos, "egress-non-ascii", msg);
    return std::nullopt;
  }
  if (has_upper(text.substr(0, sep)) || has_upper(host_text)) {
    report.error(
        pos, "egress-case",
        what + " has uppercase letters; write it in lowercase: https://" + lower(authority));
    failed = true;
  }
  std::string host = lower(host_text);

  bool wildcard = host.starts_with("*.");
  std::string name = wildcard ? host.substr(2) : host;
  if (name.find('*') != std::string::npos) {
    report.error(pos, "egress-wildcard-position",
                 what +
                     " has a wildcard that is not the whole leftmost label; write "
                     "https://*.example.com to allow every name under example.com");
    return std::nullopt;
  }
  if (looks_like_ipv4(name)) {
    report.error(pos, "egress-ip-literal",
                 what +
                     " is an IP address (in any notation); name the host instead, and ask a "
                     "platform admin to approve private origins per space");
    return std::nullopt;
  }
  if (std::string problem = label_problem(name); !problem.empty()) {
    report.error(pos, "egress-label", what + " " + problem);
    return std::nullopt;
  }
  if (is_public_suffix(name)) {
    if (wildcard) {
      report.error(pos, "egress-public-suffix",
                   what + " covers a public suffix; name your domain, e.g. https://*.grafana.net");
    } else {
      report.error(pos, "egress-public-suffix",
                   what +
                       " is a public suffix (or a name outside any registry), not a single "
                       "host; name your host, e.g. https://grafana.example.com");
    }
    return std::nullopt;
  }
  if (failed) return std::nullopt;

  EgressEntry entry;
  entry.text = std::string(text);
  entry.wildcard = wildcard;
  entry.host = name;
  entry.port = port;
  entry.pos = pos;
  return entry;
}

}  // namespace vitrine::manifest::detail
