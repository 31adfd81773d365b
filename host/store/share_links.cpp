#include "store/share_links.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>

#include "store/audit.h"
#include "store/crypto/encoding.h"
#include "store/crypto/secret_box.h"

namespace vitrine::store {
namespace {

constexpr std::size_t kIdHexChars = 32;
constexpr std::size_t kSigChars = 43;  // base64url of 32 bytes, no padding
constexpr std::size_t kKeyBytes = 32;

crypto::Binding key_binding(const SpaceRow& space) {
  return crypto::Binding{"secret", space.key, kShareLinkKeyRecord, space.id};
}

void put_field(std::string& out, std::string_view field) {
  const auto n = static_cast<uint32_t>(field.size());
  out.push_back(static_cast<char>((n >> 24) & 0xff));
  out.push_back(static_cast<char>((n >> 16) & 0xff));
  out.push_back(static_cast<char>((n >> 8) & 0xff));
  out.push_back(static_cast<char>(n & 0xff));
  out.append(field);
}

bool is_hex_lower(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
bool is_b64url(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

ShareLinkCheck refused(const char* rule, std::string message, ShareLinkRow row = {}) {
  return ShareLinkCheck{false, std::move(row), rule, std::move(message)};
}

}  // namespace

std::optional<ShareTokenParts> parse_share_token(std::string_view token) {
  if (token.size() != kIdHexChars + 1 + kSigChars || token[kIdHexChars] != '.') return std::nullopt;
  auto id = token.substr(0, kIdHexChars);
  auto sig = token.substr(kIdHexChars + 1);
  if (!std::all_of(id.begin(), id.end(), is_hex_lower)) return std::nullopt;
  if (!std::all_of(sig.begin(), sig.end(), is_b64url)) return std::nullopt;
  return ShareTokenParts{std::string(id), std::string(sig)};
}

std::string share_link_signature(std::string_view key, const ShareLinkRow& row) {
  std::string message;
  put_field(message, "vitrine.share-link.v1");
  put_field(message, row.id);
  put_field(message, row.space_id);
  put_field(message, row.page);
  put_field(message, std::to_string(row.macro));
  put_field(message, std::to_string(row.expires_at_ms));
  std::array<uint8_t, EVP_MAX_MD_SIZE> mac{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const uint8_t*>(message.data()), message.size(), mac.data(),
           &len) == nullptr) {
    return {};
  }
  auto out = crypto::base64url_encode(std::span<const uint8_t>(mac.data(), len));
  OPENSSL_cleanse(mac.data(), mac.size());
  return out;
}

Result<crypto::SecretString> ShareLinks::key_of(const SpaceRow& space, bool create_missing,
                                                const std::string& who) {
  auto row = ctx_.db.get_secret(space.key, kShareLinkKeyRecord);
  if (row) {
    auto ring = ctx_.keyring_for(row->record);
    if (!ring) return ring.error();
    auto plain = crypto::open(**ring, key_binding(space), row->record);
    if (!plain) return plain.error();
    return crypto::SecretString(std::string(plain->view()));
  }
  if (row.error().code != Errc::not_found || !create_missing) return row.error();
  auto ring = ctx_.keyring();
  if (!ring) return ring.error();
  std::string key(kKeyBytes, '\0');
  if (!crypto::random_bytes(
          std::span<uint8_t>(reinterpret_cast<uint8_t*>(key.data()), key.size()))) {
    return make_error(Errc::crypto, "the random number generator failed; try again");
  }
  crypto::SecretString secret(std::move(key));
  auto record = crypto::seal(**ring, key_binding(space), secret.view());
  if (!record) return record.error();
  auto st = ctx_.db.put_secret(
      SecretRow{space.key, kShareLinkKeyRecord, space.id, *record, ctx_.now(), who});
  if (!st) return st.error();
  return secret;
}

Result<CreatedShareLink> ShareLinks::create(const std::string& who, const std::string& space,
                                            const std::string& page, int64_t macro, int64_t ttl_s) {
  if (ttl_s < kShareLinkMinTtlS || ttl_s > kShareLinkMaxTtlS) {
    return make_error(Errc::invalid, "a share link lives from 1 second to 365 days; got " +
                                         std::to_string(ttl_s) + " seconds");
  }
  if (macro < 0 || macro > 256) {
    return make_error(Errc::invalid, "the macro number is 1 to 256 (0: the whole page)");
  }
  std::array<uint8_t, kIdHexChars / 2> raw{};
  if (!crypto::random_bytes(raw)) {
    return make_error(Errc::crypto, "the random number generator failed; try again");
  }
  CreatedShareLink out;
  out.row.id = crypto::hex_encode(raw);
  out.row.space = space;
  out.row.page = page;
  out.row.macro = macro;
  out.row.created_at_ms = ctx_.now();
  out.row.expires_at_ms = out.row.created_at_ms + ttl_s * 1000;
  out.row.created_by = who;
  const std::string target = page + (macro > 0 ? "#macro-" + std::to_string(macro) : "");
  AuditEvent ev{
      who,
      space,
      "share_link.create",
      out.row.id,
      "",
      {{"target", target, false}, {"expires_at_ms", std::to_string(out.row.expires_at_ms), true}}};
  auto st = run_audited(ctx_, ev, [&]() -> Status {
    auto sp = ctx_.db.get_space(space);
    if (!sp) return sp.error();
    out.row.space_id = sp->id;
    auto key = key_of(*sp, true, who);
    if (!key) return key.error();
    out.token = out.row.id + "." + share_link_signature(key->view(), out.row);
    return ctx_.db.insert_share_link(out.row);
  });
  if (!st) return st.error();
  return out;
}

Result<std::vector<CreatedShareLink>> ShareLinks::list(const std::string& space) {
  auto sp = ctx_.db.get_space(space);
  if (!sp) return sp.error();
  auto rows = ctx_.db.list_share_links(space);
  if (!rows) return rows.error();
  std::vector<CreatedShareLink> out;
  if (rows->empty()) return out;
  auto key = key_of(*sp, false);
  if (!key) return key.error();
  for (auto& r : *rows) {
    // Links of an earlier space with this key are not this space's.
    if (r.space_id != sp->id) continue;
    std::string token = r.id + "." + share_link_signature(key->view(), r);
    out.push_back(CreatedShareLink{std::move(r), std::move(token)});
  }
  return out;
}

Status ShareLinks::revoke(const std::string& who, const std::string& space, const std::string& id) {
  AuditEvent ev{who, space, "share_link.revoke", id, "", {}};
  return run_audited(ctx_, ev, [&]() -> Status {
    auto sp = ctx_.db.get_space(space);
    if (!sp) return sp.error();
    return ctx_.db.revoke_share_link(space, id, ctx_.now(), who);
  });
}

ShareLinkCheck ShareLinks::verify(std::string_view token) {
  using namespace rules;
  auto parts = parse_share_token(token);
  if (!parts) {
    return refused(kShareLinkMalformed,
                   "this is not a share link; check that the whole link was copied");
  }
  auto row = ctx_.db.get_share_link(parts->id);
  if (!row) {
    if (row.error().code == Errc::not_found) {
      return refused(kShareLinkUnknown, "this share link does not exist; ask for a new link");
    }
    return refused(kShareLinkUnknown, "the share link could not be read: " + row.error().message);
  }
  auto sp = ctx_.db.get_space(row->space);
  if (!sp || sp->id != row->space_id) {
    return refused(kShareLinkSpaceGone,
                   "the space of this share link was deleted; ask for a new link", *row);
  }
  auto key = key_of(*sp, false);
  if (!key) {
    return refused(kShareLinkSignature, "this share link cannot be verified; ask for a new link",
                   *row);
  }
  const std::string expected = share_link_signature(key->view(), *row);
  if (expected.size() != parts->signature.size() ||
      CRYPTO_memcmp(expected.data(), parts->signature.data(), expected.size()) != 0) {
    return refused(kShareLinkSignature,
                   "this share link is not valid; check that the whole link was copied", *row);
  }
  if (row->revoked_at_ms != 0) {
    return refused(kShareLinkRevoked,
                   "this share link was revoked; ask the space's admins for a new one", *row);
  }
  if (ctx_.now() >= row->expires_at_ms) {
    return refused(kShareLinkExpired,
                   "this share link has expired; ask the space's admins for a new one", *row);
  }
  return ShareLinkCheck{true, *row, {}, {}};
}

}  // namespace vitrine::store
