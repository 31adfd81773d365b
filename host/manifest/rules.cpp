#include "manifest/rules.h"

#include <algorithm>
#include <array>

namespace vitrine::manifest {
namespace {

using enum Severity;

constexpr std::array kRules = std::to_array<RuleInfo>({
    {"file-unreadable", error, "the file is missing, a directory, or cannot be read"},
    {"file-too-large", error, "the file is larger than 1 MiB"},
    {"file-binary", error, "the file has NUL bytes or is not valid UTF-8"},
    {"yaml-syntax", error, "the file is not well-formed YAML"},
    {"yaml-duplicate-key", error, "a mapping has the same key twice"},
    {"yaml-alias", error, "anchors and aliases are not allowed"},
    {"yaml-tag", error, "explicit YAML tags are not allowed"},
    {"yaml-multiple-documents", error, "the file has more than one YAML document"},
    {"schema-unknown-key", error, "a key that the manifest format does not define"},
    {"schema-missing-key", error, "a required key is absent"},
    {"schema-type", error, "a value has the wrong kind (mapping, list, string, boolean, integer)"},
    {"schema-empty", error, "a text field is empty"},
    {"plugin-id-format", error, "plugin.id does not match [a-z][a-z0-9_]{1,63}"},
    {"plugin-version-format", error, "plugin.version is not MAJOR.MINOR.PATCH"},
    {"plugin-abi-format", error, "plugin.abi is not a quoted \"MAJOR.MINOR\""},
    {"plugin-library-path", error, "plugin.library is not a plain .so file name"},
    {"macros-empty", error, "the plugin declares no macros"},
    {"macro-key-format", error, "a macro key does not match [a-z][a-z0-9-]{1,63}"},
    {"macro-key-duplicate", error, "two macros have the same key"},
    {"param-name-format", error, "a parameter name does not match [a-z][a-z0-9_]{0,63}"},
    {"param-name-duplicate", error, "two parameters of one macro have the same name"},
    {"param-type-unknown", error, "a parameter type is not one of the defined types"},
    {"param-option-wrong-type", error, "an option that does not apply to the parameter's type"},
    {"param-enum-empty", error, "an enum or enum_list parameter has no values"},
    {"param-enum-duplicate", error, "an enum value is listed twice"},
    {"param-range-order", error, "an integer parameter has min greater than max"},
    {"param-max-length-invalid", error, "max_length is not between 1 and 65536"},
    {"param-pattern-invalid", error, "pattern is not a valid ECMAScript regular expression"},
    {"param-default-type", error, "a default does not have the parameter's type"},
    {"param-default-range", error, "a default is outside the parameter's allowed values"},
    {"param-required-with-default", warning, "a required parameter has a default"},
    {"scope-unknown", error, "a scope that is not in the scope catalog"},
    {"scope-duplicate", error, "a scope is listed twice"},
    {"scope-without-egress", warning, "a grafana:* scope is requested but no egress is declared"},
    {"egress-syntax", error, "an egress entry has whitespace, control characters, '\\' or '%'"},
    {"egress-scheme", error, "an egress entry is not https://"},
    {"egress-case", error, "an egress entry has uppercase letters"},
    {"egress-non-ascii", error, "an egress host has non-ASCII characters (use the A-label)"},
    {"egress-userinfo", error, "an egress entry has user:password@"},
    {"egress-query-fragment", error, "an egress entry has a query or fragment"},
    {"egress-path", error, "an egress entry has a path other than /"},
    {"egress-port", error,
     "an egress port is empty, not a number, has leading zeros or is out of "
     "range"},
    {"egress-wildcard-position", error, "a wildcard that is not the whole leftmost label"},
    {"egress-ip-literal", error, "an egress host is an IP address in any notation"},
    {"egress-label", error, "an egress host has an empty, too long or malformed label"},
    {"egress-public-suffix", error, "an egress entry is or covers a public suffix"},
    {"egress-duplicate", error, "the same egress origin is declared twice"},
    {"egress-without-scope", warning, "egress is declared but no grafana:* scope is requested"},
    {"license-feature-format", error,
     "a licensing feature key does not match [a-z][a-z0-9-]{1,63}"},
    {"license-feature-duplicate", error, "a licensing feature key is declared twice"},
    {"license-feature-unknown", error, "a macro requires a feature not declared under licensing"},
    {"license-feature-unused", warning, "a licensing feature that no macro requires"},
});

}  // namespace

std::span<const RuleInfo> all_rules() { return kRules; }

const RuleInfo* find_rule(std::string_view id) {
  auto it =
      std::find_if(kRules.begin(), kRules.end(), [&](const RuleInfo& r) { return r.id == id; });
  return it == kRules.end() ? nullptr : &*it;
}

}  // namespace vitrine::manifest
