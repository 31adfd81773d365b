#include "server/api_json.h"

#include <Poco/JSON/Parser.h>

#include <sstream>

#include "server/json_errors.h"
#include "store/report.h"

namespace vitrine::server {

std::variant<JsonObject, Response> read_json_object(const Request& request) {
  // Requiring the JSON media type also keeps HTML forms (which can only send
  // form encodings or text/plain) out of the API.
  if (request.media_type() != "application/json") {
    return json_error(415, "unsupported-media-type",
                      "send the body as JSON with 'Content-Type: application/json'");
  }
  try {
    Poco::JSON::Parser parser;
    auto value = parser.parse(request.body);
    auto object = value.extract<Poco::JSON::Object::Ptr>();
    if (!object) throw Poco::Exception("not an object");
    return object;
  } catch (const std::exception&) {  // Poco::Exception derives from it
    return json_error(400, "invalid-json", "the request body must be one JSON object");
  }
}

std::optional<std::string> string_member(const JsonObject& object, const std::string& key,
                                         std::string& error) {
  if (!object->has(key) || object->isNull(key)) return std::nullopt;
  auto v = object->get(key);
  if (!v.isString()) {
    error = "'" + key + "' must be a string";
    return std::nullopt;
  }
  return v.extract<std::string>();
}

JsonObject new_object() { return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER); }

std::string to_json(const JsonObject& object) {
  std::ostringstream out;
  object->stringify(out);
  return out.str();
}

std::string to_json(const Poco::JSON::Array::Ptr& array) {
  std::ostringstream out;
  array->stringify(out);
  return out.str();
}

Poco::Dynamic::Var text_or_null(const std::string& text) {
  if (text.empty()) return Poco::Dynamic::Var();
  return text;
}

Poco::Dynamic::Var time_value(int64_t ms) {
  if (ms == 0) return Poco::Dynamic::Var();
  return store::format_time(ms);
}

}  // namespace vitrine::server
