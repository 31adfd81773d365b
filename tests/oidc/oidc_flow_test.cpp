// The OpenID Connect sign-in end to end over loopback HTTP: the real
// server, a hostile provider (hostile_idp.h) whose ID tokens carry exactly
// one flaw each. Each test is named after the rule it proves
// (docs/admin.md "Sign-in"; host/server/oidc/id_token.h).
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "oidc/hostile_idp.h"
#include "server/oidc/id_token.h"
#include "server/oidc/pkce.h"
#include "server/server_fixture.h"
#include "store/crypto/encoding.h"
#include "store/store.h"

namespace vitrine::testing {
namespace {

constexpr const char* kClient = "vitrine-docs";

struct Started {
  std::string cookie;  // vitrine_oidc=...
  std::string state;
  std::string nonce;
  std::string challenge;
};

class OidcFlow : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    if (HasFatalFailure()) return;
    idp_ = std::make_unique<HostileIdp>();
    serve_with_oidc([](config::OidcConfig& o) { o.allow_http_loopback = true; });
  }

  // Restarts the server with auth.oidc pointing at idp_.
  void serve_with_oidc(const std::function<void(config::OidcConfig&)>& adjust) {
    server_->stop();
    config::Config c = config_;
    c.auth.oidc.issuer = idp_->issuer();
    c.auth.oidc.client_id = kClient;
    adjust(c.auth.oidc);
    c.auth.oidc.redirect_uri = "http://127.0.0.1/login/oidc/callback";
    c.auth.oidc.roles = {{"grafana-admins", {"platform-admin"}},
                         {"team-alpha", {"space-admin:alpha"}},
                         {"readers-beta", {"viewer:beta"}}};
    auto so = server::options_from_config(c);
    so.port = 0;
    so.max_threads = 4;
    server_ = std::make_unique<server::Server>(*rt_, *engine_, so);
    server_->start();
  }

  Started start(const std::string& next = "/") {
    Started s;
    auto r = send("GET", "/login/oidc?next=" + next);
    EXPECT_EQ(r.status, 303) << r.body;
    Poco::URI to(r.header("location"));
    for (const auto& [k, v] : to.getQueryParameters()) {
      if (k == "state") s.state = v;
      if (k == "nonce") s.nonce = v;
      if (k == "code_challenge") s.challenge = v;
    }
    const std::string set = r.header("set-cookie");
    s.cookie = set.substr(0, set.find(';'));
    return s;
  }

  HttpResult callback(const Started& s, const std::string& state, const std::string& code = "c1") {
    return send("GET", "/login/oidc/callback?code=" + code + "&state=" + state,
                {{"Cookie", s.cookie}});
  }

  // Signs in with a token built from valid claims changed by `change`.
  HttpResult sign_in_with(
      const std::function<std::string(std::map<std::string, std::string>&)>& make) {
    Started s = start();
    auto claims = idp_->claims(kClient, s.nonce);
    const std::string token = make(claims);
    idp_->answer_with([token] { return token; });
    return callback(s, s.state);
  }

  static void expect_refused_by(const HttpResult& r, const std::string& rule) {
    EXPECT_EQ(r.status, rule == "oidc-no-role" ? 403 : 400) << r.body;
    EXPECT_NE(r.body.find("<code>" + rule + "</code>"), std::string::npos) << r.body;
    EXPECT_EQ(r.header("set-cookie").find("vitrine_session="), std::string::npos);
  }

  std::unique_ptr<HostileIdp> idp_;
};

TEST_F(OidcFlow, OidcSignIn_ValidTokenStartsASessionWithTheMappedRoles) {
  Started s = start("/spaces/alpha");
  auto claims = idp_->claims(kClient, s.nonce);
  claims["groups"] = "[\"team-alpha\",\"readers-beta\",\"unmapped\"]";
  const std::string token = idp_->sign(claims, "RS256", "k1");
  idp_->answer_with([token] { return token; });
  auto r = callback(s, s.state);
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(r.header("location"), "/spaces/alpha");
  std::string cookie;
  for (auto [it, end] = r.headers.equal_range("set-cookie"); it != end; ++it) {
    if (it->second.rfind("vitrine_session=", 0) == 0) cookie = it->second.substr(0, 80);
  }
  ASSERT_FALSE(cookie.empty());
  auto home = send("GET", "/", {{"Cookie", cookie}});
  EXPECT_EQ(home.status, 200);
  EXPECT_NE(home.body.find("/spaces/alpha"), std::string::npos);  // space-admin:alpha
  EXPECT_NE(home.body.find("/spaces/beta"), std::string::npos);   // viewer:beta
  // The user is recorded and the sign-in audited under their name.
  auto users = rt_->store().backend().list_users();
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 1u);
  EXPECT_EQ(users->front().subject, "u-1001");
  EXPECT_EQ(users->front().name, "Ada Example");
  store::AuditQuery q;
  auto rows = rt_->store().audit().query(q);
  ASSERT_TRUE(rows.ok());
  bool audited = false;
  for (const auto& row : *rows) {
    audited |= row.action == "user.sign-in" && row.who.rfind("user:127.0.0.1:", 0) == 0 &&
               row.verdict == "ok";
  }
  EXPECT_TRUE(audited);
}

