#include "bundle/index.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "bundle/format.h"

namespace vitrine::bundle {
namespace {

// JSON string escaping by hand so the index bytes are the same on every
// build (library stringifiers differ in what they escape, e.g. '/').
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out.append(buf);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
  return out;
}

bool fail(Refusal& refusal, const std::string& what) {
  refusal = Refusal{"bundle-format", "the bundle index is invalid: " + what +
                                         "; pack the plugin again with 'vitrine plugins pack'"};
  return false;
}

bool exact_keys(const Poco::JSON::Object& o, const std::set<std::string>& want) {
  std::vector<std::string> names;
  o.getNames(names);
  return std::set<std::string>(names.begin(), names.end()) == want && names.size() == want.size();
}

bool string_field(const Poco::JSON::Object& o, const std::string& key, std::string& out) {
  const auto v = o.get(key);
  if (!v.isString()) return false;
  out = v.extract<std::string>();
  return true;
}

bool is_sha256_hex(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

std::string to_json(const Index& index) {
  std::string out = "{\"format\":" + quoted(kMagic) + ",\"plugin\":" + quoted(index.plugin) +
                    ",\"version\":" + quoted(index.version) +
                    ",\"key_id\":" + quoted(index.key_id) + ",\"entries\":[";
  for (size_t i = 0; i < index.entries.size(); ++i) {
    const auto& e = index.entries[i];
    out += (i == 0 ? "" : ",");
    out += "{\"name\":" + quoted(e.name) + ",\"type\":" + quoted(e.type) +
           ",\"size\":" + std::to_string(e.size) + ",\"sha256\":" + quoted(e.sha256) + "}";
  }
  out += "]}";
  return out;
}

namespace {

bool parse_unguarded(std::string_view text, Index& out, Refusal& refusal) {
  Poco::JSON::Object::Ptr root;
  try {
    Poco::JSON::Parser parser;
    root = parser.parse(std::string(text)).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception&) {
    return fail(refusal, "it is not a JSON object");
  }
  if (!root) return fail(refusal, "it is not a JSON object");
  if (!exact_keys(*root, {"format", "plugin", "version", "key_id", "entries"})) {
    return fail(refusal, "its keys must be exactly format, plugin, version, key_id, entries");
  }
  std::string format;
  if (!string_field(*root, "format", format) || format != kMagic) {
    return fail(refusal, "format is not \"" + std::string(kMagic) + "\"");
  }
  if (!string_field(*root, "plugin", out.plugin) || !string_field(*root, "version", out.version) ||
      !string_field(*root, "key_id", out.key_id)) {
    return fail(refusal, "plugin, version and key_id must be strings");
  }
  Poco::JSON::Array::Ptr entries = root->getArray("entries");
  if (!entries) return fail(refusal, "entries is not a list");
  out.entries.clear();
  for (size_t i = 0; i < entries->size(); ++i) {
    Poco::JSON::Object::Ptr e = entries->getObject(static_cast<unsigned>(i));
    const std::string where = "entry " + std::to_string(i + 1);
    if (!e || !exact_keys(*e, {"name", "type", "size", "sha256"})) {
      return fail(refusal, where + " must have exactly name, type, size, sha256");
    }
    Entry entry;
    if (!string_field(*e, "name", entry.name) || !string_field(*e, "type", entry.type) ||
        !string_field(*e, "sha256", entry.sha256)) {
      return fail(refusal, where + ": name, type and sha256 must be strings");
    }
    const auto size = e->get("size");
    if (!size.isInteger() || size.isEmpty())
      return fail(refusal, where + ": size is not an integer");
    const auto n = size.convert<Poco::Int64>();
    if (n < 0) return fail(refusal, where + ": size is negative");
    entry.size = static_cast<uint64_t>(n);
    if (!is_sha256_hex(entry.sha256)) {
      return fail(refusal, where + ": sha256 is not 64 lowercase hex digits");
    }
    out.entries.push_back(std::move(entry));
  }
  return true;
}

}  // namespace

bool parse_index(std::string_view text, Index& out, Refusal& refusal) {
  // Poco throws on conversions out of range (a size over 2^63); any such
  // surprise is a malformed index, never a crash.
  try {
    return parse_unguarded(text, out, refusal);
  } catch (const std::exception&) {
    return fail(refusal, "a value has the wrong type or range");
  }
}

}  // namespace vitrine::bundle
