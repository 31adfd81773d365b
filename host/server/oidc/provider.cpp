#include "server/oidc/provider.h"

#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/URI.h>

#include <memory>
#include <sstream>

namespace vitrine::server::oidc {
namespace {

using store::Errc;
using store::make_error;

bool loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost";
}

store::Result<HttpReply> exchange(const std::string& url, Poco::Net::HTTPRequest& req,
                                  const std::string& body, const HttpOptions& o) {
  try {
    Poco::URI uri(url);
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (uri.getScheme() == "https") {
      Poco::Net::Context::Ptr ctx =
          new Poco::Net::Context(Poco::Net::Context::CLIENT_USE, "", "", o.ca_file.string(),
                                 Poco::Net::Context::VERIFY_STRICT, 9, true, "HIGH:!aNULL:!MD5");
      ctx->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
      auto s = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), ctx);
      session = std::move(s);
    } else if (uri.getScheme() == "http" && o.allow_http_loopback && loopback(uri.getHost())) {
      session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    } else {
      return make_error(Errc::invalid, "the provider URL '" + url.substr(0, 200) +
                                           "' is not https; use https (plain http is accepted "
                                           "only for a loopback issuer in tests)");
    }
    session->setTimeout(Poco::Timespan(o.timeout.count(), 0));
    req.setURI(uri.getPathAndQuery().empty() ? "/" : uri.getPathAndQuery());
    req.setHost(uri.getHost(), uri.getPort());
    req.set("Accept", "application/json");
    if (!body.empty() || req.getMethod() == "POST") req.setContentLength(body.size());
    session->sendRequest(req) << body;
    Poco::Net::HTTPResponse res;
    std::istream& in = session->receiveResponse(res);
    HttpReply reply;
    reply.status = static_cast<int>(res.getStatus());
    char buf[8192];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      reply.body.append(buf, static_cast<std::size_t>(in.gcount()));
      if (reply.body.size() > o.max_body) {
        return make_error(Errc::io, "the provider's answer from " + uri.getHost() +
                                        " is larger than " + std::to_string(o.max_body) + " bytes");
      }
    }
    return reply;
  } catch (const Poco::Exception& e) {
    return make_error(Errc::io, "could not reach the OpenID provider at " + url.substr(0, 200) +
                                    ": " + e.displayText() +
                                    "; check auth.oidc.issuer, the network and auth.oidc.ca_file");
  } catch (const std::exception& e) {
    return make_error(Errc::io, std::string("could not reach the OpenID provider: ") + e.what());
  }
}

}  // namespace

std::string form_encode(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

store::Result<HttpReply> http_get(const std::string& url, const HttpOptions& o) {
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, "/",
                             Poco::Net::HTTPMessage::HTTP_1_1);
  return exchange(url, req, {}, o);
}

store::Result<HttpReply> http_post_form(const std::string& url, const std::string& form,
                                        const std::string& basic_auth, const HttpOptions& o) {
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, "/",
                             Poco::Net::HTTPMessage::HTTP_1_1);
  req.setContentType("application/x-www-form-urlencoded");
  if (!basic_auth.empty()) {
    std::ostringstream b64;
    Poco::Base64Encoder enc(b64);
    enc.rdbuf()->setLineLength(0);
    enc << basic_auth;
    enc.close();
    req.set("Authorization", "Basic " + b64.str());
  }
  return exchange(url, req, form, o);
}

store::Result<ProviderMetadata> discover(const std::string& issuer, const HttpOptions& o) {
  std::string base = issuer;
  while (!base.empty() && base.back() == '/') base.pop_back();
  auto reply = http_get(base + "/.well-known/openid-configuration", o);
  if (!reply) return reply.error();
  if (reply->status != 200) {
    return make_error(Errc::io, "the provider's discovery document answered HTTP " +
                                    std::to_string(reply->status) +
                                    "; check auth.oidc.issuer (it is the URL before "
                                    "/.well-known/openid-configuration)");
  }
  try {
    Poco::JSON::Parser parser;
    auto doc = parser.parse(reply->body).extract<Poco::JSON::Object::Ptr>();
    ProviderMetadata m;
    auto get = [&](const char* k) {
      return doc->has(k) && doc->get(k).isString() ? doc->getValue<std::string>(k) : std::string();
    };
    m.issuer = get("issuer");
    m.authorization_endpoint = get("authorization_endpoint");
    m.token_endpoint = get("token_endpoint");
    m.jwks_uri = get("jwks_uri");
    m.end_session_endpoint = get("end_session_endpoint");
    if (m.issuer != issuer) {
      return make_error(Errc::invalid, "[oidc-discovery] the provider calls itself '" +
                                           m.issuer.substr(0, 200) + "', not '" + issuer +
                                           "'; set auth.oidc.issuer to the provider's issuer");
    }
    if (m.authorization_endpoint.empty() || m.token_endpoint.empty() || m.jwks_uri.empty()) {
      return make_error(Errc::invalid,
                        "[oidc-discovery] the provider's discovery document lacks "
                        "authorization_endpoint, token_endpoint or jwks_uri");
    }
    return m;
  } catch (const std::exception&) {
    return make_error(Errc::invalid,
                      "[oidc-discovery] the provider's discovery document is not JSON");
  }
}

}  // namespace vitrine::server::oidc
