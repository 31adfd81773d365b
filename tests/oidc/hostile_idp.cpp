#include "oidc/hostile_idp.h"

#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>
#include <cjose/cjose.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "store/crypto/encoding.h"

namespace vitrine::testing {
namespace {

std::string b64url(const std::string& s) {
  return store::crypto::base64url_encode({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
}

cjose_jwk_t* rsa_key(const char* kid) {
  cjose_err err{};
  static const uint8_t e[] = {0x01, 0x00, 0x01};
  cjose_jwk_t* k = cjose_jwk_create_RSA_random(2048, e, sizeof e, &err);
  if (!k || !cjose_jwk_set_kid(k, kid, std::strlen(kid), &err)) {
    throw std::runtime_error("cjose RSA key");
  }
  return k;
}

cjose_jwk_t* ec_key(const char* kid) {
  cjose_err err{};
  cjose_jwk_t* k = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &err);
  if (!k || !cjose_jwk_set_kid(k, kid, std::strlen(kid), &err)) {
    throw std::runtime_error("cjose EC key");
  }
  return k;
}

std::string public_json(cjose_jwk_t* k) {
  cjose_err err{};
  char* j = cjose_jwk_to_json(k, false, &err);
  std::string out = j ? j : "";
  std::free(j);
  return out;
}

}  // namespace

std::string json_object(const std::map<std::string, std::string>& members) {
  std::string out = "{";
  for (const auto& [k, v] : members) {
    if (out.size() > 1) out += ",";
    out += "\"" + k + "\":" + v;
  }
  return out + "}";
}

struct HostileIdp::Impl {
  HostileIdp& owner;
  std::map<std::string, cjose_jwk_t*> keys;
  std::set<std::string> published{"k1", "e1"};
  mutable std::mutex mu;
  std::function<std::string()> next;
  std::string verifier;
  // Its own threads, joined at the end: OpenSSL's per-thread state is
  // freed when they exit (the default pool's threads outlive the test).
  std::unique_ptr<Poco::ThreadPool> pool = std::make_unique<Poco::ThreadPool>(1, 4);
  std::unique_ptr<Poco::Net::HTTPServer> server;
  uint16_t port = 0;
  std::string scheme = "http";

  explicit Impl(HostileIdp& o) : owner(o) {
    keys["k1"] = rsa_key("k1");
    keys["k2"] = rsa_key("k2");
    keys["rogue"] = rsa_key("k1");  // same kid as k1, different key: a wrong signature
    keys["e1"] = ec_key("e1");
  }
  ~Impl() {
    for (auto& [unused, k] : keys) cjose_jwk_release(k);
  }

  std::string jwks() {
    std::lock_guard lock(mu);
    std::string out = "{\"keys\":[";
    bool first = true;
    for (const auto& id : published) {
      out += (first ? "" : ",") + public_json(keys[id]);
      first = false;
    }
    return out + "]}";
  }
};

namespace {

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  Handler(HostileIdp& idp, HostileIdp::Impl& impl, std::atomic<int>& jwks, std::atomic<int>& token)
      : idp_(idp), impl_(impl), jwks_(jwks), token_(token) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& res) override {
    const std::string path = req.getURI().substr(0, req.getURI().find('?'));
    std::string body;
    if (path == "/.well-known/openid-configuration") {
      const std::string i = idp_.issuer();
      body = "{\"issuer\":\"" + i + "\",\"authorization_endpoint\":\"" + i +
             "/auth\",\"token_endpoint\":\"" + i + "/token\",\"jwks_uri\":\"" + i +
             "/jwks\",\"end_session_endpoint\":\"" + i + "/logout\"}";
    } else if (path == "/jwks") {
      ++jwks_;
      body = impl_.jwks();
    } else if (path == "/token" && req.getMethod() == "POST") {
      ++token_;
      Poco::Net::HTMLForm form(req, req.stream());
      std::function<std::string()> next;
      {
        std::lock_guard lock(impl_.mu);
        impl_.verifier = form.get("code_verifier", "");
        next = impl_.next;
      }
      body = "{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"id_token\":\"" +
             (next ? next() : std::string()) + "\"}";
    } else {
      res.setStatus(Poco::Net::HTTPResponse::HTTP_NOT_FOUND);
      res.send() << "{}";
      return;
    }
    res.setContentType("application/json");
    res.setContentLength(static_cast<std::streamsize>(body.size()));
    res.send() << body;
  }

 private:
  HostileIdp& idp_;
  HostileIdp::Impl& impl_;
  std::atomic<int>& jwks_;
  std::atomic<int>& token_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Factory(HostileIdp& idp, HostileIdp::Impl& impl, std::atomic<int>& jwks, std::atomic<int>& token)
      : idp_(idp), impl_(impl), jwks_(jwks), token_(token) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(idp_, impl_, jwks_, token_);
  }

