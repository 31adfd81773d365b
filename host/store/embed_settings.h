// Per-space embed settings (docs/embedding.md): the origins a space admin
// allows to frame the space's embeds and share links. They become the CSP
// `frame-ancestors` of those answers; an empty list is 'none' (nobody may
// frame them).
//
// An origin is checked against a table of named rules (kEmbedOriginRules);
// a refusal names the rule:
//   embed-origin-empty      nothing given
//   embed-origin-chars      a byte outside lowercase a-z 0-9 . - : / * [ ]
//                           (upper case is lowered first): no spaces,
//                           quotes, ';' or ',' that could end the directive
//   embed-origin-scheme     not https://, and not http:// to a loopback host
//   embed-origin-form       not exactly scheme://host[:port]: a path, query,
//                           fragment or userinfo
//   embed-origin-port       a port outside 1-65535 or with leading zeros
//   embed-origin-wildcard   '*' other than as the whole leftmost label of an
//                           https host with at least two labels after it
//                           (https://*.example.com; never *.com, never http)
//   embed-origin-host       an empty label, a label over 63 bytes or
//                           starting/ending with '-'
//   embed-origin-count      more than kMaxEmbedOrigins origins
//   embed-origin-duplicate  the same origin twice
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/backend.h"
#include "store/context.h"

namespace vitrine::store {

inline constexpr std::size_t kMaxEmbedOrigins = 32;

namespace rules {
constexpr const char* kEmbedOriginEmpty = "embed-origin-empty";  // no origin given
constexpr const char* kEmbedOriginChars =
    "embed-origin-chars";  // a character other than a-z 0-9 . - : / * [ ] in an allowed origin
constexpr const char* kEmbedOriginScheme =
    "embed-origin-scheme";  // an allowed origin that is not https (nor loopback http)
constexpr const char* kEmbedOriginForm =
    "embed-origin-form";  // an allowed origin with a path, query, user or a bad IPv6 literal
constexpr const char* kEmbedOriginPort = "embed-origin-port";  // a port outside 1-65535
constexpr const char* kEmbedOriginWildcard =
    "embed-origin-wildcard";  // '*' other than as the leftmost label of an https host
constexpr const char* kEmbedOriginHost =
    "embed-origin-host";  // an empty, over-long or '-'-edged host label
constexpr const char* kEmbedOriginCount =
    "embed-origin-count";  // more than 32 allowed origins for a space
constexpr const char* kEmbedOriginDuplicate =
    "embed-origin-duplicate";  // the same allowed origin twice
}  // namespace rules

struct EmbedOriginRule {
  const char* id;
  const char* what_to_do;
};
// The rules in the order they are checked.
extern const std::vector<EmbedOriginRule> kEmbedOriginRules;

struct OriginCheck {
  bool ok = false;
  std::string origin;   // normalized (lower case) when ok
  std::string rule;     // when refused
  std::string message;  // when refused: what is wrong and what to write instead
};

// One origin against the rules. [thread-safe]
OriginCheck check_embed_origin(std::string_view text);

class EmbedSettings {
 public:
  explicit EmbedSettings(Context ctx) : ctx_(std::move(ctx)) {}

  // The space's allowed origins (not_found when the space does not exist).
  Result<std::vector<std::string>> origins(const std::string& space);
  // Replaces the list; every origin is checked first and the first refusal
  // is returned (Errc::invalid, message "[rule] ..."). Audited as
  // embed.origins with the new list.
  Status set_origins(const std::string& who, const std::string& space,
                     const std::vector<std::string>& origins);

 private:
  Context ctx_;
};

// The CSP frame-ancestors source list of these origins: "'none'" when empty.
std::string frame_ancestors_of(const std::vector<std::string>& origins);

}  // namespace vitrine::store
