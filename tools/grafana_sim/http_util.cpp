#include "http_util.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>

#include <charconv>
#include <sstream>

namespace vitrine::sim {

std::optional<std::string> ApiRequest::param(const std::string& name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::vector<std::string> ApiRequest::params(const std::string& name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : query) {
    if (k == name) out.push_back(v);
  }
  return out;
}

std::string to_json(const Poco::Dynamic::Var& value) {
  std::ostringstream out;
  Poco::JSON::Stringifier::condense(value, out, Poco::JSON_WRAP_STRINGS);
  return out.str();
}

Reply json_reply(int status, const Poco::Dynamic::Var& value) {
  Reply r;
  r.status = status;
  r.body = to_json(value);
  return r;
}

Reply grafana_message(int status, const std::string& message) {
  Poco::JSON::Object::Ptr obj = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  obj->set("message", message);
  obj->set("traceID", "");
  return json_reply(status, obj);
}

Reply grafana_errutil(int status, const std::string& message_id, const std::string& message) {
  Poco::JSON::Object::Ptr obj = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  obj->set("message", message);
  obj->set("messageId", message_id);
  obj->set("statusCode", status);
  obj->set("traceID", "");
  return json_reply(status, obj);
}

Reply grafana_html_error(int status, const std::string& message) {
  Reply r;
  r.status = status;
  r.content_type = "text/html; charset=UTF-8";
  r.body =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width\">\n"
      "<title>Grafana - Error</title>\n<base href=\"/\" />\n"
      "<link rel=\"stylesheet\" href=\"public/build/grafana.dark.css\">\n</head>\n"
      "<body class=\"theme-dark\">\n<div class=\"gf-timepicker-nav\"></div>\n"
      "<div class=\"page-container\">\n<div class=\"page-header\">\n"
      "<h1>Server side error :(</h1>\n</div>\n<h4>" +
      message + "</h4>\n<p>" + std::to_string(status) + " " + reason_phrase(status) +
      "</p>\n</div>\n</body>\n</html>\n";
  return r;
}

Reply nginx_html_error(int status) {
  Reply r;
  r.status = status;
  r.content_type = "text/html";
  const std::string title = std::to_string(status) + " " + reason_phrase(status);
  r.body = "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title +
           "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
  return r;
}

std::string reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 302:
      return "Found";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Temporarily Unavailable";
    case 504:
      return "Gateway Time-out";
    default:
      return "Error";
  }
}

std::optional<long long> parse_int(const std::string& text) {
  long long v = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return v;
}

}  // namespace vitrine::sim