 private:
  HostileIdp& idp_;
  HostileIdp::Impl& impl_;
  std::atomic<int>& jwks_;
  std::atomic<int>& token_;
};

}  // namespace

HostileIdp::HostileIdp(const std::string& key_pem, const std::string& cert_pem)
    : impl_(std::make_unique<Impl>(*this)) {
  Poco::Net::ServerSocket socket;
  if (!cert_pem.empty()) {
    Poco::Net::Context::Ptr ctx = new Poco::Net::Context(
        Poco::Net::Context::SERVER_USE, key_pem, cert_pem, "", Poco::Net::Context::VERIFY_NONE);
    socket = Poco::Net::SecureServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0), 64, ctx);
    impl_->scheme = "https";
  } else {
    socket = Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0));
  }
  impl_->port = socket.address().port();
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(4);
  impl_->server = std::make_unique<Poco::Net::HTTPServer>(
      new Factory(*this, *impl_, jwks_requests_, token_requests_), *impl_->pool, socket, params);
  impl_->server->start();
}

HostileIdp::~HostileIdp() {
  if (impl_->server) impl_->server->stopAll(true);
  impl_->server.reset();
  impl_->pool->stopAll();
}

std::string HostileIdp::issuer() const {
  return impl_->scheme + "://127.0.0.1:" + std::to_string(impl_->port);
}

std::map<std::string, std::string> HostileIdp::claims(const std::string& client_id,
                                                      const std::string& nonce) const {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return {{"iss", "\"" + issuer() + "\""},
          {"aud", "\"" + client_id + "\""},
          {"sub", "\"u-1001\""},
          {"name", "\"Ada Example\""},
          {"email", "\"ada@example.com\""},
          {"groups", "[\"grafana-admins\"]"},
          {"iat", std::to_string(now)},
          {"exp", std::to_string(now + 300)},
          {"nonce", "\"" + nonce + "\""}};
}

std::string HostileIdp::sign(const std::map<std::string, std::string>& claims,
                             const std::string& alg, const std::string& key_id) const {
  cjose_err err{};
  cjose_header_t* h = cjose_header_new(&err);
  cjose_jwk_t* key = impl_->keys.at(key_id);
  const std::string kid = key_id == "rogue" ? "k1" : key_id;
  cjose_header_set(h, CJOSE_HDR_ALG, alg.c_str(), &err);
  cjose_header_set(h, CJOSE_HDR_KID, kid.c_str(), &err);
  const std::string payload = json_object(claims);
  cjose_jws_t* jws = cjose_jws_sign(key, h, reinterpret_cast<const uint8_t*>(payload.data()),
                                    payload.size(), &err);
  cjose_header_release(h);
  if (!jws)
    throw std::runtime_error(std::string("cjose sign: ") + (err.message ? err.message : ""));
  const char* out = nullptr;
  cjose_jws_export(jws, &out, &err);
  std::string s = out ? out : "";
  cjose_jws_release(jws);
  return s;
}

std::string HostileIdp::sign_hs256(const std::map<std::string, std::string>& claims) const {
  cjose_err err{};
  static const uint8_t secret[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                     12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                     23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
  cjose_jwk_t* key = cjose_jwk_create_oct_spec(secret, sizeof secret, &err);
  cjose_header_t* h = cjose_header_new(&err);
  cjose_header_set(h, CJOSE_HDR_ALG, "HS256", &err);
  cjose_header_set(h, CJOSE_HDR_KID, "k1", &err);
  const std::string payload = json_object(claims);
  cjose_jws_t* jws = cjose_jws_sign(key, h, reinterpret_cast<const uint8_t*>(payload.data()),
                                    payload.size(), &err);
  cjose_header_release(h);
  cjose_jwk_release(key);
  if (!jws) throw std::runtime_error("cjose HS256 sign");
  const char* out = nullptr;
  cjose_jws_export(jws, &out, &err);
  std::string s = out ? out : "";
  cjose_jws_release(jws);
  return s;
}

std::string HostileIdp::unsigned_token(const std::map<std::string, std::string>& claims) {
  return b64url("{\"alg\":\"none\",\"kid\":\"k1\"}") + "." + b64url(json_object(claims)) + ".";
}

void HostileIdp::answer_with(std::function<std::string()> make_id_token) {
  std::lock_guard lock(impl_->mu);
  impl_->next = std::move(make_id_token);
}

void HostileIdp::rotate() {
  std::lock_guard lock(impl_->mu);
  impl_->published.insert("k2");
}

std::string HostileIdp::last_code_verifier() const {
  std::lock_guard lock(impl_->mu);
  return impl_->verifier;
}

}  // namespace vitrine::testing