TEST_F(OidcFlow, OidcPkce_TheTokenRequestCarriesTheVerifierOfTheChallenge) {
  Started s = start();
  const std::string token = idp_->sign(idp_->claims(kClient, s.nonce), "RS256", "k1");
  idp_->answer_with([token] { return token; });
  ASSERT_EQ(callback(s, s.state).status, 303);
  EXPECT_EQ(server::oidc::s256_challenge(idp_->last_code_verifier()), s.challenge);
  EXPECT_GE(idp_->last_code_verifier().size(), 43u);
}

TEST_F(OidcFlow, OidcAlg_AnUnsignedTokenIsRefused) {
  expect_refused_by(sign_in_with([](auto& c) { return HostileIdp::unsigned_token(c); }),
                    "oidc-alg");
}

TEST_F(OidcFlow, OidcAlg_AnHmacTokenIsRefused) {
  expect_refused_by(sign_in_with([this](auto& c) { return idp_->sign_hs256(c); }), "oidc-alg");
}

TEST_F(OidcFlow, OidcKid_AnUnknownKeyIdIsRefused) {
  // k2 exists at the provider but is not published.
  expect_refused_by(sign_in_with([this](auto& c) { return idp_->sign(c, "RS256", "k2"); }),
                    "oidc-kid");
}

TEST_F(OidcFlow, OidcKid_ARotatedKeyIsFetchedAndAccepted) {
  ASSERT_EQ(sign_in_with([this](auto& c) { return idp_->sign(c, "RS256", "k1"); }).status, 303);
  const int before = idp_->jwks_requests();
  idp_->rotate();
  EXPECT_EQ(sign_in_with([this](auto& c) { return idp_->sign(c, "RS256", "k2"); }).status, 303);
  EXPECT_EQ(idp_->jwks_requests(), before + 1);
}

TEST_F(OidcFlow, OidcSignature_ATokenSignedByAnotherKeyIsRefused) {
  expect_refused_by(sign_in_with([this](auto& c) { return idp_->sign(c, "RS256", "rogue"); }),
                    "oidc-signature");
}

TEST_F(OidcFlow, OidcIss_AnotherIssuerIsRefused) {
  expect_refused_by(sign_in_with([this](auto& c) {
                      c["iss"] = "\"https://evil.example\"";
                      return idp_->sign(c, "RS256", "k1");
                    }),
                    "oidc-iss");
}

TEST_F(OidcFlow, OidcAud_ATokenForAnotherClientIsRefused) {
  expect_refused_by(sign_in_with([this](auto& c) {
                      c["aud"] = "\"another-app\"";
                      return idp_->sign(c, "ES256", "e1");
                    }),
                    "oidc-aud");
}

TEST_F(OidcFlow, OidcExp_AnExpiredTokenIsRefused) {
  expect_refused_by(sign_in_with([this](auto& c) {
                      const int64_t iat = std::stoll(c["iat"]);
                      c["iat"] = std::to_string(iat - 3600);
                      c["exp"] = std::to_string(iat - 600);  // beyond the 60 s leeway
                      return idp_->sign(c, "RS256", "k1");
                    }),
                    "oidc-exp");
}

TEST_F(OidcFlow, OidcNonce_ATokenOfAnotherSignInIsRefused) {
  expect_refused_by(sign_in_with([this](auto& c) {
                      c["nonce"] = "\"nonce-of-another-sign-in\"";
                      return idp_->sign(c, "RS256", "k1");
                    }),
                    "oidc-nonce");
}

