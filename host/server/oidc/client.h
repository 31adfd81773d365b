// The authorization code flow with PKCE, from the relying party's side:
//   start    a login transaction and the provider URL to send the browser to
//   finish   the callback: state (rule oidc-state), the code exchanged once
//            at the token endpoint (rule oidc-token), the ID token validated
//            (id_token.h), groups mapped to roles (roles.h, rule oidc-no-role)
//   logout   the provider's end_session_endpoint when it offers one
// The provider's metadata is discovered on first use and kept; the JWKS is
// cached with refetch on an unknown kid (jwks.h).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/auth_config.h"
#include "server/oidc/id_token.h"
#include "server/oidc/jwks.h"
#include "server/oidc/provider.h"
#include "server/oidc/transactions.h"
#include "store/admin_tokens.h"

namespace vitrine::server::oidc {

struct SignIn {
  bool ok = false;
  std::string rule;     // the rule that refused (empty when ok)
  std::string message;  // for the page; never a token or code
  IdClaims claims;      // when the ID token was valid (also for oidc-no-role)
  std::vector<store::Role> roles;
  std::string id_token;  // kept in the session as the logout hint
};

class Client {
 public:
  // redirect_uri: where the provider sends the browser back
  // (.../login/oidc/callback); client_secret empty: a public client.
  Client(config::OidcConfig cfg, std::string redirect_uri, std::string client_secret);

  // The provider's authorization URL for this transaction.
  store::Result<std::string> authorization_url(const LoginTransaction& t);
  SignIn finish(const LoginTransaction& t, const std::string& state, const std::string& code,
                int64_t now_s);
  // The provider's logout URL, or nullopt when it offers none.
  std::optional<std::string> logout_url(const std::string& id_token_hint,
                                        const std::string& post_logout_redirect);

  LoginTransactions& transactions() { return transactions_; }
  const config::OidcConfig& config() const { return cfg_; }
  const std::string& redirect_uri() const { return redirect_uri_; }

 private:
  store::Result<ProviderMetadata> metadata();

  config::OidcConfig cfg_;
  std::string redirect_uri_;
  std::string client_secret_;
  HttpOptions http_;
  std::mutex mu_;
  std::optional<ProviderMetadata> meta_;
  std::unique_ptr<JwksCache> jwks_;
  LoginTransactions transactions_;
};

}  // namespace vitrine::server::oidc
