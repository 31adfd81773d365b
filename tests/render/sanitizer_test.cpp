// Sanitizer tests. Each XSS vector names the rule that must fire for it (the
// removal list is checked), and every output is re-parsed and walked by an
// independent checker (sanitizer_test_support.h) that fails on any script,
// handler, embedding element or URL outside the allowed forms.
#include "render/sanitizer.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "render/sanitizer_rules.h"
#include "sanitizer_test_support.h"

namespace vitrine::render {
namespace {

using testing::has_rule;
using testing::test_context;
using testing::unsafe_constructs;

struct XssVector {
  std::string_view rule;  // the rule that must fire ("" when the parser alone neutralizes it)
  std::string_view html;
};

// Literal with embedded NUL bytes kept.
#define V(rule, lit) \
  XssVector { rule, std::string_view(lit, sizeof(lit) - 1) }

// OWASP XSS filter evasion cheat sheet style vectors, adapted to a fragment.
const std::vector<XssVector>& vectors() {
  static const std::vector<XssVector> kVectors = {
      V("sanitize-element-dropped", "<script>alert(1)</script>"),
      V("sanitize-element-dropped", "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>"),
      V("", "<scr<script>ipt>alert(1)</script>"),
      V("sanitize-element-dropped", "<style>@import 'https://evil.example/x.css';</style>"),
      V("sanitize-element-dropped", "<iframe src=\"javascript:alert(1)\"></iframe>"),
      V("sanitize-element-dropped",
        "<iframe srcdoc=\"&lt;script&gt;alert(1)&lt;/script&gt;\"></iframe>"),
      V("sanitize-element-dropped", "<object data=\"javascript:alert(1)\"></object>"),
      V("sanitize-element-dropped", "<embed src=\"https://evil.example/x.swf\">"),
      V("sanitize-element-dropped",
        "<form action=\"javascript:alert(1)\"><input type=submit></form>"),
      V("sanitize-element-dropped", "<button formaction=\"javascript:alert(1)\">x</button>"),
      V("sanitize-element-dropped", "<link rel=import href=\"https://evil.example/x.html\">"),
      V("sanitize-element-dropped", "<link rel=stylesheet href=\"https://evil.example/x.css\">"),
      V("sanitize-element-dropped",
        "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">"),
      V("sanitize-element-dropped", "<base href=\"https://evil.example/\">"),
      V("sanitize-element-dropped", "<template><script>alert(1)</script></template>"),
      V("sanitize-element-dropped",
        "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>"),
      V("sanitize-element-dropped", "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>"),
      V("sanitize-element-dropped",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>"),
      V("sanitize-element-dropped",
        "<svg><foreignObject><iframe src=javascript:alert(1)></iframe></foreignObject></svg>"),
      V("sanitize-element-dropped",
        "<svg><use "
        "href=\"data:image/svg+xml;base64,PHN2Zz48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9zdmc+#x\"/></"
        "svg>"),
      V("sanitize-element-dropped",
        "<svg><animate attributeName=\"href\" values=\"javascript:alert(1)\"/></svg>"),
      V("sanitize-element-dropped",
        "<svg><set attributeName=\"onmouseover\" to=\"alert(1)\"/></svg>"),
      V("sanitize-element-dropped", "<svg><image href=\"https://evil.example/x.png\"/></svg>"),
      V("sanitize-element-dropped", "<svg><script>alert(1)</script></svg>"),
      V("sanitize-element-dropped",
        "<svg><style>*{background:url(https://evil.example)}</style></svg>"),
      V("sanitize-element-dropped", "<textarea><script>alert(1)</script></textarea>"),
      V("sanitize-element-dropped", "<title><script>alert(1)</script></title>"),
      V("sanitize-element-dropped", "<xmp><script>alert(1)</script></xmp>"),
      V("sanitize-element-dropped", "<noembed><img src=x onerror=alert(1)></noembed>"),
      V("sanitize-element-dropped", "<video><source onerror=\"alert(1)\"></video>"),
      V("sanitize-element-dropped", "<audio src=x onerror=alert(1)>"),
      V("", "<frameset onload=alert(1)>"),
      V("sanitize-element-dropped",
        "<select><option><img src=x onerror=alert(1)></option></select>"),
      V("sanitize-element-dropped", "<applet code=\"x\">x</applet>"),
      V("sanitize-element-dropped", "<plaintext><script>alert(1)"),
      V("sanitize-element-dropped",
        "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>"),
      V("sanitize-element-dropped", "<svg><animateTransform attributeName=transform/></svg>"),
      V("sanitize-element-dropped", "<canvas id=x></canvas>"),
      V("sanitize-element-dropped",
        "<iframe src=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\"></iframe>"),
      V("sanitize-element-dropped",
        "<object type=\"text/x-scriptlet\" data=\"https://evil.example/x.sct\"></object>"),
      V("sanitize-element-dropped",
        "<form id=test></form><button form=test formaction=javascript:alert(1)>X</button>"),
      V("sanitize-element-dropped",
        "<svg><set attributeName=\"href\" to=\"javascript:alert(1)\" "
        "begin=\"0\"/><a><text>x</text></a></svg>"),
      V("sanitize-element-dropped", "<embed code=\"javascript:alert(1)\"></embed>"),
      V("sanitize-element-dropped", "<svg><feImage href=\"https://evil.example\"/></svg>"),
      V("sanitize-element-dropped", "<input type=image src=javascript:alert(1)>"),
      V("sanitize-element-dropped", "<svg><image xlink:href=\"javascript:alert(1)\"/></svg>"),
      V("sanitize-element-dropped",
        "<svg></p><style><a id=\"</style><img src=1 onerror=alert(1)>\">"),
      V("sanitize-element-dropped", "<svg><p><style><img src=1 onerror=alert(1)>"),
      V("sanitize-element-dropped",
        "<table><tr><td><math><mtext></table><mglyph><svg><mtext><textarea><path "
        "id=\"</textarea><img onerror=alert(1) src=1>\">"),
      V("sanitize-element-dropped",
        "\0"
        "<script>alert(1)</script>"),
      V("sanitize-element-dropped", "<noscript><style></noscript><img src=x onerror=alert(1)>"),
      V("sanitize-element-dropped", "<template><img src=x onerror=alert(1)></template><p>x</p>"),
      V("sanitize-attr-event-handler", "<img src=x onerror=alert(1)>"),
      V("sanitize-attr-event-handler", "<IMG SRC=x ONERROR=alert(1)>"),
      V("sanitize-attr-event-handler", "<svg onload=alert(1)>"),
      V("", "<body onload=alert(1)>"),
      V("sanitize-attr-event-handler", "<div onmouseover=\"alert(1)\">x</div>"),
      V("sanitize-attr-event-handler", "<a onclick=alert(1)>x</a>"),
      V("sanitize-attr-event-handler", "<details open ontoggle=alert(1)>"),
      V("sanitize-attr-event-handler", "<p/onclick=alert(1)>x"),
      V("sanitize-attr-event-handler", "<svg><g onclick=alert(1)></g></svg>"),
      V("sanitize-attr-event-handler", "<svg><rect onbegin=alert(1)/></svg>"),
      V("sanitize-attr-event-handler", "<img src=/assets/ops/a.png onload=alert(1)>"),
      V("sanitize-attr-event-handler", "<div onfocus=alert(1) tabindex=1 autofocus>"),
      V("sanitize-attr-event-handler", "<span onpointerenter=alert(1)>x</span>"),
      V("sanitize-attr-event-handler", "<table><tr><td onmouseenter=alert(1)>x</td></tr></table>"),
      V("sanitize-attr-event-handler", "<img src=\"x\" onerror  =  \"alert(1)\">"),
      V("sanitize-attr-event-handler", "<img src=x:alert(alt) onerror=eval(src) alt=0>"),
      V("sanitize-attr-event-handler", "<div ONCLICK=\"alert(1)\">x</div>"),
      V("sanitize-attr-event-handler", "<time onbeforeprint=alert(1)>x</time>"),
      V("sanitize-attr-event-handler", "<svg><text onactivate=alert(1)>x</text></svg>"),
      V("sanitize-attr-event-handler", "<h1 onanimationstart=alert(1)>x</h1>"),
      V("sanitize-attr-event-handler",
        "<details open ontoggle=\"alert(1)\"><summary>x</summary></details>"),
      V("sanitize-attr-event-handler",
        "<a href=\"https://grafana.example.com/d/abc?orgId=1&amp;from=now-1h\" "
        "onclick=alert(1)>ok</a>"),
      V("sanitize-attr-event-handler", "<!-- a <!-- b --> <img src=x onerror=alert(1)> -->"),
      V("sanitize-attr-event-handler", "<!--><img src=x onerror=alert(1)>-->"),
      V("sanitize-link-scheme", "<a href=\"javascript:alert(1)\">x</a>"),
      V("sanitize-link-scheme", "<a href=\"JaVaScRiPt:alert(1)\">x</a>"),
      V("sanitize-link-syntax", "<a href=\"jav&#x09;ascript:alert(1)\">x</a>"),
      V("sanitize-link-syntax", "<a href=\"jav&#x0A;ascript:alert(1)\">x</a>"),
      V("sanitize-link-syntax", "<a href=\"jav&#x0D;ascript:alert(1)\">x</a>"),
      V("sanitize-link-syntax", "<a href=\"jav\tascript:alert(1)\">x</a>"),
      V("sanitize-link-scheme",
        "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>"),
      V("sanitize-link-scheme",
        "<a "
        "href=\"&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)\">x</"
        "a>"),
      V("sanitize-link-syntax", "<a href=\" javascript:alert(1)\">x</a>"),
      V("sanitize-link-scheme", "<a href=\"&#0000106&#0000097vascript:alert(1)\">x</a>"),
      V("sanitize-link-scheme", "<a href=\"javascript&colon;alert(1)\">x</a>"),
      V("sanitize-link-scheme",
        "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>"),
      V("sanitize-link-scheme", "<a href=\"vbscript:msgbox(1)\">x</a>"),
      V("sanitize-link-scheme", "<a href=\"//evil.example/x\">x</a>"),
      V("sanitize-link-scheme", "<a href=\"/relative\">x</a>"),
      V("sanitize-link-origin", "<a href=\"https://evil.example/\">x</a>"),
      V("sanitize-link-origin", "<a href=\"https://grafana.example.com.evil.example/\">x</a>"),
      V("sanitize-link-syntax", "<a href=\"https://grafana.example.com@evil.example/\">x</a>"),
      V("sanitize-link-syntax", "<a href=\"https://evil.example\\@grafana.example.com/\">x</a>"),
      V("sanitize-link-origin", "<a href=\"https://grafana.example.com:8443/\">x</a>"),
      V("sanitize-link-scheme", "<a href=\"http://grafana.example.com/\">x</a>"),
      V("sanitize-link-syntax", "<a href=\"https://127.0.0.1/\">x</a>"),
      V("sanitize-link-syntax", "<a href=\"https://grafana.example.com%2eevil.example/\">x</a>"),
      V("sanitize-link-origin", "<a href=\"https://gr&#x61;fana.example.com.evil.example/\">x</a>"),
      V("sanitize-link-syntax", "<a href=\"https:\\\\evil.example\">x</a>"),
      V("sanitize-link-syntax", "<a href=\"https://grafana.example.com/x y\">x</a>"),
      V("sanitize-link-syntax",
        "<a href=\"\x01"
        "javascript:alert(1)\">x</a>"),
      V("sanitize-link-syntax", "<a href=\"https://grafana.example.com/&#x0;x\">x</a>"),
      V("sanitize-element-unwrapped",
        "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>"),
      V("sanitize-element-unwrapped",
        "<svg><a href=\"javascript:alert(1)\"><text>x</text></a></svg>"),
      V("sanitize-link-rel", "<a href=\"javascript:alert(1)\" rel=opener target=_self>x</a>"),
      V("sanitize-element-unwrapped", "<map><area href=\"javascript:alert(1)\"></map>"),
      V("sanitize-link-syntax", "<a href=\"https://ＧＲＡＦＡＮＡ.example.com/\">x</a>"),
      V("sanitize-link-syntax", "<a href=\"https://grafana.example.com./\">x</a>"),
      V("sanitize-link-scheme", "<a href=\"HTTPS://grafana.example.com/\">x</a>"),
      V("sanitize-link-scheme", "<a href=\"https:grafana.example.com/\">x</a>"),
      V("sanitize-link-syntax", "<a href=\"&#14;javascript:alert(1)\">x</a>"),
      V("sanitize-link-scheme",
        "<a href=\"https://grafana.example.com/\"><a href=\"javascript:alert(1)\">x</a></a>"),
      V("sanitize-link-syntax", "<a href=\"https://grafana.example.com:443.evil.example/\">x</a>"),
      V("sanitize-img-src", "<img src=//evil.example/x.png>"),
      V("sanitize-img-src", "<img src=\"https://evil.example/x.png\">"),
      V("sanitize-img-asset", "<img src=\"/assets/other/x.png\">"),
      V("sanitize-img-asset", "<img src=\"/assets/ops/../other/x.png\">"),
      V("sanitize-img-asset", "<img src=\"/assets/ops//evil.example/x.png\">"),
      V("sanitize-img-asset", "<img src=\"/assets/ops/%2e%2e/x.png\">"),
      V("sanitize-img-asset", "<img src=\"/assets/ops/x.png?y=1\">"),
      V("sanitize-img-data",
        "<img src=\"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+\">"),
      V("sanitize-img-data", "<img src=\"data:text/html;base64,PHNjcmlwdD4=\">"),
      V("sanitize-img-data", "<img src=\"data:image/png;base64,!!!!\">"),
      V("sanitize-img-data", "<img src=\"data:image/png,rawbytes\">"),
      V("sanitize-img-data", "<img src=\"data:image/png;base64,R0lGODlhAQABAAAAACw=\">"),
      V("sanitize-img-src", "<img src=\"javascript:alert(1)\">"),
      V("sanitize-img-src", "<img src=\"  /assets/ops/x.png\">"),
      V("sanitize-img-src", "<img src=\"/assets/ops\\..\\other\\x.png\">"),
      V("sanitize-attr-not-allowed", "<img srcset=\"https://evil.example/x.png 1x\">"),
      V("sanitize-img-asset", "<img src=\"/assets/OPS/x.png\">"),
      V("sanitize-attr-not-allowed", "<img dynsrc=\"javascript:alert(1)\">"),
      V("sanitize-attr-not-allowed", "<img lowsrc=\"javascript:alert(1)\">"),
      V("sanitize-img-src", "<IMG SRC=\"jav&#x0A;ascript:alert('XSS');\">"),
      V("sanitize-img-src", "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>"),
      V("sanitize-img-asset", "<img src=\"/assets/ops/.\">"),
      V("sanitize-img-src", "<img src=\"DATA:image/png;base64,iVBORw0KGgo=\">"),
      V("sanitize-attr-style", "<div style=\"background:url(javascript:alert(1))\">x</div>"),
      V("sanitize-attr-style", "<div style=\"width: expression(alert(1))\">x</div>"),
      V("sanitize-attr-style", "<span style=\"behavior:url(x.htc)\">x</span>"),
      V("sanitize-attr-style",
        "<p style=\"-moz-binding:url(https://evil.example/x.xml#xss)\">x</p>"),
      V("sanitize-attr-style",
        "<div style=\"position:fixed;top:0;left:0;width:100%;height:100%\">login</div>"),
      V("sanitize-attr-style", "<svg><rect style=\"fill:url(https://evil.example)\"/></svg>"),
      V("sanitize-attr-style", "<div style=\"background:u&#x72;l(javascript:alert(1))\">x</div>"),
      V("sanitize-svg-url", "<svg><rect fill=\"url(https://evil.example/x.svg#a)\"/></svg>"),
      V("sanitize-svg-url", "<svg><rect fill=\"url(javascript:alert(1))\"/></svg>"),
      V("sanitize-svg-url", "<svg><g clip-path=\"url(https://evil.example/#c)\"></g></svg>"),
      V("sanitize-svg-url", "<svg><rect fill=\"&#117;rl(https://evil.example)\"/></svg>"),
      V("sanitize-svg-url", "<svg><rect stroke=\"url( #x)\"/></svg>"),
      V("sanitize-attr-value", "<svg><path d=\"M0 0 javascript:alert(1)\"/></svg>"),
      V("sanitize-attr-value", "<svg><g transform=\"url(#x)\"></g></svg>"),
      V("sanitize-attr-value", "<svg><rect width=\"expression(alert(1))\"/></svg>"),
      V("sanitize-attr-value", "<div data-x=\"javascript:alert(1)\">x</div>"),
      V("sanitize-attr-value", "<div id=\"__proto__\">x</div>"),
      V("sanitize-attr-value", "<div class=\"a&lt;b\">x</div>"),
      V("sanitize-attr-value", "<svg xmlns=\"http://evil.example/ns\"></svg>"),
      V("sanitize-element-unwrapped",
        "<svg><a xlink:href=\"javascript:alert(1)\"><rect width=\"10\" height=\"10\"/></a></svg>"),
      V("sanitize-attr-namespaced", "<svg><rect xml:base=\"javascript:\" /></svg>"),
      V("sanitize-attr-namespaced", "<svg xmlns:xlink=\"http://www.w3.org/1999/xlink\"></svg>"),
      V("sanitize-svg-href",
        "<svg><text><tspan xlink:href=\"https://evil.example\">x</tspan></text></svg>"),
      V("sanitize-svg-href", "<svg><linearGradient id=g href=\"#other\"></linearGradient></svg>"),
      V("sanitize-attr-reserved", "<div data-vitrine-macro=\"0\">x</div>"),
      V("sanitize-attr-not-allowed",
        "<a href=\"https://grafana.example.com/\" ping=\"https://evil.example/\">x</a>"),
      V("sanitize-attr-not-allowed", "<div formaction=\"javascript:alert(1)\">x</div>"),
      V("sanitize-attr-not-allowed", "<div srcdoc=\"<script>\">x</div>"),
      V("sanitize-attr-not-allowed", "<img src=/assets/ops/a.png usemap=\"#m\">"),
      V("sanitize-attr-not-allowed", "<div id=\"x\" name=\"location\">x</div>"),
      V("sanitize-attr-not-allowed", "<div class=\"a\" xmlns:foo=\"x\">x</div>"),
      V("sanitize-attr-not-allowed", "<blockquote cite=\"javascript:alert(1)\">x</blockquote>"),
      V("sanitize-comment", "<!-- <script>alert(1)</script> -->"),
      V("sanitize-comment", "<!--[if IE]><script>alert(1)</script><![endif]-->"),
      V("", "<p>unclosed <b>bold <img src=x onerror=alert(1)"),
      V("", "<img src=x onerror=alert(1)//"),
      V("sanitize-element-namespace", "<svg><title><img src=x onerror=alert(1)></title></svg>"),
      V("sanitize-element-namespace",
        "<svg><desc><a href=\"https://grafana.example.com/\">x</a></desc></svg>"),
      V("sanitize-element-unwrapped",
        "<scr\0"
        "ipt>alert(1)</scr\0"
        "ipt>"),
      V("", "+ADw-script+AD4-alert(1)+ADw-/script+AD4-"),
      V("", "<div><br><br/><hr></div><isindex action=javascript:alert(1) type=image>"),
      V("sanitize-element-unwrapped", "<x onclick=alert(1)>x</x>"),
      V("sanitize-element-unwrapped", "<custom-element onclick=alert(1)>x</custom-element>"),
      V("sanitize-element-unwrapped", "<marquee onstart=alert(1)>x</marquee>"),
      V("sanitize-element-unwrapped", "<keygen autofocus onfocus=alert(1)>"),
      V("sanitize-element-unwrapped", "<dialog open onclose=alert(1)>x</dialog>"),
      V("", "<img src=/assets/ops/a.png alt=\"&quot;><script>alert(1)</script>\">"),
      V("", "<div title=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\">x</div>"),
      V("", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
      V("sanitize-element-unwrapped",
        "<svg><handler xmlns:ev=\"http://www.w3.org/2001/xml-events\" "
        "ev:event=\"load\">alert(1)</handler></svg>"),
      V("sanitize-element-unwrapped",
        "<a href=\"https://grafana.example.com/\"><svg><a "
        "xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg></a>"),
      V("", "<svg><![CDATA[<img src=x onerror=alert(1)>]]></svg>"),
      V("sanitize-element-dropped",
        "<p><svg><foreignObject><p><img src=x onerror=alert(1)></p></foreignObject></svg></p>"),
  };
  return kVectors;
}
#undef V

class XssVectorTest : public ::testing::TestWithParam<size_t> {};

TEST_P(XssVectorTest, OutputIsInertAndRuleFires) {
  const XssVector& v = vectors()[GetParam()];
  const SanitizeResult r = sanitize(v.html, test_context());
  EXPECT_EQ(unsafe_constructs(r.html), std::vector<std::string>{})
      << "input: " << v.html << "\noutput: " << r.html;
  if (!v.rule.empty()) {
    EXPECT_TRUE(has_rule(r, v.rule))
        << "rule " << v.rule << " did not fire for: " << v.html << "\noutput: " << r.html;
  }
  // Idempotence: the output is a fixed point.
  EXPECT_EQ(sanitize(r.html, test_context()).html, r.html) << "input: " << v.html;
}

std::string vector_name(const ::testing::TestParamInfo<size_t>& info) {
  std::string rule(vectors()[info.param].rule.empty() ? "parser" : vectors()[info.param].rule);
  for (char& c : rule)
    if (c == '-') c = '_';
  return rule + "_" + std::to_string(info.param);
}

INSTANTIATE_TEST_SUITE_P(Corpus, XssVectorTest, ::testing::Range<size_t>(0, vectors().size()),
                         vector_name);

TEST(Sanitizer, CorpusHasAtLeast120Vectors) { EXPECT_GE(vectors().size(), 120u); }

TEST(Sanitizer, IdempotentOverWholeCorpusConcatenated) {
  std::string all;
  for (const auto& v : vectors()) all += std::string(v.html) + "\n";
  const std::string once = sanitize(all, test_context()).html;
  EXPECT_EQ(sanitize(once, test_context()).html, once);
  EXPECT_EQ(unsafe_constructs(once), std::vector<std::string>{});
}

// --- links ------------------------------------------------------------------

TEST(SanitizerLinks, SanitizeLinkRelForcedOnAllowedLink) {
  const auto r = sanitize(R"h(<a href="https://grafana.example.com/d/x" target="_top">x</a>)h",
                          test_context());
  EXPECT_EQ(
      r.html,
      R"h(<a href="https://grafana.example.com/d/x" rel="noopener noreferrer" target="_blank">x</a>)h");
  EXPECT_TRUE(has_rule(r, rules::kLinkRel));
}

TEST(SanitizerLinks, SanitizeLinkOriginAllowsConfiguredOriginsOnly) {
  auto ctx = test_context();
  EXPECT_NE(sanitize(R"h(<a href="https://status.example.com/">s</a>)h", ctx).html.find("href"),
            std::string::npos);
  EXPECT_NE(
      sanitize(R"h(<a href="https://GRAFANA.example.com:443/x">s</a>)h", ctx).html.find("href"),
      std::string::npos);
  ctx.link_origins.clear();
  const auto r = sanitize(R"h(<a href="https://status.example.com/">s</a>)h", ctx);
  EXPECT_EQ(r.html, "<a>s</a>");
  EXPECT_TRUE(has_rule(r, rules::kLinkOrigin));
}

TEST(SanitizerLinks, SanitizeLinkOriginWithPortMustMatchExactly) {
  auto ctx = test_context();
  ctx.grafana_origin = "https://grafana.internal:3000";
  EXPECT_NE(
      sanitize(R"h(<a href="https://grafana.internal:3000/d/x">g</a>)h", ctx).html.find("href"),
      std::string::npos);
  EXPECT_TRUE(has_rule(sanitize(R"h(<a href="https://grafana.internal/d/x">g</a>)h", ctx),
                       rules::kLinkOrigin));
}

TEST(SanitizerLinks, SanitizeLinkOriginNoOriginConfiguredMeansNoLinks) {
  SanitizeContext ctx;
  const auto r = sanitize(R"h(<a href="https://grafana.example.com/">g</a>)h", ctx);
  EXPECT_EQ(r.html, "<a>g</a>");
}

// --- images -----------------------------------------------------------------

constexpr std::string_view kPng =
    "data:image/"
    "png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+"
    "M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

TEST(SanitizerImages, SanitizeImgDataAcceptsPngAndJpeg) {
  const std::string png = "<img src=\"" + std::string(kPng) + "\">";
  EXPECT_EQ(sanitize(png, test_context()).html, png);
  const std::string jpeg = R"h(<img src="data:image/jpeg;base64,/9j/4AAQSkZJRg==">)h";
  EXPECT_EQ(sanitize(jpeg, test_context()).html, jpeg);
}

TEST(SanitizerImages, SanitizeImgDataSizeCap) {
  auto ctx = test_context();
  ctx.max_data_image_bytes = 16;
  const std::string png = "<img src=\"" + std::string(kPng) + "\">";
  const auto r = sanitize(png, ctx);
  EXPECT_EQ(r.html, "<img>");
  EXPECT_TRUE(has_rule(r, rules::kImgData));
}

TEST(SanitizerImages, SanitizeImgAssetNeedsConfiguredPrefix) {
  auto ctx = test_context();
  ctx.asset_prefix.clear();
  EXPECT_TRUE(has_rule(sanitize(R"h(<img src="/assets/ops/a.png">)h", ctx), rules::kImgAsset));
  EXPECT_EQ(sanitize(R"h(<img src="/assets/ops/a/b-c_d.png">)h", test_context()).html,
            R"h(<img src="/assets/ops/a/b-c_d.png">)h");
}

// --- attributes -------------------------------------------------------------

TEST(SanitizerAttributes, SanitizeAttrValueIdsArePrefixedOnceAndReferencesFollow) {
  const auto r = sanitize(
      R"h(<table><tr><th id="h1">A</th><td headers="h1 vm-h2" aria-describedby="note">1</td></tr></table>)h",
      test_context());
  EXPECT_EQ(
      r.html,
      R"h(<table><tbody><tr><th id="vm-h1">A</th><td headers="vm-h1 vm-h2" aria-describedby="vm-note">1</td></tr></tbody></table>)h");
  const auto svg =
      sanitize(R"h(<svg><g clip-path="url(#c)" fill="url(#vm-g)"></g></svg>)h", test_context());
  EXPECT_EQ(svg.html, R"h(<svg><g clip-path="url(#vm-c)" fill="url(#vm-g)"/></svg>)h");
}

TEST(SanitizerAttributes, SanitizeAttrEventHandlerReportsElementAndAttribute) {
  const auto r = sanitize("<img onerror=x>", test_context());
  ASSERT_EQ(r.removed.size(), 1u);
  EXPECT_EQ(r.removed[0].rule, rules::kAttrEventHandler);
  EXPECT_EQ(r.removed[0].element, "img");
  EXPECT_EQ(r.removed[0].attribute, "onerror");
}

TEST(SanitizerAttributes, EscapingOfTextAndAttributes) {
  const auto r =
      sanitize(R"h(<p title="a&quot;b'c&lt;">x &amp; y &lt; z 'q' "d"</p>)h", test_context());
  EXPECT_EQ(r.html,
            R"h(<p title="a&quot;b&#39;c&lt;">x &amp; y &lt; z &#39;q&#39; &quot;d&quot;</p>)h");
}

TEST(SanitizerAttributes, ControlCharactersNeverWrittenRaw) {
  // The parser turns most C0 controls into U+FFFD; none reaches the output raw.
  const auto r = sanitize(std::string_view("<p>a\x01\x08\x0b\x1fz</p>", 12), test_context());
  for (char c : r.html) EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20) << r.html;
}

TEST(SanitizerElements, SanitizeElementUnwrappedKeepsText) {
  const auto r = sanitize("<blink>hello <u>world</u></blink>", test_context());
  EXPECT_EQ(r.html, "hello world");
  EXPECT_TRUE(has_rule(r, rules::kElementUnwrapped));
}

TEST(SanitizerElements, SanitizeElementDroppedRemovesContent) {
  const auto r = sanitize("a<script>var x = 1;</script><style>p{}</style>b", test_context());
  EXPECT_EQ(r.html, "ab");
}

TEST(SanitizerElements, SanitizeCommentDropped) {
  const auto r = sanitize("a<!-- secret -->b<!DOCTYPE html>c", test_context());
  EXPECT_EQ(r.html, "abc");
  EXPECT_TRUE(has_rule(r, rules::kComment));
}

TEST(SanitizerElements, PreLeadingNewlineSurvivesReparse) {
  const auto r = sanitize("<pre>\n\nx</pre>", test_context());
  EXPECT_EQ(sanitize(r.html, test_context()).html, r.html);
}

// --- limits -----------------------------------------------------------------

TEST(SanitizerLimits, SanitizeLimitInputSizeTruncates) {
  auto ctx = test_context();
  ctx.max_input_bytes = 10;
  const auto r = sanitize("<p>0123456789abcdef</p>", ctx);
  EXPECT_TRUE(r.truncated);
  EXPECT_TRUE(has_rule(r, rules::kInputSize));
  EXPECT_EQ(r.html, "<p>0123456</p>");
}

TEST(SanitizerLimits, SanitizeLimitInputSizeNeverSplitsUtf8) {
  auto ctx = test_context();
  ctx.max_input_bytes = 4;
  const auto r = sanitize("<p>\xc3\xa9</p>", ctx);  // cut inside "é"
  EXPECT_EQ(r.html, "<p></p>");
}

TEST(SanitizerLimits, SanitizeLimitDepthDropsDeepContent) {
  std::string html;
  for (int i = 0; i < 300; ++i) html += "<span>";
  html += "deep";
  const auto r = sanitize(html, test_context());
  EXPECT_TRUE(r.truncated);
  EXPECT_TRUE(has_rule(r, rules::kDepth));
  EXPECT_EQ(r.html.find("deep"), std::string::npos);
  EXPECT_EQ(unsafe_constructs(r.html), std::vector<std::string>{});
}

TEST(SanitizerLimits, SanitizeLimitDepthGuardsParserAgainstDeepBlocks) {
  // 200 000 nested <div> would keep the HTML parser busy for minutes; the
  // pre-parse guard cuts the input first.
  std::string html;
  for (int i = 0; i < 200000; ++i) html += "<div>";
  const auto r = sanitize(html, test_context());
  EXPECT_TRUE(r.truncated);
  EXPECT_TRUE(has_rule(r, rules::kDepth));
}

TEST(SanitizerLimits, SanitizeLimitDepthGuardSeesThroughStrayEndTagsAndAttributes) {
  std::string html;
  for (int i = 0; i < 50000; ++i) html += "<div title=\"</div>\"></p>";
  const auto r = sanitize(html, test_context());
  EXPECT_TRUE(has_rule(r, rules::kDepth));
}

TEST(SanitizerLimits, SanitizeLimitDepthGuardCountsReconstructedFormatting) {
  std::string html;
  for (int i = 0; i < 30000; ++i)
    html += "<p><b id=a" + std::to_string(i) + "><i id=b" + std::to_string(i) + "></p>x";
  const auto r = sanitize(html, test_context());
  EXPECT_TRUE(r.truncated);
}

TEST(SanitizerLimits, SanitizeLimitElementsCutsFlatFlood) {
  auto ctx = test_context();
  ctx.max_elements = 1000;
  std::string html;
  for (int i = 0; i < 5000; ++i) html += "<p>x</p>";
  const auto r = sanitize(html, ctx);
  EXPECT_TRUE(r.truncated);
  EXPECT_TRUE(has_rule(r, rules::kElementCount));
}

TEST(SanitizerLimits, LargeWellFormedTableIsNotCut) {
  std::string html = "<table><tbody>";
  for (int i = 0; i < 5000; ++i)
    html += "<tr><td><span class=\"vt-state\">Firing</span></td><td><code>x</code></td></tr>";
  html += "</tbody></table>";
  const auto r = sanitize(html, test_context());
  EXPECT_FALSE(r.truncated);
  EXPECT_EQ(r.html, html);
}

TEST(SanitizerLimits, RemovalListIsCappedButCounted) {
  auto ctx = test_context();
  ctx.max_removals_listed = 5;
  std::string html;
  for (int i = 0; i < 50; ++i) html += "<b onclick=x>y</b>";
  const auto r = sanitize(html, ctx);
  EXPECT_EQ(r.removed.size(), 5u);
  EXPECT_EQ(r.removed_total, 50u);
}

TEST(SanitizerLimits, ArbitraryBytesNeverCrash) {
  std::string bytes;
  uint32_t state = 12345;
  for (int round = 0; round < 200; ++round) {
    bytes.clear();
    for (int i = 0; i < 2000; ++i) {
      state = state * 1103515245u + 12345u;
      const char alphabet[] = "<>/=\"' abcdsvgimgscript:&#;\0\x01\xff\xc3-!?[]";
      bytes += alphabet[(state >> 16) % (sizeof(alphabet) - 1)];
    }
    const auto r = sanitize(bytes, test_context());
    EXPECT_EQ(unsafe_constructs(r.html), std::vector<std::string>{});
    EXPECT_EQ(sanitize(r.html, test_context()).html, r.html);
  }
}

TEST(SanitizerRules, EveryRuleIdIsListedOnce) {
  std::vector<std::string_view> ids;
  for (const auto& rule : rules::all()) {
    EXPECT_EQ(std::count(ids.begin(), ids.end(), rule.id), 0) << rule.id;
    ids.push_back(rule.id);
    EXPECT_FALSE(rule.summary.empty());
  }
  EXPECT_EQ(ids.size(), 22u);
}

}  // namespace
}  // namespace vitrine::render