TEST_F(OidcFlow, OidcState_AnAnswerWithAnotherStateIsRefused) {
  Started s = start();
  const std::string token = idp_->sign(idp_->claims(kClient, s.nonce), "RS256", "k1");
  idp_->answer_with([token] { return token; });
  expect_refused_by(callback(s, "forged-state"), "oidc-state");
  EXPECT_EQ(idp_->token_requests(), 0);  // refused before the code is exchanged
}

TEST_F(OidcFlow, OidcState_AReplayedCallbackIsRefused) {
  Started s = start();
  const std::string token = idp_->sign(idp_->claims(kClient, s.nonce), "RS256", "k1");
  idp_->answer_with([token] { return token; });
  ASSERT_EQ(callback(s, s.state).status, 303);
  expect_refused_by(callback(s, s.state), "oidc-state");
  EXPECT_EQ(idp_->token_requests(), 1);  // the code went to the provider once
}

TEST_F(OidcFlow, OidcState_ACallbackWithoutTheBrowsersCookieIsRefused) {
  Started s = start();
  auto r = send("GET", "/login/oidc/callback?code=c1&state=" + s.state);
  expect_refused_by(r, "oidc-state");
}

TEST_F(OidcFlow, OidcReturnTo_AnOpenRedirectFallsBackToTheStartPage) {
  for (const std::string next : {"//evil.example/x", "https://evil.example", "/\\evil.example"}) {
    Started s = start(next == "https://evil.example" ? "https%3A%2F%2Fevil.example" : next);
    const std::string token = idp_->sign(idp_->claims(kClient, s.nonce), "RS256", "k1");
    idp_->answer_with([token] { return token; });
    auto r = callback(s, s.state);
    ASSERT_EQ(r.status, 303) << next;
    EXPECT_EQ(r.header("location"), "/") << next;
  }
}

TEST_F(OidcFlow, OidcNoRole_AUserWhoseGroupsMapToNoRoleIsRefusedAndAudited) {
  auto r = sign_in_with([this](auto& c) {
    c["groups"] = "[\"marketing\"]";
    return idp_->sign(c, "RS256", "k1");
  });
  expect_refused_by(r, "oidc-no-role");
  EXPECT_NE(r.body.find("none of your groups has a role"), std::string::npos);
  auto rows = rt_->store().audit().query(store::AuditQuery{});
  ASSERT_TRUE(rows.ok());
  bool audited = false;
  for (const auto& row : *rows) {
    audited |= row.action == "user.sign-in" && row.verdict == "deny" &&
               row.detail_json.find("oidc-no-role") != std::string::npos;
  }
  EXPECT_TRUE(audited);
}

TEST_F(OidcFlow, OidcLogout_SignsOutAtTheProviderWhenItOffersIt) {
  Started s = start();
  const std::string token = idp_->sign(idp_->claims(kClient, s.nonce), "RS256", "k1");
  idp_->answer_with([token] { return token; });
  auto r = callback(s, s.state);
  std::string cookie;
  for (auto [it, end] = r.headers.equal_range("set-cookie"); it != end; ++it) {
    if (it->second.rfind("vitrine_session=", 0) == 0) cookie = it->second.substr(0, 80);
  }
  ASSERT_FALSE(cookie.empty());
  const std::string csrf = csrf_of("/", cookie);
  auto out = send("POST", "/logout",
                  {{"Cookie", cookie},
                   {"Origin", origin()},
                   {"Content-Type", "application/x-www-form-urlencoded"}},
                  "csrf=" + csrf);
  ASSERT_EQ(out.status, 200) << out.body;
  EXPECT_EQ(out.header("refresh").rfind("0;url=" + idp_->issuer() + "/logout?", 0), 0u);
  EXPECT_NE(out.header("refresh").find("id_token_hint="), std::string::npos);
  EXPECT_NE(out.body.find("id=\"provider-logout\""), std::string::npos);
  EXPECT_EQ(send("GET", "/", {{"Cookie", cookie}}).status, 303);  // the session is gone
}

TEST_F(OidcFlow, RateClient_SignInStartsBeyondTheBurstAnswer429WithRetryAfter) {
  int limited = 0;
  std::string retry;
  for (int i = 0; i < 25 && !limited; ++i) {
    auto r = send("GET", "/login/oidc");
    if (r.status == 429) {
      ++limited;
      retry = r.header("retry-after");
      EXPECT_NE(r.body.find("rate-client"), std::string::npos);
    }
  }
  EXPECT_EQ(limited, 1);
  EXPECT_FALSE(retry.empty());
  EXPECT_GT(std::stoi(retry), 0);
}

