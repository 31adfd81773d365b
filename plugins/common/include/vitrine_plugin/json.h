// Tolerant accessors over Poco::JSON for Grafana responses. Grafana's shapes
// vary between versions (older stacks omit fields, some send null), so each
// accessor returns a default or nullopt for a missing, null or wrongly typed
// field instead of throwing.
#pragma once

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vitrine::pc::json {

using Obj = Poco::JSON::Object::Ptr;
using Arr = Poco::JSON::Array::Ptr;
using Var = Poco::Dynamic::Var;

// Parses a whole document. On failure returns nullopt and sets `error`.
std::optional<Var> parse(std::string_view body, std::string& error);

Obj as_object(const Var& v);  // null Ptr unless v holds an object
Arr as_array(const Var& v);   // null Ptr unless v holds an array

Obj object(const Obj& o, const std::string& key);
Arr array(const Obj& o, const std::string& key);
// Only a JSON string counts; anything else gives `fallback`.
std::string string(const Obj& o, const std::string& key, std::string fallback = {});
// A JSON integer (or an integral double); nullopt otherwise.
std::optional<int64_t> integer(const Obj& o, const std::string& key);
std::optional<bool> boolean(const Obj& o, const std::string& key);
// The string elements of an array field; non-strings are skipped.
std::vector<std::string> strings(const Obj& o, const std::string& key);
// A string-valued object (labels, annotations) as ordered pairs; non-string
// values are skipped.
std::vector<std::pair<std::string, std::string>> string_map(const Obj& o, const std::string& key);

}  // namespace vitrine::pc::json
