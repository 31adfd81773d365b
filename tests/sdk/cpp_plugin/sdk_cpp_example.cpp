// sdk_cpp_example: a C++ plugin written against the installed SDK only. It
// reads a JSON object from its parameter with the SDK's reader and renders
// its string members as an escaped definition list, with a time in RFC 3339.
#include <string>

#include "vitrine/sdk.hpp"

namespace {

namespace sdk = vitrine::sdk;

sdk::Output render_fields(const sdk::Request& r) {
  const sdk::Document doc = sdk::Document::parse(r.text("data", "{}"));
  if (!doc.ok()) {
    return sdk::Output::fail(VITRINE_E_INVALID,
                             "parameter 'data' is not JSON (" + doc.error() + "); give an object");
  }
  const sdk::Json root = doc.root();
  if (!root.is_object()) {
    return sdk::Output::fail(VITRINE_E_INVALID, "parameter 'data' must be a JSON object");
  }
  std::string html = "<dl class=\"sdk-cpp\">";
  for (size_t i = 0; i < root.size(); ++i) {
    html += "<dt>" + sdk::escape_html(root.key_at(i)) + "</dt><dd>" +
            sdk::escape_html(root.at(i).str("(not a string)")) + "</dd>";
  }
  html += "</dl><time>" + sdk::rfc3339(r.integer("at_ms").value_or(0)) + "</time>";
  return sdk::Output::ok(html, 60);
}

constexpr sdk::Macro kMacros[] = {{"fields", render_fields}};

}  // namespace

VITRINE_SDK_PLUGIN("sdk_cpp_example", "1.0.0", kMacros)
