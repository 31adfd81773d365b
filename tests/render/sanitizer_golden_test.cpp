// Golden cases: legitimate plugin HTML passes the sanitizer byte for byte.
// These are the shapes the bundled plugins produce (alert table, annotation
// timeline SVG, panel image asset, dashboard link); a change that breaks one
// of them breaks a real page.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "render/sanitizer.h"
#include "sanitizer_test_support.h"

namespace vitrine::render {
namespace {

using testing::test_context;
using testing::unsafe_constructs;

struct Golden {
  const char* name;
  std::string html;
};

std::vector<Golden> goldens() {
  return {
      {"AlertTable",
       R"h(<table class="vt-alerts"><caption>Alerts for team payments</caption><thead><tr><th scope="col">State</th><th scope="col">Alert</th><th scope="col">Since</th></tr></thead><tbody><tr><td><span class="vt-state vt-firing">Firing</span></td><td><a href="https://grafana.example.com/alerting/grafana/abc/view?orgId=1&amp;tab=query" rel="noopener noreferrer" target="_blank">High latency &amp; errors</a></td><td><time datetime="2024-05-01T10:42:00Z">10:42</time></td></tr><tr><td colspan="3"><small>and 3 more</small></td></tr></tbody></table>)h"},
      {"AnnotationTimelineSvg",
       R"h(<figure class="vt-timeline"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 80" width="600" height="80" role="img" aria-labelledby="vm-tl-title"><title id="vm-tl-title">Annotations</title><defs><linearGradient id="vm-grad" x1="0" y1="0" x2="1" y2="0"><stop offset="0" stop-color="#3274d9"/><stop offset="1" stop-color="#8ab8ff"/></linearGradient><clipPath id="vm-clip"><rect x="0" y="0" width="600" height="80"/></clipPath></defs><g clip-path="url(#vm-clip)" transform="translate(0.5, 0)"><line x1="0" y1="40" x2="600" y2="40" stroke="#999" stroke-width="1"/><circle cx="120" cy="40" r="5" fill="url(#vm-grad)"><title>deploy v1.2 (10:42)</title></circle><rect x="300" y="30" width="80" height="20" fill="#f2495c" opacity="0.4"/><path d="M10 10 L20 20 Z" fill="none" stroke="currentColor"/><polyline points="0,0 10,5 20,0" fill="none" stroke="rgb(50, 116, 217)"/><text x="120" y="70" text-anchor="middle" font-size="10" dominant-baseline="hanging">10:42</text></g></svg><figcaption>Deploys, last 7 days</figcaption></figure>)h"},
      {"PanelImageAsset", R"h(<figure class="vt-panel"><img src="/assets/ops/panel-3-1a2b3c.png" alt="CPU usage" width="1000" height="500"><figcaption>CPU usage, last 6 hours</figcaption></figure>)h"},
      {"DashboardLink",
       R"h(<p class="vt-dashboard">Open <a href="https://grafana.example.com/d/abc/payments?orgId=1" rel="noopener noreferrer" target="_blank">Payments overview</a> in Grafana.</p>)h"},
      {"DashboardCard",
       R"h(<section class="vt-card"><header><h3>Payments overview</h3><span class="vt-folder">Team payments</span></header><ul class="vt-tags"><li>prod</li><li>slo</li></ul><details open=""><summary>12 panels</summary><dl><dt>Row: Traffic</dt><dd>Requests per second</dd></dl></details><footer><a href="https://grafana.example.com/d/abc" rel="noopener noreferrer" target="_blank">Open in Grafana</a></footer></section>)h"},
      {"ErrorBoxAndCode",
       R"h(<div class="vt-error" role="alert"><strong>Grafana did not answer</strong><p>Showing content <em>as of</em> <time datetime="2024-05-01T10:42:00Z">10:42</time>.</p><pre><code>HTTP 502 from /api/search</code></pre><hr><br></div>)h"},
  };
}

TEST(SanitizerGolden, LegitimatePluginHtmlIsByteStable) {
  for (const auto& g : goldens()) {
    const SanitizeResult r = sanitize(g.html, test_context());
    EXPECT_EQ(r.html, g.html) << g.name;
    EXPECT_TRUE(r.removed.empty()) << g.name << ": " << (r.removed.empty() ? "" : r.removed[0].rule)
                                   << " " << (r.removed.empty() ? "" : r.removed[0].attribute);
    EXPECT_FALSE(r.truncated) << g.name;
    EXPECT_EQ(unsafe_constructs(r.html), std::vector<std::string>{}) << g.name;
  }
}

}  // namespace
}  // namespace vitrine::render
