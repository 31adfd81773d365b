// The `auth:` section of vitrine.yml: which sign-in methods the login page
// offers, OpenID Connect, and the sign-in rate limits (docs/config.md,
// docs/admin.md "Sign-in").
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace YAML {
class Node;
}

namespace vitrine::config {

struct OidcConfig {
  std::string issuer;  // empty: OpenID Connect is off
  std::string client_id;
  std::filesystem::path client_secret_file;  // empty: a public client (PKCE only)
  std::string redirect_uri;                  // empty: public_url + /login/oidc/callback
  std::vector<std::string> scopes{"openid", "profile", "email"};
  std::string groups_claim = "groups";
  std::map<std::string, std::vector<std::string>> roles;  // group -> [role, ...]
  std::vector<std::string> algorithms{"RS256", "ES256", "PS256"};
  std::filesystem::path ca_file;     // extra CA for the provider's TLS certificate
  bool allow_http_loopback = false;  // http:// issuer on 127.0.0.1/::1/localhost (tests)
  int leeway_s = 60;                 // clock skew allowed for exp / iat / nbf
  std::string label = "Sign in with single sign-on";
};

struct AuthConfig {
  bool token_login = true;  // the "paste an admin token" form
  OidcConfig oidc;
  int sign_in_per_minute = 10;  // per client address
  int sign_in_burst = 20;
  int account_free_failures = 5;
  int account_max_backoff_s = 30;
};

// Reports one problem at a node: the message says what to write; rule is
// the diagnostic's rule id.
using AuthDiag =
    std::function<void(const YAML::Node& at, const std::string& message, const std::string& rule)>;
void parse_auth(const YAML::Node& node, AuthConfig& out, const AuthDiag& error);

}  // namespace vitrine::config
