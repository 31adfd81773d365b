// Share links (docs/embedding.md#share-links): signed, expiring, revocable,
// read-only links to one page or one macro of a space, for readers without
// a Vitrine account.
//
//   token    <id>.<sig>: id is 32 lowercase hex chars (16 random bytes),
//            sig is base64url (no padding) of
//            HMAC-SHA256(space key, "vitrine.share-link.v1" | id | space id |
//                        page | macro | expires_at), each field
//            length-prefixed (4-byte big-endian length, then the bytes)
//   key      32 random bytes per space, created with the space's first link
//            and stored as the space's secret "share_link_key", sealed with
//            the keyring (AES-256-GCM, AAD bound to the space and its id);
//            never the Grafana token. Deleting the space deletes the key.
//   stored   the row (store/backend.h ShareLinkRow), never the signature
//
// verify(token) answers from a table of rules, checked in this order; a
// refusal names its rule:
//   share-link-malformed   the token is not <32 hex>.<43 base64url>
//   share-link-unknown     no link has this id
//   share-link-space-gone  the link's space was deleted (a space created
//                          again with the key has another id)
//   share-link-signature   the signature does not match (tampered token,
//                          or a row changed in the database)
//   share-link-revoked     a space admin revoked it
//   share-link-expired     its expiry has passed
// The page's existence and the plugins' approval and enablement are checked
// by the server on every use (server/share_link_view.cpp), not here.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/backend.h"
#include "store/context.h"
#include "store/crypto/secure_bytes.h"

namespace vitrine::store {

inline constexpr const char* kShareLinkKeyRecord = "share_link_key";
inline constexpr int64_t kShareLinkMinTtlS = 1;
inline constexpr int64_t kShareLinkMaxTtlS = 365LL * 24 * 3600;
inline constexpr int64_t kShareLinkDefaultTtlS = 7LL * 24 * 3600;

namespace rules {
constexpr const char* kShareLinkMalformed =
    "share-link-malformed";  // the token is not <32 hex>.<43 base64url>
constexpr const char* kShareLinkUnknown = "share-link-unknown";  // no share link has this id
constexpr const char* kShareLinkSpaceGone =
    "share-link-space-gone";  // the share link's space was deleted (another space id now)
constexpr const char* kShareLinkSignature =
    "share-link-signature";  // the share link's signature does not match
constexpr const char* kShareLinkRevoked = "share-link-revoked";  // an admin revoked the share link
constexpr const char* kShareLinkExpired = "share-link-expired";  // the share link's expiry passed
}  // namespace rules

struct ShareTokenParts {
  std::string id;
  std::string signature;
};
// The two parts of a token, or nullopt when it does not have the shape.
std::optional<ShareTokenParts> parse_share_token(std::string_view token);
// The signature of `row` under `key` (32 bytes). [thread-safe]
std::string share_link_signature(std::string_view key, const ShareLinkRow& row);

struct ShareLinkCheck {
  bool ok = false;
  ShareLinkRow row;     // set when the id was found
  std::string rule;     // when refused
  std::string message;  // when refused: what happened and what to do
};

struct CreatedShareLink {
  ShareLinkRow row;
  std::string token;  // <id>.<sig>: the link is BASE/s/<token>
};

class ShareLinks {
 public:
  explicit ShareLinks(Context ctx) : ctx_(std::move(ctx)) {}

  // `macro` 0 links the whole page; ttl_s within [kShareLinkMinTtlS (1 s),
  // kShareLinkMaxTtlS]. The caller checked that the page exists. Audited
  // as share_link.create.
  Result<CreatedShareLink> create(const std::string& who, const std::string& space,
                                  const std::string& page, int64_t macro, int64_t ttl_s);
  // The space's links, oldest first, with their tokens (an admin can copy a
  // link again); expired and revoked ones included.
  Result<std::vector<CreatedShareLink>> list(const std::string& space);
  // Audited as share_link.revoke.
  Status revoke(const std::string& who, const std::string& space, const std::string& id);
  // The rules above. [thread-safe]
  ShareLinkCheck verify(std::string_view token);

 private:
  // The space's share-link key; created when `create_missing` and absent.
  Result<crypto::SecretString> key_of(const SpaceRow& space, bool create_missing,
                                      const std::string& who = {});
  Context ctx_;
};

}  // namespace vitrine::store
