// Tolerant accessors for Grafana responses over the SDK's JSON reader
// (vitrine/sdk.hpp, docs/sdk.md). Grafana's shapes vary between versions
// (older stacks omit fields, some send null), so each accessor returns a
// default, an empty view or nullopt for a missing, null or wrongly typed
// field instead of failing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vitrine/sdk.hpp"

namespace vitrine::pc::json {

// A parsed document: owns every view taken from it.
using Doc = vitrine::sdk::Document;
// Views into a Doc; an empty view (false) stands for "missing".
using Obj = vitrine::sdk::Json;
using Arr = vitrine::sdk::Json;

Obj as_object(Obj v);         // empty unless v is an object
Arr as_array(Arr v);          // empty unless v is an array
Obj as_object(const Doc& d);  // the document's root when it is an object
Arr as_array(const Doc& d);   // the document's root when it is an array

Obj object(Obj o, std::string_view key);
Arr array(Obj o, std::string_view key);
// Only a JSON string counts; anything else gives `fallback`.
std::string string(Obj o, std::string_view key, std::string fallback = {});
// A JSON integer (or an integral number up to 2^53); nullopt otherwise.
std::optional<int64_t> integer(Obj o, std::string_view key);
std::optional<bool> boolean(Obj o, std::string_view key);
// The string elements of an array field; non-strings are skipped.
std::vector<std::string> strings(Obj o, std::string_view key);
// A string-valued object (labels, annotations) as pairs sorted by key, so
// the output does not depend on Grafana's member order; non-string values
// are skipped.
std::vector<std::pair<std::string, std::string>> string_map(Obj o, std::string_view key);

}  // namespace vitrine::pc::json