TEST_F(OidcFlow, RateClient_FailedBearerTokensBeyondTheBurstAnswer429InJson) {
  int failures = 0;
  HttpResult limited;
  for (int i = 0; i < 30; ++i) {
    auto r = api("GET", "/api/v1/spaces", "vtr_wrong" + std::to_string(i));
    if (r.status == 429) {
      limited = r;
      break;
    }
    EXPECT_EQ(r.status, 401);
    ++failures;
  }
  EXPECT_EQ(failures, 20);  // auth.sign_in_burst
  EXPECT_EQ(limited.status, 429);
  EXPECT_NE(limited.body.find("\"rate-limited\""), std::string::npos) << limited.body;
  EXPECT_FALSE(limited.header("retry-after").empty());
}

// The validation table alone, with the hostile provider's keys as the key
// set: the rules the flow tests above do not reach.
class IdTokenRules : public ::testing::Test {
 protected:
  struct Keys : server::oidc::KeySource {
    std::string jwks;
    std::optional<std::string> key(const std::string& kid) override {
      return server::oidc::find_jwk(jwks, kid);
    }
  };
  void SetUp() override { keys_.jwks = jwks_document(); }
  uint16_t port() const { return static_cast<uint16_t>(std::stoi(idp_.issuer().substr(17))); }
  std::string jwks_document() {
    Poco::Net::HTTPClientSession session("127.0.0.1", port());
    Poco::Net::HTTPRequest req("GET", "/jwks");
    session.sendRequest(req);
    Poco::Net::HTTPResponse res;
    std::string body;
    Poco::StreamCopier::copyToString(session.receiveResponse(res), body);
    return body;
  }
  server::oidc::IdTokenVerdict check(const std::string& token) {
    server::oidc::IdTokenExpect e;
    e.issuer = idp_.issuer();
    e.client_id = kClient;
    e.nonce = "n-1";
    e.now_s = std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
    return server::oidc::validate_id_token(token, e, keys_);
  }
  std::map<std::string, std::string> claims() { return idp_.claims(kClient, "n-1"); }
  HostileIdp idp_;
  Keys keys_;
};

TEST_F(IdTokenRules, AValidTokenPassesEveryCheckWithRsaAndEc) {
  auto rs = check(idp_.sign(claims(), "RS256", "k1"));
  EXPECT_TRUE(rs.ok) << rs.rule << ": " << rs.message;
  EXPECT_EQ(rs.claims.groups, std::vector<std::string>{"grafana-admins"});
  auto es = check(idp_.sign(claims(), "ES256", "e1"));
  EXPECT_TRUE(es.ok) << es.rule << ": " << es.message;
  auto ps = check(idp_.sign(claims(), "PS256", "k1"));
  EXPECT_TRUE(ps.ok) << ps.rule << ": " << ps.message;
}

TEST_F(IdTokenRules, OidcFormat_NotACompactJwsIsRefused) {
  EXPECT_EQ(check("not-a-token").rule, "oidc-format");
  EXPECT_EQ(check("a.b.c.d").rule, "oidc-format");
  EXPECT_EQ(check("e30.!!!.x").rule, "oidc-format");
}

TEST_F(IdTokenRules, OidcAlg_AnAlgorithmOutsideTheAllowlistIsRefused) {
  server::oidc::IdTokenExpect e;
  e.algorithms = {"ES256"};
  e.issuer = idp_.issuer();
  e.client_id = kClient;
  e.nonce = "n-1";
  EXPECT_EQ(server::oidc::validate_id_token(idp_.sign(claims(), "RS256", "k1"), e, keys_).rule,
            "oidc-alg");
}

TEST_F(IdTokenRules, OidcKid_AKeyOfTheWrongTypeIsRefused) {
  // An EC signature whose header names the RSA key k1.
  auto c = claims();
  std::string token = idp_.sign(c, "ES256", "e1");
  const std::string header = token.substr(0, token.find('.'));
  const std::string json = "{\"alg\":\"ES256\",\"kid\":\"k1\"}";
  const std::string forged = store::crypto::base64url_encode(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(json.data()), json.size()));
  token.replace(0, header.size(), forged);
  EXPECT_EQ(check(token).rule, "oidc-kid");
}

