#include "server/oidc/id_token.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <cjose/cjose.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <functional>
#include <memory>
#include <optional>

namespace vitrine::server::oidc {
namespace {

using Obj = Poco::JSON::Object::Ptr;

// The checks' rule ids.
namespace rules {
constexpr const char* kFormat =
    "oidc-format";  // the ID token is not a compact JWS with a JSON header and payload
constexpr const char* kAlg = "oidc-alg";  // alg none, HS* or not in auth.oidc.algorithms
constexpr const char* kKid =
    "oidc-kid";  // no signing key with the kid (after one refetch), or of the wrong type
constexpr const char* kSignature = "oidc-signature";  // the signature does not verify with the key
constexpr const char* kIss = "oidc-iss";              // iss is not the configured issuer
constexpr const char* kAud =
    "oidc-aud";  // aud lacks client_id, or several audiences without azp = client_id
constexpr const char* kExp = "oidc-exp";      // the ID token has expired
constexpr const char* kIat = "oidc-iat";      // iat missing or in the future
constexpr const char* kNonce = "oidc-nonce";  // nonce is not the sign-in's nonce
constexpr const char* kSub = "oidc-sub";      // sub missing
}  // namespace rules

std::optional<std::string> b64url_decode(std::string_view in) {
  static const auto kTable = [] {
    std::array<int8_t, 256> t{};
    t.fill(-1);
    const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(a[i])] = static_cast<int8_t>(i);
    return t;
  }();
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = kTable[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

Obj parse_object(const std::string& text) {
  try {
    Poco::JSON::Parser parser;
    return parser.parse(text).extract<Obj>();
  } catch (...) {
    return nullptr;
  }
}

std::string str(const Obj& o, const std::string& key) {
  if (!o || !o->has(key)) return {};
  try {
    auto v = o->get(key);
    return v.isString() ? v.extract<std::string>() : std::string();
  } catch (...) {
    return {};
  }
}

std::optional<int64_t> num(const Obj& o, const std::string& key) {
  if (!o || !o->has(key)) return std::nullopt;
  try {
    auto v = o->get(key);
    if (!v.isNumeric()) return std::nullopt;
    return v.convert<int64_t>();
  } catch (...) {
    return std::nullopt;
  }
}

std::vector<std::string> strings(const Obj& o, const std::string& key) {
  std::vector<std::string> out;
  if (!o || !o->has(key)) return out;
  try {
    if (auto a = o->getArray(key)) {
      for (std::size_t i = 0; i < a->size(); ++i) {
        auto v = a->get(static_cast<unsigned>(i));
        if (v.isString()) out.push_back(v.extract<std::string>());
      }
      return out;
    }
    auto v = o->get(key);
    if (v.isString()) out.push_back(v.extract<std::string>());
  } catch (...) {
  }
  return out;
}

// What the checks share as they run.
struct State {
  const std::string& compact;
  const IdTokenExpect& expect;
  KeySource& keys;
  Obj header;
  Obj payload;
  std::string alg, kid, jwk;
};

using CheckFn = std::function<std::optional<std::string>(State&)>;  // an error, or nothing
struct Check {
  const char* rule;
  CheckFn fn;
};

std::optional<std::string> check_format(State& s) {
  const auto d1 = s.compact.find('.');
  const auto d2 = d1 == std::string::npos ? d1 : s.compact.find('.', d1 + 1);
  if (s.compact.size() > 16384 || d2 == std::string::npos ||
      s.compact.find('.', d2 + 1) != std::string::npos) {
    return "the ID token is not a compact JWS (three dot-separated parts)";
  }
  auto h = b64url_decode(std::string_view(s.compact).substr(0, d1));
  auto p = b64url_decode(std::string_view(s.compact).substr(d1 + 1, d2 - d1 - 1));
  if (h) s.header = parse_object(*h);
  if (p) s.payload = parse_object(*p);
  if (!s.header || !s.payload) return "the ID token's header or payload is not a JSON object";
  s.alg = str(s.header, "alg");
  s.kid = str(s.header, "kid");
  return std::nullopt;
}

std::optional<std::string> check_alg(State& s) {
  std::string lower = s.alg;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "none" || lower.empty()) return "the ID token is unsigned (alg 'none')";
  if (lower.rfind("hs", 0) == 0) {
    return "the ID token uses a shared-secret algorithm (" + s.alg +
           "); only asymmetric "
           "signatures are accepted";
  }
  const auto& allowed = s.expect.algorithms;
  if (std::find(allowed.begin(), allowed.end(), s.alg) == allowed.end()) {
    return "the ID token's algorithm " + s.alg + " is not in auth.oidc.algorithms";
  }
  return std::nullopt;
}

std::optional<std::string> check_kid(State& s) {
  auto jwk = s.keys.key(s.kid);
  if (!jwk) {
    return "the provider's key set has no signing key '" + s.kid.substr(0, 64) +
           "' (fetched again once)";
  }
  auto key = parse_object(*jwk);
  const std::string kty = str(key, "kty");
  const std::string want = s.alg[0] == 'E' ? "EC" : "RSA";
  if (kty != want) return "key '" + s.kid.substr(0, 64) + "' is " + kty + ", not " + want;
  s.jwk = *jwk;
  return std::nullopt;
}

std::optional<std::string> check_signature(State& s) {
  cjose_err err{};
  std::unique_ptr<cjose_jwk_t, decltype(&cjose_jwk_release)> jwk(
      cjose_jwk_import(s.jwk.data(), s.jwk.size(), &err), &cjose_jwk_release);
  if (!jwk) return "the provider's key could not be read";
  std::unique_ptr<cjose_jws_t, decltype(&cjose_jws_release)> jws(
      cjose_jws_import(s.compact.data(), s.compact.size(), &err), &cjose_jws_release);
  if (!jws) return "the ID token could not be parsed as a JWS";
  // cjose verifies with the alg of the header, which check_alg allowed.
  if (!cjose_jws_verify(jws.get(), jwk.get(), &err)) return "the ID token's signature is invalid";
  return std::nullopt;
}

std::optional<std::string> check_iss(State& s) {
  if (str(s.payload, "iss") != s.expect.issuer) {
    return "the ID token was issued by '" + str(s.payload, "iss").substr(0, 200) +
           "', not by the configured issuer '" + s.expect.issuer + "'";
  }
  return std::nullopt;
}

std::optional<std::string> check_aud(State& s) {
  auto aud = strings(s.payload, "aud");
  if (std::find(aud.begin(), aud.end(), s.expect.client_id) == aud.end()) {
    return "the ID token is not meant for this client (aud lacks '" + s.expect.client_id + "')";
  }
  if (aud.size() > 1 && str(s.payload, "azp") != s.expect.client_id) {
    return "the ID token has several audiences and azp is not '" + s.expect.client_id + "'";
  }
  return std::nullopt;
}

std::optional<std::string> check_exp(State& s) {
  auto exp = num(s.payload, "exp");
  if (!exp) return "the ID token has no expiry (exp)";
  if (s.expect.now_s >= *exp + s.expect.leeway_s) return "the ID token has expired";
  return std::nullopt;
}

std::optional<std::string> check_iat(State& s) {
  auto iat = num(s.payload, "iat");
  if (!iat) return "the ID token has no issue time (iat)";
  if (*iat > s.expect.now_s + s.expect.leeway_s) return "the ID token is issued in the future";
  return std::nullopt;
}

std::optional<std::string> check_nonce(State& s) {
  const std::string nonce = str(s.payload, "nonce");
  if (s.expect.nonce.empty() || nonce.size() != s.expect.nonce.size() ||
      CRYPTO_memcmp(nonce.data(), s.expect.nonce.data(), nonce.size()) != 0) {
    return "the ID token's nonce does not match this sign-in (a replayed or foreign token)";
  }
  return std::nullopt;
}

std::optional<std::string> check_sub(State& s) {
  const std::string sub = str(s.payload, "sub");
  if (sub.empty() || sub.size() > 255) return "the ID token has no valid subject (sub)";
  return std::nullopt;
}

const std::vector<Check>& checks() {
  static const std::vector<Check> k = {
      {rules::kFormat, check_format}, {rules::kAlg, check_alg},
      {rules::kKid, check_kid},       {rules::kSignature, check_signature},
      {rules::kIss, check_iss},       {rules::kAud, check_aud},
      {rules::kExp, check_exp},       {rules::kIat, check_iat},
      {rules::kNonce, check_nonce},   {rules::kSub, check_sub},
  };
  return k;
}

}  // namespace

const std::vector<std::string>& id_token_rules() {
  static const std::vector<std::string> r = [] {
    std::vector<std::string> v;
    for (const auto& c : checks()) v.push_back(c.rule);
    return v;
  }();
  return r;
}

IdTokenVerdict validate_id_token(const std::string& compact, const IdTokenExpect& expect,
                                 KeySource& keys) {
  State s{compact, expect, keys, nullptr, nullptr, {}, {}, {}};
  IdTokenVerdict v;
  for (const auto& c : checks()) {
    if (auto error = c.fn(s)) {
      v.rule = c.rule;
      v.message = *error;
      return v;
    }
  }
  v.ok = true;
  v.claims.iss = str(s.payload, "iss");
  v.claims.sub = str(s.payload, "sub");
  v.claims.name = str(s.payload, "name");
  v.claims.email = str(s.payload, "email");
  v.claims.preferred_username = str(s.payload, "preferred_username");
  v.claims.groups = strings(s.payload, expect.groups_claim);
  v.claims.exp = num(s.payload, "exp").value_or(0);
  return v;
}

}  // namespace vitrine::server::oidc
