// URL building. Plugins never take a URL from a parameter and fetch it: every
// request is the space's Grafana base URL plus a fixed API path plus a query
// built here with RFC 3986 percent-encoding.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vitrine/sdk.hpp"

namespace vitrine::pc {

// Percent-encodes everything except RFC 3986 unreserved characters (the
// SDK's vsdk_url_query_component).
std::string pct(std::string_view s);

// "" or "?a=1&b=2", names and values encoded like pct().
using Query = vitrine::sdk::Query;

// base_url without trailing '/', + path + query. `path` must start with '/'.
std::string api_url(std::string_view base_url, std::string_view path, const Query& q = {});

struct Origin {
  std::string scheme;
  std::string host;   // lowercased
  int port = 0;       // explicit or the scheme default
  std::string path;   // the rest from the first '/', without query/fragment
  std::string query;  // without '?'
};
// A strict split of an absolute http(s) URL; nullopt for anything else
// (userinfo, spaces, control bytes, no host).
std::optional<Origin> parse_origin(std::string_view url);
bool same_origin(const Origin& a, const Origin& b);

// A Grafana uid: 1-40 of [A-Za-z0-9_-] (Grafana's own rule).
bool is_valid_uid(std::string_view uid);

}  // namespace vitrine::pc
