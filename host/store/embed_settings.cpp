#include "store/embed_settings.h"

#include <algorithm>
#include <set>

#include "store/audit.h"

namespace vitrine::store {

const std::vector<EmbedOriginRule> kEmbedOriginRules = {
    {rules::kEmbedOriginEmpty, "write an origin such as https://wiki.example.com"},
    {rules::kEmbedOriginChars,
     "write only the origin: lowercase letters, digits, '.', '-', ':', '/' and a leading '*.'"},
    {rules::kEmbedOriginScheme,
     "use https://; http:// is accepted only for loopback (127.0.0.1, localhost, [::1])"},
    {rules::kEmbedOriginForm, "write scheme://host[:port] with no path, query, fragment or user"},
    {rules::kEmbedOriginPort, "write a port from 1 to 65535 without leading zeros, or none"},
    {rules::kEmbedOriginWildcard,
     "use '*' only as the whole leftmost label of an https host with at least two labels after "
     "it, as in https://*.example.com"},
    {rules::kEmbedOriginHost, "write a host name with non-empty labels of at most 63 bytes"},
    {rules::kEmbedOriginCount, "list at most 32 origins"},
    {rules::kEmbedOriginDuplicate, "list each origin once"},
};

namespace {

OriginCheck refuse(const char* rule, std::string_view text, const std::string& what) {
  std::string todo;
  for (const auto& r : kEmbedOriginRules) {
    if (std::string_view(r.id) == rule) todo = r.what_to_do;
  }
  std::string shown(text.substr(0, 200));
  return OriginCheck{
      false, {}, rule, "origin '" + shown + "' " + what + " [" + rule + "]; " + todo};
}

bool is_loopback_host(std::string_view host) {
  return host == "127.0.0.1" || host == "localhost" || host == "[::1]";
}

bool valid_label(std::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

}  // namespace

OriginCheck check_embed_origin(std::string_view input) {
  if (input.empty()) return refuse(rules::kEmbedOriginEmpty, input, "is empty");
  std::string text(input);
  for (auto& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
                    c == ':' || c == '/' || c == '*' || c == '[' || c == ']';
    if (!ok)
      return refuse(rules::kEmbedOriginChars, input, "contains a character not allowed here");
  }
  std::string_view rest(text);
  bool https = false;
  if (rest.rfind("https://", 0) == 0) {
    https = true;
    rest.remove_prefix(8);
  } else if (rest.rfind("http://", 0) == 0) {
    rest.remove_prefix(7);
  } else {
    return refuse(rules::kEmbedOriginScheme, input, "does not start with https://");
  }
  if (rest.find('/') != std::string_view::npos) {
    return refuse(rules::kEmbedOriginForm, input, "has a path (even a trailing '/')");
  }
  // host[:port]; an IPv6 literal only as [::1].
  std::string_view host = rest;
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos)
      return refuse(rules::kEmbedOriginForm, input, "is malformed");
    host = rest.substr(0, close + 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return refuse(rules::kEmbedOriginForm, input, "is malformed");
      port = after.substr(1);
      if (port.empty()) return refuse(rules::kEmbedOriginPort, input, "has an empty port");
    }
  } else if (const auto colon = rest.find(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (port.empty()) return refuse(rules::kEmbedOriginPort, input, "has an empty port");
  }
  if (host.find('[') != std::string_view::npos || host.find(']') != std::string_view::npos) {
    if (host != "[::1]") {
      return refuse(rules::kEmbedOriginForm, input, "has an IPv6 literal other than [::1]");
    }
  }
  if (!https && !is_loopback_host(host)) {
    return refuse(rules::kEmbedOriginScheme, input, "uses http:// for a host that is not loopback");
  }
  if (!port.empty()) {
    const bool digits =
        std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || port.size() > 5 || port.front() == '0' || std::stoi(std::string(port)) > 65535) {
      return refuse(rules::kEmbedOriginPort, input, "has an invalid port");
    }
  }
  if (host.find('*') != std::string_view::npos) {
    if (!https || host.rfind("*.", 0) != 0 || host.find('*', 1) != std::string_view::npos) {
      return refuse(rules::kEmbedOriginWildcard, input, "uses '*' where it is not allowed");
    }
    std::string_view suffix = host.substr(2);
    if (std::count(suffix.begin(), suffix.end(), '.') < 1) {
      return refuse(rules::kEmbedOriginWildcard, input, "puts '*' over a top-level domain");
    }
    host = suffix;
  }
  if (host != "[::1]") {
    std::size_t start = 0;
    while (true) {
      const auto dot = host.find('.', start);
      const auto label =
          host.substr(start, dot == std::string_view::npos ? host.npos : dot - start);
      if (!valid_label(label)) return refuse(rules::kEmbedOriginHost, input, "has an invalid host");
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
  }
  return OriginCheck{true, text, {}, {}};
}

std::string frame_ancestors_of(const std::vector<std::string>& origins) {
  if (origins.empty()) return "'none'";
  std::string out;
  for (const auto& o : origins) {
    // Re-checked on the way out: a row written by hand into the database
    // cannot inject a directive.
    if (!check_embed_origin(o).ok) continue;
    out += (out.empty() ? "" : " ") + o;
  }
  return out.empty() ? "'none'" : out;
}

Result<std::vector<std::string>> EmbedSettings::origins(const std::string& space) {
  auto sp = ctx_.db.get_space(space);
  if (!sp) return sp.error();
  auto rows = ctx_.db.list_embed_origins(space);
  if (!rows) return rows.error();
  std::vector<std::string> out;
  for (const auto& r : *rows) out.push_back(r.origin);
  return out;
}

Status EmbedSettings::set_origins(const std::string& who, const std::string& space,
                                  const std::vector<std::string>& origins) {
  std::vector<EmbedOriginRow> rows;
  std::set<std::string> seen;
  if (origins.size() > kMaxEmbedOrigins) {
    auto r = refuse(rules::kEmbedOriginCount, std::to_string(origins.size()) + " origins",
                    "is too many");
    return make_error(Errc::invalid, r.message);
  }
  std::string list;
  for (const auto& o : origins) {
    auto c = check_embed_origin(o);
    if (!c.ok) return make_error(Errc::invalid, c.message);
    if (!seen.insert(c.origin).second) {
      return make_error(Errc::invalid,
                        refuse(rules::kEmbedOriginDuplicate, o, "is listed twice").message);
    }
    rows.push_back(EmbedOriginRow{space, c.origin, ctx_.now(), who});
    list += (list.empty() ? "" : " ") + c.origin;
  }
  AuditEvent ev{who, space, "embed.origins", space, "", {{"origins", list, false}}};
  return run_audited(ctx_, ev, [&]() -> Status {
    auto sp = ctx_.db.get_space(space);
    if (!sp) return sp.error();
    return ctx_.db.replace_embed_origins(space, rows);
  });
}

}  // namespace vitrine::store
