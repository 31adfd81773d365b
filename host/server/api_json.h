// JSON plumbing shared by the API handlers: reading a request body as one
// JSON object (with the error answer when it is not), writing objects, and
// the time format of every timestamp in the API.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "server/http.h"

namespace vitrine::server {

using JsonObject = Poco::JSON::Object::Ptr;

// The body as a JSON object, or the 400/415 answer to send instead.
std::variant<JsonObject, Response> read_json_object(const Request& request);

// A string member; nullopt when absent or null; `error` set when present but
// not a string.
std::optional<std::string> string_member(const JsonObject& object, const std::string& key,
                                         std::string& error);

JsonObject new_object();
std::string to_json(const JsonObject& object);
std::string to_json(const Poco::JSON::Array::Ptr& array);
// The text, or null when empty.
Poco::Dynamic::Var text_or_null(const std::string& text);
// RFC 3339 UTC, or null (empty Var) for 0.
Poco::Dynamic::Var time_value(int64_t ms);

}  // namespace vitrine::server
