#include "store/admin_tokens.h"

#include <openssl/crypto.h>

#include <algorithm>

#include "digest/sha256.h"
#include "store/audit.h"
#include "store/crypto/encoding.h"
#include "store/report.h"

namespace vitrine::store {
namespace {

constexpr std::string_view kTokenPrefix = "vtr_";
constexpr std::size_t kTokenSecretBytes = 32;
constexpr std::size_t kMaxTokenName = 64;
// last_used_at is written at most this often per token.
constexpr int64_t kTouchIntervalMs = 60'000;

enum class Needs { platform, space_admin, editor, viewer };

struct ActionRule {
  Action action;
  Needs needs;
  bool space_scoped;
};

// The authorization table: one row per action.
constexpr ActionRule kRules[] = {
    {Action::space_list, Needs::platform, false},
    {Action::space_create, Needs::platform, false},
    {Action::space_delete, Needs::platform, true},
    {Action::space_connect, Needs::platform, true},
    {Action::space_show, Needs::viewer, true},
    {Action::token_set, Needs::space_admin, true},
    {Action::token_status, Needs::space_admin, true},
    {Action::test_connection, Needs::space_admin, true},
    {Action::plugin_approve, Needs::platform, false},
    {Action::plugin_enable, Needs::space_admin, true},
    {Action::cache_read, Needs::viewer, true},
    {Action::asset_read, Needs::viewer, true},
    {Action::audit_read, Needs::space_admin, true},
    {Action::admin_tokens, Needs::platform, false},
    {Action::page_read, Needs::viewer, true},
    {Action::page_write, Needs::editor, true},
};

const ActionRule& rule_for(Action a) {
  for (const auto& r : kRules) {
    if (r.action == a) return r;
  }
  return kRules[0];  // unreachable: every Action has a row (tested)
}

}  // namespace

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::allow:
      return "allow";
    case Verdict::not_found:
      return "not-found";
    case Verdict::denied:
      return "denied";
    case Verdict::unauthenticated:
      return "unauthenticated";
    case Verdict::unavailable:
      return "unavailable";
  }
  return "unauthenticated";
}

Result<Role> parse_role(std::string_view text) {
  if (text == "platform-admin") return Role{Role::Kind::platform_admin, {}};
  struct Prefix {
    std::string_view prefix;
    Role::Kind kind;
  };
  static constexpr Prefix kPrefixes[] = {{"space-admin:", Role::Kind::space_admin},
                                         {"editor:", Role::Kind::editor},
                                         {"viewer:", Role::Kind::viewer}};
  for (const auto& p : kPrefixes) {
    if (text.substr(0, p.prefix.size()) == p.prefix) {
      std::string space(text.substr(p.prefix.size()));
      if (!valid_space_key(space)) break;
      return Role{p.kind, space};
    }
  }
  return make_error(Errc::invalid, "role '" + std::string(text.substr(0, 80)) +
                                       "' is invalid; use platform-admin, space-admin:SPACE, "
                                       "editor:SPACE or viewer:SPACE");
}

std::string to_string(const Role& role) {
  switch (role.kind) {
    case Role::Kind::platform_admin:
      return "platform-admin";
    case Role::Kind::space_admin:
      return "space-admin:" + role.space;
    case Role::Kind::editor:
      return "editor:" + role.space;
    case Role::Kind::viewer:
      return "viewer:" + role.space;
  }
  return "viewer:" + role.space;
}

bool Principal::platform_admin() const {
  return std::any_of(roles.begin(), roles.end(),
                     [](const Role& r) { return r.kind == Role::Kind::platform_admin; }) ||
         (roles.empty() && role.kind == Role::Kind::platform_admin);
}

bool Principal::holds(Role::Kind kind, const std::string& space) const {
  auto match = [&](const Role& r) { return r.kind == kind && r.space == space; };
  return roles.empty() ? match(role) : std::any_of(roles.begin(), roles.end(), match);
}

