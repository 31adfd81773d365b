// The closed list of sanitizer rule ids. Ids are stable: logs, metrics and
// docs/security/sanitizer.md refer to them, so a rule may be added but never
// renamed or reused for a different meaning.
#pragma once

#include <span>
#include <string_view>

namespace vitrine::render::rules {

// Input limits (each one cuts content and sets SanitizeResult::truncated).
inline constexpr std::string_view kInputSize = "sanitize-limit-input-size";
inline constexpr std::string_view kElementCount = "sanitize-limit-elements";
inline constexpr std::string_view kDepth = "sanitize-limit-depth";

// Elements.
inline constexpr std::string_view kElementDropped = "sanitize-element-dropped";
inline constexpr std::string_view kElementUnwrapped = "sanitize-element-unwrapped";
inline constexpr std::string_view kElementNamespace = "sanitize-element-namespace";
inline constexpr std::string_view kComment = "sanitize-comment";

// Attributes.
inline constexpr std::string_view kAttrEventHandler = "sanitize-attr-event-handler";
inline constexpr std::string_view kAttrStyle = "sanitize-attr-style";
inline constexpr std::string_view kAttrNotAllowed = "sanitize-attr-not-allowed";
inline constexpr std::string_view kAttrNamespaced = "sanitize-attr-namespaced";
inline constexpr std::string_view kAttrValue = "sanitize-attr-value";
inline constexpr std::string_view kAttrReserved = "sanitize-attr-reserved";
inline constexpr std::string_view kSvgHref = "sanitize-svg-href";
inline constexpr std::string_view kSvgUrl = "sanitize-svg-url";

// URLs.
inline constexpr std::string_view kLinkScheme = "sanitize-link-scheme";
inline constexpr std::string_view kLinkSyntax = "sanitize-link-syntax";
inline constexpr std::string_view kLinkOrigin = "sanitize-link-origin";
inline constexpr std::string_view kLinkRel = "sanitize-link-rel";
inline constexpr std::string_view kImgSrc = "sanitize-img-src";
inline constexpr std::string_view kImgAsset = "sanitize-img-asset";
inline constexpr std::string_view kImgData = "sanitize-img-data";

struct RuleInfo {
  std::string_view id;
  std::string_view summary;
};

std::span<const RuleInfo> all();

}  // namespace vitrine::render::rules
