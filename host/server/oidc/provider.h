// Talking to the OpenID provider: discovery, the JWKS document and the
// token endpoint, over HTTPS (Poco NetSSL, chain and host name verified,
// auth.oidc.ca_file added to the trust store). Plain http only for a
// loopback issuer when auth.oidc.allow_http_loopback says so (tests).
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "store/result.h"

namespace vitrine::server::oidc {

struct HttpOptions {
  std::filesystem::path ca_file;
  bool allow_http_loopback = false;
  std::chrono::seconds timeout{10};
  std::size_t max_body = 1 << 20;
};

struct HttpReply {
  int status = 0;
  std::string body;
};

store::Result<HttpReply> http_get(const std::string& url, const HttpOptions& o);
// application/x-www-form-urlencoded POST; basic_auth "user:password" or empty.
store::Result<HttpReply> http_post_form(const std::string& url, const std::string& form,
                                        const std::string& basic_auth, const HttpOptions& o);

struct ProviderMetadata {
  std::string issuer;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string jwks_uri;
  std::string end_session_endpoint;  // empty: the provider offers no RP-initiated logout
};

// GET ISSUER/.well-known/openid-configuration; the document's issuer must
// equal ISSUER exactly (rule oidc-discovery).
store::Result<ProviderMetadata> discover(const std::string& issuer, const HttpOptions& o);

// Percent-encoding for query strings and forms (RFC 3986 unreserved kept).
std::string form_encode(const std::string& s);

}  // namespace vitrine::server::oidc
