// The server's own request/response values. Handlers take a fully read,
// size-checked Request and return a Response; only the listener
// (server/net/http_listener.h) touches sockets. Keeping handlers pure makes
// every policy (auth, CSRF, headers) testable and impossible to bypass by
// writing to a stream early.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vitrine::server {

struct Request {
  std::string method;
  std::string path;   // raw path, never percent-decoded (ids are [a-z0-9-])
  std::string query;  // raw query string without '?'
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::map<std::string, std::string> params;  // filled by the router from {name} segments
  std::string route;                          // the matched route template
  // The client's address as the listener saw it (X-Forwarded-For when the
  // peer is a trusted proxy); empty when the request did not come through
  // the listener (tests calling Server::handle).
  std::string client = {};

  // Empty when absent.
  std::string header(std::string_view lower_name) const;
  std::optional<std::string> query_param(std::string_view name) const;
  std::string param(const std::string& name) const;
  // The media type of Content-Type without parameters, lower-case.
  std::string media_type() const;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  bool is_html() const;
  void set_header(const std::string& name, const std::string& value);
  bool has_header(std::string_view name) const;
};

Response text_response(int status, std::string body);
Response html_response(int status, std::string body);
Response json_response(int status, std::string body);
// 303 See Other: the POST-redirect-GET step of every form.
Response redirect(const std::string& location);

// application/x-www-form-urlencoded and query strings: '+' is a space,
// %XX decoded; a malformed escape drops that pair. Last value wins.
std::map<std::string, std::string> parse_form(std::string_view text);
std::map<std::string, std::string> parse_cookies(std::string_view header);

// [a-z0-9-]{1,max}: the shape of page names, plugin ids, macro keys and asset ids.
bool is_slug(std::string_view s, std::size_t max);

}  // namespace vitrine::server