Principal principal_of(std::vector<Role> roles) {
  auto rank = [](const Role& r) { return static_cast<int>(r.kind); };
  std::stable_sort(roles.begin(), roles.end(),
                   [&](const Role& a, const Role& b) { return rank(a) < rank(b); });
  roles.erase(std::unique(roles.begin(), roles.end(),
                          [](const Role& a, const Role& b) {
                            return a.kind == b.kind && a.space == b.space;
                          }),
              roles.end());
  Principal p;
  if (!roles.empty()) p.role = roles.front();
  p.roles = std::move(roles);
  return p;
}

Result<CreatedToken> AdminTokens::create(const std::string& who, std::string_view role_text) {
  return create(who, role_text, "", 0);
}

Result<CreatedToken> AdminTokens::create(const std::string& who, std::string_view role_text,
                                         const std::string& name, int64_t expires_at_ms) {
  auto role = parse_role(role_text);
  CreatedToken out;
  AuditEvent ev{who, role ? role->space : "", "admin-token.create", std::string(role_text), "", {}};
  auto st = run_audited(ctx_, ev, [&]() -> Status {
    if (!role) return role.error();
    if (name.size() > kMaxTokenName ||
        std::any_of(name.begin(), name.end(), [](char c) { return c < 0x20 || c > 0x7e; })) {
      return make_error(Errc::invalid,
                        "a token name is at most 64 printable ASCII characters; "
                        "use a short name such as 'ci-docs-export'");
    }
    if (expires_at_ms != 0 && expires_at_ms <= ctx_.now()) {
      return make_error(Errc::invalid,
                        "the expiry lies in the past; give a duration such as --expires 90d");
    }
    out.row.name = name;
    out.row.expires_at_ms = expires_at_ms;
    if (role->kind != Role::Kind::platform_admin) {
      auto sp = ctx_.db.get_space(role->space);
      if (!sp) return sp.error();
      // Bound to this space, not to its key: a later space with the same
      // key is another space.
      out.row.space_id = sp->id;
    }
    crypto::SecretBytes secret(kTokenSecretBytes);
    uint8_t idb[4];
    if (!crypto::random_bytes({secret.data(), secret.size()}) || !crypto::random_bytes(idb)) {
      return make_error(Errc::crypto, "the system random generator failed; try again");
    }
    out.token = crypto::SecretString(std::string(kTokenPrefix) +
                                     crypto::base64url_encode({secret.data(), secret.size()}));
    out.row.id = "t" + crypto::hex_encode(idb);
    out.row.hash = digest::sha256_hex(out.token.view());
    out.row.role = to_string(*role);
    out.row.created_at_ms = ctx_.now();
    out.row.created_by = who;
    return ctx_.db.insert_admin_token(out.row);
  });
  if (!st) return st.error();
  return out;
}

Result<std::vector<AdminTokenRow>> AdminTokens::list() { return ctx_.db.list_admin_tokens(); }

Status AdminTokens::revoke(const std::string& who, const std::string& id) {
  return run_audited(ctx_, AuditEvent{who, "", "admin-token.revoke", id, "", {}},
                     [&]() -> Status { return ctx_.db.revoke_admin_token(id, ctx_.now()); });
}

Result<Principal> AdminTokens::authenticate(std::string_view token) {
  const auto unauth = make_error(Errc::denied,
                                 "unknown or revoked admin token; ask a platform "
                                 "admin for a token ('vitrine tokens create')");
  if (token.substr(0, kTokenPrefix.size()) != kTokenPrefix || token.size() > 128) return unauth;
  const std::string hash = digest::sha256_hex(token);
  auto row = ctx_.db.find_admin_token_by_hash(hash);
  if (!row) {
    if (row.error().code == Errc::not_found) return unauth;
    return row.error();
  }
  if (row->hash.size() != hash.size() ||
      CRYPTO_memcmp(row->hash.data(), hash.data(), hash.size()) != 0) {
    return unauth;
  }
  return principal_of_row(*row, unauth);
}

Result<Principal> AdminTokens::principal_of_id(const std::string& token_id) {
  const auto unauth = make_error(Errc::denied, "admin token " + token_id +
                                                   " was revoked or its space deleted; ask a "
                                                   "platform admin for a token ('vitrine tokens "
                                                   "create')");
  auto row = ctx_.db.find_admin_token_by_id(token_id);
  if (!row) {
    if (row.error().code == Errc::not_found) return unauth;
    return row.error();
  }
  return principal_of_row(*row, unauth);
}

