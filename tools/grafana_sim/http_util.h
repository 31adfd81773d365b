// Request/response values shared by the API handlers, and the exact error
// bodies Grafana (and the nginx in front of Grafana Cloud) answer with.
#pragma once

#include <Poco/Dynamic/Var.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vitrine::sim {

struct ApiRequest {
  std::string method;
  std::string path;  // decoded, without query
  std::vector<std::pair<std::string, std::string>> query;

  std::optional<std::string> param(const std::string& name) const;
  std::vector<std::string> params(const std::string& name) const;  // repeated keys
};

// Handlers return a value; the router decides how (and whether) it reaches the
// wire, which is where faults such as truncation or slow drip apply.
struct Reply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Compact JSON, in the key order the fixture was written in.
std::string to_json(const Poco::Dynamic::Var& value);

Reply json_reply(int status, const Poco::Dynamic::Var& value);

// {"message": ...} as Grafana's JsonApiErr writes it (traceID empty without tracing).
Reply grafana_message(int status, const std::string& message);

// Grafana 10+ errutil shape: message, messageId, statusCode, traceID.
Reply grafana_errutil(int status, const std::string& message_id, const std::string& message);

// The HTML page Grafana renders for non-API errors (c.Handle on /render etc.).
Reply grafana_html_error(int status, const std::string& message);

// The bare page nginx answers with when the Grafana behind it is unreachable.
Reply nginx_html_error(int status);

std::string reason_phrase(int status);

// Parses a base-10 integer; nullopt on garbage or overflow.
std::optional<long long> parse_int(const std::string& text);

}  // namespace vitrine::sim
