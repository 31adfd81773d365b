#include "store/sessions.h"

#include <algorithm>
#include <array>

#include "digest/sha256.h"
#include "store/crypto/encoding.h"
#include "store/crypto/secret_box.h"

namespace vitrine::store {
namespace {

constexpr std::size_t kIdBytes = 32;
constexpr const char* kIdTokenKind = "session";
constexpr const char* kIdTokenName = "sessions";

// The AAD names the table and the row: a sealed ID token copied to another
// session's row does not open.
crypto::Binding id_token_binding(const std::string& id_hash) {
  return crypto::Binding{kIdTokenKind, "", kIdTokenName, id_hash};
}

std::string random_hex() {
  std::array<uint8_t, kIdBytes> raw{};
  if (!crypto::random_bytes(raw)) return {};
  std::string out = crypto::hex_encode(raw);
  std::fill(raw.begin(), raw.end(), 0);
  return out;
}

bool well_formed(const std::string& id) {
  return id.size() == kIdBytes * 2 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

Error refusal(Errc code, const char* rule, const std::string& what) {
  return make_error(code, what + "; sign in again [" + rule + "]");
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += (out.empty() ? "" : "\n") + l;
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

Principal user_principal(const std::string& who, const std::vector<std::string>& roles) {
  std::vector<Role> parsed;
  for (const auto& text : roles) {
    if (auto r = parse_role(text)) parsed.push_back(*r);
  }
  // principal_of needs one role; a user without any valid role is a
  // viewer of no space, which every space-scoped action answers not_found.
  if (parsed.empty()) parsed.push_back(Role{Role::Kind::viewer, ""});
  Principal p = principal_of(std::move(parsed));
  p.user = who;
  return p;
}

}  // namespace

std::string Sessions::hash_of(const std::string& id) { return digest::sha256_hex(id); }

Result<int64_t> Sessions::purge() {
  const int64_t now = ctx_.now();
  const int64_t idle = std::chrono::duration_cast<std::chrono::milliseconds>(limits_.idle).count();
  const int64_t absolute =
      std::chrono::duration_cast<std::chrono::milliseconds>(limits_.absolute).count();
  return ctx_.db.delete_sessions_expired(now - idle, now - absolute);
}

Result<Session> Sessions::insert(SessionRow row, const std::string& id_token, Session out) {
  out.id = random_hex();
  out.csrf = random_hex();
  if (out.id.empty() || out.csrf.empty()) {
    return make_error(Errc::crypto, "the random number generator failed; try again");
  }
  row.id_hash = hash_of(out.id);
  row.csrf = out.csrf;
  row.created_at_ms = row.last_seen_ms = out.created_at_ms = out.last_seen_ms = ctx_.now();
  if (!id_token.empty()) {
    // Only a hint for signing out at the provider: without a keyring the
    // session is kept without it rather than storing it in the clear.
    if (auto ring = ctx_.keyring()) {
      auto record = crypto::seal(**ring, id_token_binding(row.id_hash), id_token);
      if (record) {
        row.id_token_record = *record;
        out.id_token = id_token;
      }
    }
  }
  if (auto purged = purge(); !purged) return purged.error();
  if (limits_.max_sessions > 0) {
    auto dropped = ctx_.db.delete_sessions_beyond(static_cast<int64_t>(limits_.max_sessions) - 1);
    if (!dropped) return dropped.error();
  }
  if (auto st = ctx_.db.insert_session(row); !st) return st.error();
  return out;
}

Result<Session> Sessions::create_for_token(const Principal& token) {
  if (token.token_id.empty()) {
    return make_error(Errc::invalid, "a token session needs an authenticated admin token");
  }
  SessionRow row;
  row.token_id = token.token_id;
  Session out;
  out.principal = token;
  return insert(std::move(row), {}, std::move(out));
}

Result<Session> Sessions::create_for_user(const std::string& who, const std::string& display_name,
                                          const std::vector<std::string>& roles,
                                          const std::string& id_token) {
  if (who.empty()) return make_error(Errc::invalid, "a user session needs the user's audit name");
  SessionRow row;
  row.user_who = who;
  row.display_name = display_name;
  row.roles = join_lines(roles);
  Session out;
  out.user = true;
  out.principal = user_principal(who, roles);
  out.display_name = display_name;
  out.roles = roles;
  return insert(std::move(row), id_token, std::move(out));
}

Result<Session> Sessions::find(const std::string& id) {
  using namespace rules;
  if (!well_formed(id)) {
    return refusal(Errc::not_found, kSessionMalformed, "this is not a session cookie");
  }
  const std::string id_hash = hash_of(id);
  auto row = ctx_.db.get_session(id_hash);
  if (!row) {
    if (row.error().code != Errc::not_found) return row.error();
    return refusal(Errc::not_found, kSessionUnknown, "the session ended (signed out or expired)");
  }
  const int64_t now = ctx_.now();
  const auto ms = [](std::chrono::seconds s) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(s).count();
  };
  const char* expired = nullptr;
  if (now - row->created_at_ms > ms(limits_.absolute)) {
    expired = kSessionAbsolute;
  } else if (now - row->last_seen_ms > ms(limits_.idle)) {
    expired = kSessionIdle;
  }
  if (expired != nullptr) {
    // Best effort: the purge on the next sign-in deletes it otherwise.
    (void)ctx_.db.delete_session(id_hash);
    return refusal(Errc::not_found, expired,
                   expired == kSessionIdle ? "the session was not used for too long"
                                           : "the session reached its longest lifetime");
  }
  Session out;
  out.id = id;
  out.csrf = row->csrf;
  out.created_at_ms = row->created_at_ms;
  out.last_seen_ms = row->last_seen_ms;
  out.has_flash = !row->flash.empty();
  if (!row->token_id.empty()) {
    auto p = AdminTokens(ctx_).principal_of_id(row->token_id);
    if (!p) {
      if (p.error().code == Errc::io) return p.error();
      (void)ctx_.db.delete_session(id_hash);
      return refusal(Errc::denied, kSessionTokenInactive, p.error().message);
    }
    out.principal = std::move(*p);
  } else {
    out.user = true;
    out.display_name = row->display_name;
    out.roles = split_lines(row->roles);
    out.principal = user_principal(row->user_who, out.roles);
    if (!row->id_token_record.empty()) {
      // A record whose key is gone only costs the provider sign-out.
      if (auto ring = ctx_.keyring_for(row->id_token_record)) {
        if (auto plain = crypto::open(**ring, id_token_binding(id_hash), row->id_token_record)) {
          out.id_token = std::string(plain->view());
        }
      }
    }
  }
  // Best effort and at most once a minute: a page view stays one read.
  if (now - row->last_seen_ms >= kSessionTouchIntervalMs) {
    if (ctx_.db.touch_session(id_hash, now)) out.last_seen_ms = now;
  }
  return out;
}

Status Sessions::remove(const std::string& id) {
  if (!well_formed(id)) return ok_status();
  return ctx_.db.delete_session(hash_of(id));
}

Status Sessions::set_flash(const std::string& id, const std::string& message) {
  if (!well_formed(id)) {
    return refusal(Errc::not_found, rules::kSessionMalformed, "this is not a session cookie");
  }
  return ctx_.db.set_session_flash(hash_of(id), message);
}

Result<std::string> Sessions::take_flash(const std::string& id) {
  if (!well_formed(id)) return std::string();
  return ctx_.db.take_session_flash(hash_of(id));
}

Result<std::size_t> Sessions::count() {
  auto n = ctx_.db.count_sessions();
  if (!n) return n.error();
  return static_cast<std::size_t>(*n);
}

}  // namespace vitrine::store
