#include "server/oidc/client.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <openssl/crypto.h>

#include "log/log.h"
#include "server/oidc/pkce.h"
#include "server/oidc/roles.h"

namespace vitrine::server::oidc {
namespace {

SignIn refused(std::string rule, std::string message) {
  SignIn s;
  s.rule = std::move(rule);
  s.message = std::move(message);
  return s;
}

bool same_secret(const std::string& a, const std::string& b) {
  return !a.empty() && a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

Client::Client(config::OidcConfig cfg, std::string redirect_uri, std::string client_secret)
    : cfg_(std::move(cfg)),
      redirect_uri_(std::move(redirect_uri)),
      client_secret_(std::move(client_secret)) {
  http_.ca_file = cfg_.ca_file;
  http_.allow_http_loopback = cfg_.allow_http_loopback;
}

store::Result<ProviderMetadata> Client::metadata() {
  std::lock_guard lock(mu_);
  if (meta_) return *meta_;
  auto m = discover(cfg_.issuer, http_);
  if (!m) return m.error();
  meta_ = *m;
  const std::string jwks_uri = m->jwks_uri;
  const HttpOptions http = http_;
  jwks_ = std::make_unique<JwksCache>([jwks_uri, http]() -> store::Result<std::string> {
    auto r = http_get(jwks_uri, http);
    if (!r) return r.error();
    if (r->status != 200) {
      return store::make_error(store::Errc::io,
                               "the provider's JWKS answered HTTP " + std::to_string(r->status));
    }
    return r->body;
  });
  return *meta_;
}

store::Result<std::string> Client::authorization_url(const LoginTransaction& t) {
  auto m = metadata();
  if (!m) return m.error();
  std::string scopes;
  for (const auto& s : cfg_.scopes) scopes += (scopes.empty() ? "" : " ") + s;
  const char sep = m->authorization_endpoint.find('?') == std::string::npos ? '?' : '&';
  return m->authorization_endpoint + sep +
         "response_type=code&client_id=" + form_encode(cfg_.client_id) +
         "&redirect_uri=" + form_encode(redirect_uri_) + "&scope=" + form_encode(scopes) +
         "&state=" + form_encode(t.state) + "&nonce=" + form_encode(t.nonce) +
         "&code_challenge=" + form_encode(s256_challenge(t.verifier)) +
         "&code_challenge_method=S256";
}

SignIn Client::finish(const LoginTransaction& t, const std::string& state, const std::string& code,
                      int64_t now_s) {
  if (!same_secret(state, t.state)) {
    return refused("oidc-state",
                   "the sign-in answer does not belong to this browser's sign-in "
                   "(state mismatch); start the sign-in again");
  }
  if (code.empty() || code.size() > 2048) {
    return refused("oidc-token", "the provider sent no authorization code; start again");
  }
  auto m = metadata();
  if (!m) return refused("oidc-discovery", m.error().message);
  std::string form = "grant_type=authorization_code&code=" + form_encode(code) +
                     "&redirect_uri=" + form_encode(redirect_uri_) +
                     "&code_verifier=" + form_encode(t.verifier);
  std::string basic;
  if (client_secret_.empty()) {
    form += "&client_id=" + form_encode(cfg_.client_id);
  } else {
    basic = form_encode(cfg_.client_id) + ":" + form_encode(client_secret_);
  }
  auto reply = http_post_form(m->token_endpoint, form, basic, http_);
  if (!basic.empty()) OPENSSL_cleanse(basic.data(), basic.size());
  if (!reply) return refused("oidc-token", reply.error().message);
  std::string id_token, error;
  try {
    Poco::JSON::Parser parser;
    auto o = parser.parse(reply->body).extract<Poco::JSON::Object::Ptr>();
    if (o->has("id_token")) id_token = o->getValue<std::string>("id_token");
    if (o->has("error")) error = o->getValue<std::string>("error");
  } catch (...) {
  }
  if (reply->status != 200 || id_token.empty()) {
    return refused("oidc-token", "the provider refused to exchange the code (HTTP " +
                                     std::to_string(reply->status) +
                                     (error.empty() ? "" : ", " + error.substr(0, 64)) +
                                     "); a code is good for one use only: start the sign-in "
                                     "again");
  }
  IdTokenExpect expect;
  expect.issuer = cfg_.issuer;
  expect.client_id = cfg_.client_id;
  expect.nonce = t.nonce;
  expect.algorithms = cfg_.algorithms;
  expect.now_s = now_s;
  expect.leeway_s = cfg_.leeway_s;
  expect.groups_claim = cfg_.groups_claim;
  JwksCache* jwks = nullptr;
  {
    std::lock_guard lock(mu_);
    jwks = jwks_.get();
  }
  auto v = validate_id_token(id_token, expect, *jwks);
  if (!v.ok) return refused(v.rule, v.message);
  SignIn s;
  s.claims = v.claims;
  s.id_token = id_token;
  auto mapping = map_groups(v.claims.groups, cfg_.roles);
  for (const auto& u : mapping.unknown) log::warn("oidc.role_invalid", {{"role", u}});
  if (mapping.roles.empty()) {
    s.rule = "oidc-no-role";
    s.message =
        "You signed in, but none of your groups has a role in Vitrine. Ask a platform "
        "admin to map one of your groups in auth.oidc.roles.";
    return s;
  }
  s.roles = mapping.roles;
  s.ok = true;
  return s;
}

std::optional<std::string> Client::logout_url(const std::string& id_token_hint,
                                              const std::string& post_logout_redirect) {
  auto m = metadata();
  if (!m || m->end_session_endpoint.empty()) return std::nullopt;
  const char sep = m->end_session_endpoint.find('?') == std::string::npos ? '?' : '&';
  std::string url = m->end_session_endpoint + sep + "client_id=" + form_encode(cfg_.client_id) +
                    "&post_logout_redirect_uri=" + form_encode(post_logout_redirect);
  if (!id_token_hint.empty()) url += "&id_token_hint=" + form_encode(id_token_hint);
  return url;
}

}  // namespace vitrine::server::oidc