TEST_F(IdTokenRules, OidcSignature_ATamperedPayloadIsRefused) {
  std::string token = idp_.sign(claims(), "RS256", "k1");
  auto c = claims();
  c["groups"] = "[\"grafana-admins\",\"everyone\"]";
  const std::string other = idp_.sign(c, "RS256", "k1");
  const auto d1 = token.find('.'), d2 = token.rfind('.');
  const auto o1 = other.find('.'), o2 = other.rfind('.');
  token.replace(d1 + 1, d2 - d1 - 1, other.substr(o1 + 1, o2 - o1 - 1));
  EXPECT_EQ(check(token).rule, "oidc-signature");
}

TEST_F(IdTokenRules, OidcAud_SeveralAudiencesNeedAzpToBeUs) {
  auto c = claims();
  c["aud"] = "[\"" + std::string(kClient) + "\",\"other\"]";
  EXPECT_EQ(check(idp_.sign(c, "RS256", "k1")).rule, "oidc-aud");
  c["azp"] = "\"" + std::string(kClient) + "\"";
  EXPECT_TRUE(check(idp_.sign(c, "RS256", "k1")).ok);
}

TEST_F(IdTokenRules, OidcExp_ExpiryWithinTheLeewayIsAccepted) {
  auto c = claims();
  c["exp"] = std::to_string(std::stoll(c["iat"]) - 30);  // 30 s ago, leeway 60 s
  EXPECT_TRUE(check(idp_.sign(c, "RS256", "k1")).ok);
  c.erase("exp");
  EXPECT_EQ(check(idp_.sign(c, "RS256", "k1")).rule, "oidc-exp");
}

TEST_F(IdTokenRules, OidcIat_ATokenIssuedInTheFutureIsRefused) {
  auto c = claims();
  c["iat"] = std::to_string(std::stoll(c["iat"]) + 3600);
  EXPECT_EQ(check(idp_.sign(c, "RS256", "k1")).rule, "oidc-iat");
}

TEST_F(IdTokenRules, OidcSub_ATokenWithoutSubjectIsRefused) {
  auto c = claims();
  c.erase("sub");
  EXPECT_EQ(check(idp_.sign(c, "RS256", "k1")).rule, "oidc-sub");
}

// The provider over HTTPS with a certificate of a CA made for this test.
class OidcTls : public OidcFlow {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    if (HasFatalFailure()) return;
    if (std::system("command -v openssl >/dev/null 2>&1") != 0) {
      GTEST_SKIP() << "openssl is not installed (apt-get install openssl)";
    }
    pki_ = dir_ / "pki";
    std::filesystem::create_directories(pki_);
    const std::string d = pki_.string();
    const std::string cmd =
        "cd '" + d +
        "' && for ca in ca other; do openssl req -x509 -newkey rsa:2048 -nodes -days 2 "
        "-subj /CN=test-$ca -keyout $ca.key -out $ca.pem >/dev/null 2>&1 || exit 1; done && "
        "openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout idp.key -out idp.csr "
        ">/dev/null 2>&1 && printf 'subjectAltName=IP:127.0.0.1\\n' > ext.cnf && "
        "openssl x509 -req -in idp.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
        "-extfile ext.cnf -out idp.pem >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "could not make the test certificates in " << d;
    idp_ = std::make_unique<HostileIdp>((pki_ / "idp.key").string(), (pki_ / "idp.pem").string());
  }
  std::filesystem::path pki_;
};

TEST_F(OidcTls, OidcSignIn_TheProviderIsReachedOverTlsWithTheConfiguredCa) {
  ASSERT_EQ(idp_->issuer().rfind("https://", 0), 0u);
  serve_with_oidc([this](config::OidcConfig& o) { o.ca_file = pki_ / "ca.pem"; });
  EXPECT_EQ(sign_in_with([this](auto& c) { return idp_->sign(c, "RS256", "k1"); }).status, 303);
}

TEST_F(OidcTls, OidcDiscovery_AProviderCertificateOfAnotherCaIsRefused) {
  serve_with_oidc([this](config::OidcConfig& o) { o.ca_file = pki_ / "other.pem"; });
  auto r = send("GET", "/login/oidc");
  EXPECT_EQ(r.status, 502) << r.body;
  EXPECT_NE(r.body.find("could not reach the OpenID provider"), std::string::npos) << r.body;
  EXPECT_EQ(r.header("set-cookie"), "");
}

}  // namespace
}  // namespace vitrine::testing
