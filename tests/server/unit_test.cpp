// Socket-free pieces: routing, form and cookie parsing, the CSP source list
// guard, sessions.
#include <gtest/gtest.h>

#include "config/config.h"
#include "server/http.h"
#include "server/router.h"
#include "server/security_headers.h"
#include "server/server.h"
#include "server/sessions.h"

namespace vitrine::server {
namespace {

TEST(Router, MatchesTemplatesAndRefusesOddPaths) {
  Router r;
  r.add("GET", "/spaces/{space}/pages/{page}", [](Request&) { return text_response(200, "p"); });
  Request a;
  a.method = "GET";
  a.path = "/spaces/alpha/pages/runbook";
  auto m = r.match(a);
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(a.param("space"), "alpha");
  EXPECT_EQ(a.route, "/spaces/{space}/pages/{page}");
  for (const char* odd :
       {"/spaces//pages/x", "/spaces/alpha/pages/x/", "spaces/a/pages/x", "/spaces/alpha/pages"}) {
    Request b;
    b.method = "GET";
    b.path = odd;
    EXPECT_EQ(r.match(b).handler, nullptr) << odd;
  }
  Request post;
  post.method = "POST";
  post.path = "/spaces/alpha/pages/x";
  auto pm = r.match(post);
  EXPECT_EQ(pm.handler, nullptr);
  EXPECT_TRUE(pm.method_mismatch);
  EXPECT_EQ(pm.allow, "GET");
}

TEST(Http, FormAndCookieParsing) {
  auto f = parse_form("a=1&b=x+y%21&bad=%zz&c=");
  EXPECT_EQ(f["a"], "1");
  EXPECT_EQ(f["b"], "x y!");
  EXPECT_EQ(f.count("bad"), 0u);
  EXPECT_EQ(f["c"], "");
  auto c = parse_cookies("vitrine_session=abc; other=1; vitrine_session=shadow");
  EXPECT_EQ(c["vitrine_session"], "abc");
  EXPECT_TRUE(is_slug("a-1", 64));
  EXPECT_FALSE(is_slug("A", 64));
  EXPECT_FALSE(is_slug("..", 64));
}

TEST(SecurityHeaders, FrameAncestorsCannotInjectDirectives) {
  EXPECT_EQ(safe_frame_ancestors("'self' https://wiki.example.com"),
            "'self' https://wiki.example.com");
  EXPECT_EQ(safe_frame_ancestors("'self'; script-src *"), "'none'");
  EXPECT_EQ(safe_frame_ancestors("x\r\nSet-Cookie: a=b"), "'none'");
  Response r = html_response(200, "<p>");
  apply_security_headers(r, "'none'");
  EXPECT_TRUE(r.has_header("Content-Security-Policy"));
}

TEST(Sessions, OpaqueIdsCompareInConstantTime) {
  // The session store itself is database-backed (tests/server/
  // shared_sessions_test.cpp); ids and CSRF tokens are 256-bit random hex.
  const std::string a = random_hex_id();
  const std::string b = random_hex_id();
  EXPECT_EQ(a.size(), 64u);
  EXPECT_NE(a, b);
  EXPECT_TRUE(constant_time_equal(a, a));
  EXPECT_FALSE(constant_time_equal(a, a.substr(1)));
  EXPECT_FALSE(constant_time_equal("", ""));
}

}  // namespace
}  // namespace vitrine::server

namespace vitrine::server {
namespace {

TEST(Config, ExampleConfigParsesWithoutDiagnostics) {
  auto r = config::load_config(VITRINE_SOURCE_DIR "/vitrine.example.yml");
  for (const auto& d : r.diagnostics) ADD_FAILURE() << manifest::format(d);
  ASSERT_TRUE(r.config.has_value());
  EXPECT_EQ(r.config->listen_port, 8080);
  EXPECT_EQ(server::options_from_config(*r.config).pages_dir.filename(), "pages");
}

}  // namespace
}  // namespace vitrine::server