Result<Principal> AdminTokens::principal_of_row(const AdminTokenRow& found, const Error& unauth) {
  const AdminTokenRow* row = &found;
  if (row->revoked_at_ms != 0) return unauth;
  const int64_t now = ctx_.now();
  if (row->expires_at_ms != 0 && now >= row->expires_at_ms) {
    return make_error(Errc::denied, "admin token " + row->id +
                                        (row->name.empty() ? "" : " ('" + row->name + "')") +
                                        " expired at " + format_time(row->expires_at_ms) +
                                        "; ask a platform admin for a new one ('vitrine tokens "
                                        "create --expires 90d')");
  }
  auto role = parse_role(row->role);
  if (!role) return role.error();
  if (role->kind != Role::Kind::platform_admin) {
    // A space role holds only while the space with its key is the very
    // space the token was made for. Deleting a space revokes its tokens;
    // this also refuses a token whose space is gone or was replaced.
    auto sp = ctx_.db.get_space(role->space);
    if (!sp) {
      if (sp.error().code == Errc::not_found) return unauth;
      return sp.error();
    }
    if (row->space_id.empty() || row->space_id != sp->id) return unauth;
  }
  // Recording the use is best effort: a database that refuses writes must
  // not refuse reads with a valid token.
  if (now - row->last_used_at_ms >= kTouchIntervalMs) (void)ctx_.db.touch_admin_token(row->id, now);
  Principal p = principal_of({*role});
  p.token_id = row->id;
  return p;
}

Authorization AdminTokens::authorize(std::string_view token, Action action,
                                     const std::string& space) {
  auto who = authenticate(token);
  if (!who) {
    Authorization a;
    // A database that cannot answer says nothing about the token.
    a.verdict = who.error().code == Errc::io ? Verdict::unavailable : Verdict::unauthenticated;
    a.message = who.error().message;
    return a;
  }
  return decide(*who, action, space);
}

Authorization AdminTokens::decide(const Principal& principal, Action action,
                                  const std::string& space) {
  Authorization a;
  a.principal = principal;
  const ActionRule& rule = rule_for(action);
  const std::vector<Role> single{principal.role};
  const std::vector<Role>& roles = principal.roles.empty() ? single : principal.roles;
  bool exists = false;
  if (rule.space_scoped) {
    auto sp = ctx_.db.get_space(space);
    // Not knowing whether the space exists is not "not found".
    if (!sp && sp.error().code == Errc::io) {
      a.verdict = Verdict::unavailable;
      a.message = sp.error().message;
      return a;
    }
    exists = sp.ok();
  }
  bool any_denied = false;
  std::string denied_message;
  for (const Role& role : roles) {
    const bool platform = role.kind == Role::Kind::platform_admin;
    // Another space, or a space that does not exist: the same answer.
    if (rule.space_scoped && (!exists || (!platform && role.space != space))) continue;
    bool allowed = false;
    switch (rule.needs) {
      case Needs::platform:
        allowed = platform;
        break;
      case Needs::space_admin:
        allowed = platform || role.kind == Role::Kind::space_admin;
        break;
      case Needs::editor:
        allowed =
            platform || role.kind == Role::Kind::space_admin || role.kind == Role::Kind::editor;
        break;
      case Needs::viewer:
        allowed = true;
        break;
    }
    if (allowed) {
      a.verdict = Verdict::allow;
      a.message.clear();
      return a;
    }
    if (!any_denied) {
      any_denied = true;
      denied_message = "role " + to_string(role) + " may not do this; ask a " +
                       (rule.needs == Needs::platform ? "platform admin"
                        : rule.needs == Needs::editor ? "space admin for the editor role"
                                                      : "space admin");
    }
  }
  if (any_denied) {
    a.verdict = Verdict::denied;
    a.message = denied_message;
  } else {
    a.verdict = Verdict::not_found;
    a.message = "space '" + space + "' not found";
  }
  return a;
}

}  // namespace vitrine::store
