// Admin API identity: bearer tokens with one role each.
//
//   token text   vtr_<43 base64url chars of 32 random bytes>  (shown once)
//   stored       SHA-256 hex of the token text only
//   roles        platform-admin | space-admin:SPACE | editor:SPACE | viewer:SPACE
//                (an editor is a viewer who may also change the space's pages)
//   binding      a space role names the space by key and is bound to the
//                space's immutable id: deleting the space revokes the token,
//                and a space created again with the key is not its space
//
// authorize(token, action, space) answers, from a table of actions:
//   allow      the role covers the action in that space
//   not_found  the space does not exist, or belongs to a role for another
//              space: another space's resources are indistinguishable from
//              missing ones (P6)
//   denied     the role is for this space but too weak (viewer doing admin)
//   unauthenticated  unknown, revoked or expired token, or a space token whose
//                    space was deleted (even if a space with that key exists again)
//   unavailable  the database could not answer (Errc::io): no judgement on the
//                credential at all, so callers answer 503 and never count it
//                as a failed sign-in
//
// Token fields the console and the JSON API show (AdminTokenRow, backend.h):
//   id, name, role, created_at/by, expires_at (0 = never), last_used_at
//   (0 = never; written at most once a minute per token, so it is accurate
//   to a minute), revoked_at (0 = active). Never the token or its hash.
//
// Principals hold one role (a token) or several (a user signed in through
// OpenID Connect, roles from auth.oidc.roles). decide() is the one table
// lookup for both: allow when any role allows; not_found when no role is for
// that space (P6); denied when a role is for the space but too weak.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/context.h"
#include "store/crypto/secure_bytes.h"

namespace vitrine::store {

enum class Action {
  space_list,
  space_create,
  space_delete,
  space_connect,  // approves origins: platform admins only
  space_show,
  token_set,  // set / rotate / revoke the space's Grafana token
  token_status,
  test_connection,
  plugin_approve,
  plugin_enable,  // enable / disable in a space
  cache_read,
  asset_read,
  audit_read,
  admin_tokens,  // create / list / revoke admin tokens
  page_read,     // a page's text, history and diffs (every role of the space)
  page_write,    // create / edit / rename / delete / restore pages (editor and up)
};

enum class Verdict { allow, not_found, denied, unauthenticated, unavailable };
std::string_view to_string(Verdict v);

struct Role {
  enum class Kind { platform_admin, space_admin, editor, viewer } kind = Kind::viewer;
  std::string space;  // for space_admin / editor / viewer
};

Result<Role> parse_role(std::string_view text);
std::string to_string(const Role& role);

struct Principal {
  std::string token_id;  // empty for a signed-in user
  Role role;             // the strongest role (platform-admin first); roles[0]
  std::vector<Role> roles;
  std::string user;  // a signed-in user's audit name (user:HOST/SUBJECT); empty for tokens
  bool platform_admin() const;
  bool holds(Role::Kind kind, const std::string& space) const;
};

// A principal of these roles, ordered platform-admin first, then space
// admins, then viewers (role == roles[0]); roles must not be empty.
Principal principal_of(std::vector<Role> roles);

struct Authorization {
  Verdict verdict = Verdict::unauthenticated;
  Principal principal;  // valid unless unauthenticated
  std::string message;
};

struct CreatedToken {
  AdminTokenRow row;
  crypto::SecretString token;  // show once, then drop
};

class AdminTokens {
 public:
  explicit AdminTokens(Context ctx) : ctx_(std::move(ctx)) {}

  Result<CreatedToken> create(const std::string& who, std::string_view role);
  // name: what it is for (at most 64 printable characters); expires_at_ms 0
  // = never, otherwise it must lie in the future.
  Result<CreatedToken> create(const std::string& who, std::string_view role,
                              const std::string& name, int64_t expires_at_ms);
  Result<std::vector<AdminTokenRow>> list();
  Status revoke(const std::string& who, const std::string& id);

  Result<Principal> authenticate(std::string_view token);
  // The same checks for a token named by its id (a browser session stores
  // the id, never the text): Errc::denied when it is unknown, revoked,
  // expired or its space is gone; Errc::io when the database cannot say.
  Result<Principal> principal_of_id(const std::string& token_id);
  // `space` is empty for platform-wide actions (space_list, space_create,
  // plugin_approve, admin_tokens).
  Authorization authorize(std::string_view token, Action action, const std::string& space);
  // The same table for a principal already authenticated (a user session).
  Authorization decide(const Principal& principal, Action action, const std::string& space);

 private:
  // Revocation, expiry and the space binding of a token row found.
  Result<Principal> principal_of_row(const AdminTokenRow& row, const Error& unauth);
  Context ctx_;
};

}  // namespace vitrine::store
