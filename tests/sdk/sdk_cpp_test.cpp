// The SDK's header-only C++ layer (plugin_api/vitrine/sdk.hpp): capability
// wrappers that cope with missing tables and always carry a reason (ABI-4,
// ABI-5), JSON views, escaping, and the entry macro whose render boundary
// turns exceptions into VITRINE_E_INTERNAL with a reason (ABI-7).
#include <gtest/gtest.h>

#include <cstring>
#include <stdexcept>
#include <string>

#include "vitrine/sdk.hpp"

namespace sdk = vitrine::sdk;

namespace {

// ------------------------------------------------ a minimal fake host

struct FakeHttp {
  vitrine_status status = VITRINE_OK;
  int http_status = 200;
  std::string body = R"({"ok":true})";
  std::string reason;
  std::string last_url;
};
FakeHttp g_http;

vitrine_status fake_get(vitrine_call*, const vitrine_http_request* req,
                        vitrine_http_response* resp) {
  g_http.last_url.assign(req->url.ptr, req->url.len);
  resp->http_status = g_http.status == VITRINE_OK ? g_http.http_status : 0;
  resp->body = sdk::to_vstr(g_http.body);
  resp->content_type = sdk::to_vstr("application/json");
  resp->reason = sdk::to_vstr(g_http.reason);
  return g_http.status;
}

const vitrine_http_v1 kHttp = {sizeof(vitrine_http_v1), fake_get};
struct SmallTable {
  uint32_t struct_size;
};
const SmallTable kTooSmall = {4};

bool g_offer_http = true;
bool g_offer_small_cache = false;
const void* fake_cap(const vitrine_host*, const char* id) {
  if (g_offer_http && std::strcmp(id, VITRINE_CAP_HTTP_V1) == 0) return &kHttp;
  if (g_offer_small_cache && std::strcmp(id, VITRINE_CAP_CACHE_V1) == 0) return &kTooSmall;
  return nullptr;
}

vitrine_host make_host() {
  vitrine_host h{};
  h.struct_size = sizeof(h);
  h.abi = {VITRINE_ABI_MAJOR, VITRINE_ABI_MINOR, VITRINE_ABI_PATCH, 0};
  h.host_name = "test";
  h.host_version = "0";
  h.get_capability = fake_cap;
  return h;
}

struct Sink {
  vitrine_sink sink{sizeof(vitrine_sink), this, &Sink::write};
  std::string text;
  static vitrine_status write(vitrine_sink* s, const char* d, size_t n) {
    static_cast<Sink*>(s->host_data)->text.append(d, n);
    return VITRINE_OK;
  }
};

// ------------------------------------------------ a plugin built with the macro

sdk::Output render_list(const sdk::Request& r) {
  const sdk::HttpResult res = r.caps.get(r.call, std::string(r.grafana_base_url()) + "/api/search" +
                                                     sdk::Query().add("query", r.text("q")).str());
  if (res.status != VITRINE_OK) return sdk::Output::fail(res.status, res.reason);
  const sdk::Document doc = sdk::Document::parse(res.body);
  if (!doc.ok()) {
    return sdk::Output::fail(VITRINE_E_UPSTREAM, "Grafana's answer is not JSON: " + doc.error());
  }
  std::string html = "<ul>";
  for (sdk::Json item : doc.root())
    html += "<li>" + sdk::escape_html(item["title"].str("?")) + "</li>";
  return sdk::Output::ok(html + "</ul>", 60);
}
sdk::Output render_throws(const sdk::Request&) { throw std::runtime_error("boom"); }
sdk::Output render_silent_failure(const sdk::Request&) {
  return sdk::Output::fail(VITRINE_E_UPSTREAM, "");
}

constexpr sdk::Macro kMacros[] = {
    {"list", render_list}, {"throws", render_throws}, {"silent", render_silent_failure}};

}  // namespace

VITRINE_SDK_PLUGIN("sdk-test", "1.2.3", kMacros)

namespace {

struct Rendered {
  vitrine_status status;
  std::string html;
  std::string error;
  uint32_t ttl;
};

const vitrine_plugin* create_plugin() {
  static vitrine_host host = make_host();
  const vitrine_plugin* p = nullptr;
  Sink reason;
  EXPECT_EQ(vitrine_entry.create(&host, &p, &reason.sink), VITRINE_OK) << reason.text;
  return p;
}

Rendered render(const char* macro, const char* q = "cpu") {
  const vitrine_plugin* p = create_plugin();
  vitrine_param param{};
  param.name = sdk::to_vstr("q");
  param.text_value = sdk::to_vstr(q);
  vitrine_render_request req{};
  req.struct_size = sizeof(req);
  req.macro_key = sdk::to_vstr(macro);
  req.params = &param;
  req.param_count = 1;
  req.grafana_base_url = sdk::to_vstr("https://grafana.example");
  Sink html;
  Sink error;
  vitrine_render_result res{sizeof(res), &html.sink, &error.sink, 0};
  const vitrine_status st = p->render(p, nullptr, &req, &res);
  return Rendered{st, html.text, error.text, res.cache_ttl_s};
}

TEST(SdkCpp, EntryMacroExportsIdVersionAndNullTerminatedKeys) {
  EXPECT_STREQ(vitrine_entry.plugin_id, "sdk-test");
  EXPECT_STREQ(vitrine_entry.plugin_version, "1.2.3");
  EXPECT_EQ(vitrine_entry.struct_size, sizeof(vitrine_plugin_entry));
  EXPECT_STREQ(vitrine_entry.macro_keys[0], "list");
  EXPECT_STREQ(vitrine_entry.macro_keys[2], "silent");
  EXPECT_EQ(vitrine_entry.macro_keys[3], nullptr);
}

TEST(SdkCpp, CreateRefusesAnotherAbiMajorWithAReason) {
  vitrine_host host = make_host();
  host.abi.major = VITRINE_ABI_MAJOR + 1;
  const vitrine_plugin* p = nullptr;
  Sink reason;
  EXPECT_EQ(vitrine_entry.create(&host, &p, &reason.sink), VITRINE_E_INVALID);
  EXPECT_NE(reason.text.find("ABI major version differs"), std::string::npos) << reason.text;
}

TEST(SdkCpp, RendersThroughTheHttpCapabilityAndEscapes) {
  g_http = FakeHttp{};
  g_http.body = R"([{"title":"CPU <1>"},{"title":"Mem & IO"},{"id":3}])";
  const Rendered r = render("list", "a&b c");
  ASSERT_EQ(r.status, VITRINE_OK) << r.error;
  EXPECT_EQ(r.html, "<ul><li>CPU &lt;1&gt;</li><li>Mem &amp; IO</li><li>?</li></ul>");
  EXPECT_EQ(r.ttl, 60u);
  EXPECT_EQ(g_http.last_url, "https://grafana.example/api/search?query=a%26b%20c");
}

TEST(SdkCpp, ABI_7_ExceptionsBecomeInternalWithAReason) {
  const Rendered r = render("throws");
  EXPECT_EQ(r.status, VITRINE_E_INTERNAL);
  EXPECT_EQ(r.error, "the plugin failed unexpectedly: boom");
  EXPECT_EQ(r.html, "") << "no partial fragment on failure";
}

TEST(SdkCpp, ABI_5_EveryFailureCarriesAReason) {
  Rendered r = render("silent");
  EXPECT_EQ(r.status, VITRINE_E_UPSTREAM);
  EXPECT_EQ(r.error, "the plugin failed without giving a reason");
  r = render("nope");
  EXPECT_EQ(r.status, VITRINE_E_NOT_FOUND);
  EXPECT_EQ(r.error, "this plugin has no macro 'nope'");
  // A capability failure the host sent without a reason still gets one.
  g_http = FakeHttp{};
  g_http.status = VITRINE_E_UNAVAILABLE;
  r = render("list");
  EXPECT_EQ(r.status, VITRINE_E_UNAVAILABLE);
  EXPECT_EQ(r.error,
            "the HTTP capability failed with status " + std::to_string(VITRINE_E_UNAVAILABLE));
  g_http.reason = "connection refused";
  EXPECT_EQ(render("list").error, "connection refused") << "the host's reason is kept";
  g_http = FakeHttp{};
  g_http.body = "<html>";
  r = render("list");
  EXPECT_EQ(r.status, VITRINE_E_UPSTREAM);
  EXPECT_EQ(r.error, "Grafana's answer is not JSON: offset 0: unexpected character '<'");
}

TEST(SdkCpp, ABI_4_MissingOrTooSmallTablesAreFailuresNotCrashes) {
  g_offer_http = false;
  g_offer_small_cache = true;
  vitrine_host host = make_host();
  const sdk::Caps caps(&host);
  g_offer_http = true;
  g_offer_small_cache = false;
  EXPECT_FALSE(caps.has_http());
  EXPECT_FALSE(caps.has_cache()) << "a table smaller than v1 is treated as missing";
  const sdk::HttpResult r = caps.get(nullptr, "https://grafana.example/api/health");
  EXPECT_EQ(r.status, VITRINE_E_UNAVAILABLE);
  EXPECT_NE(r.reason.find("vitrine.http/1"), std::string::npos);
  EXPECT_EQ(caps.cache_get(nullptr, "k"), std::nullopt);
  EXPECT_FALSE(caps.cache_put(nullptr, "k", "v", 1));
  std::string reason;
  EXPECT_EQ(caps.asset_put(nullptr, "image/png", "x", reason), std::nullopt);
  EXPECT_NE(reason.find("vitrine.assets/1"), std::string::npos);
  EXPECT_EQ(caps.licensed(nullptr, "f"), std::nullopt) << "fail closed";
  caps.log(nullptr, VITRINE_LOG_INFO, "no table, no crash");
  const sdk::Caps none(nullptr);
  EXPECT_FALSE(none.has_http());
}

TEST(SdkCpp, JsonViewsChainAndIterate) {
  const sdk::Document doc = sdk::Document::parse(
      R"({"dashboard":{"title":"T","panels":[{"id":1},{"id":2.0},{"id":"3"}]},"n":null})");
  ASSERT_TRUE(doc.ok()) << doc.error();
  EXPECT_EQ(doc.error(), "");
  const sdk::Json d = doc.root()["dashboard"];
  EXPECT_EQ(d["title"].str(), "T");
  EXPECT_EQ(d["missing"]["deeper"].str("fallback"), "fallback");
  EXPECT_FALSE(d["missing"]);
  EXPECT_TRUE(doc.root()["n"].is_null());
  std::vector<int64_t> ids;
  for (sdk::Json p : d["panels"]) ids.push_back(p["id"].int64().value_or(-1));
  EXPECT_EQ(ids, (std::vector<int64_t>{1, 2, -1}));
  EXPECT_EQ(doc.root().key_at(0), "dashboard");
  EXPECT_EQ(doc.root().at(1).is_null(), true);
  int members = 0;
  for (sdk::Json v : doc.root()) members += v ? 1 : 0;
  EXPECT_EQ(members, 2);
  sdk::Document moved = sdk::Document::parse("[1]");
  moved = sdk::Document::parse(R"({"a":1,"a":2})");
  EXPECT_FALSE(moved.ok());
  EXPECT_EQ(moved.status(), VITRINE_E_INVALID);
  EXPECT_EQ(moved.error(), "offset 0: duplicate key \"a\" in an object");
  EXPECT_FALSE(moved.root());
}

TEST(SdkCpp, TextHelpersMatchTheCLibrary) {
  EXPECT_EQ(sdk::escape_html("<b>'x'</b>"), "&lt;b&gt;&#39;x&#39;&lt;/b&gt;");
  EXPECT_EQ(sdk::escape_attr("\""), "&quot;");
  EXPECT_EQ(sdk::url_segment("a/b"), "a%2Fb");
  EXPECT_EQ(sdk::url_query("a=b&c"), "a%3Db%26c");
  EXPECT_EQ(sdk::Query().add("a", "1 2").add("n", 3LL).str(), "?a=1%202&n=3");
  EXPECT_EQ(sdk::rfc3339(1795948920000), "2026-11-29T10:42:00Z");
  EXPECT_EQ(sdk::display_time(1795948920000), "2026-11-29 10:42 UTC");
  EXPECT_EQ(sdk::parse_rfc3339("2026-11-29T10:42:00Z"), 1795948920000);
  EXPECT_EQ(sdk::parse_rfc3339("nope"), std::nullopt);
  EXPECT_EQ(sdk::duration(3600 * 1000), "1h");
}

}  // namespace
