// The full phase-1 egress decision (strict parse, entry match, space origin,
// scope prefixes, method, headers) against a plain Poco::URI parse of the
// same URLs, in one run. Target (issue 3): the decision costs at most 2x the
// Poco parse. Run: build/<preset>/bench/egress_bench
#include <Poco/URI.h>
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "egress/policy.h"
#include "egress/url.h"

namespace {

using namespace vitrine;

const std::vector<std::string>& urls() {
  static const std::vector<std::string> u = {
      "https://acme.grafana.net/api/prometheus/grafana/api/v1/rules?state=firing&limit=50",
      "https://acme.grafana.net/api/dashboards/uid/aBcD1234",
      "https://acme.grafana.net/api/search?query=cpu&type=dash-db&limit=100",
      "https://acme.grafana.net/render/d-solo/aBcD1234/overview?orgId=1&panelId=2&width=1000&"
      "height=500&from=now-6h&to=now&tz=UTC",
      "https://acme.grafana.net/api/annotations?from=1700000000000&to=1700003600000&limit=100",
      "https://acme.grafana.net/api/alertmanager/grafana/api/v2/alerts?active=true",
  };
  return u;
}

manifest::EgressEntry wildcard(const std::string& host) {
  manifest::EgressEntry e;
  e.text = "https://*." + host;
  e.wildcard = true;
  e.host = host;
  return e;
}

manifest::Manifest typical_plugin() {
  manifest::Manifest m;
  m.id = "dashboard";
  m.egress = {wildcard("grafana.net"), wildcard("grafana-dev.net")};
  m.scopes = {"grafana:read:dashboards", "grafana:read:alerts", "grafana:read:annotations",
              "grafana:render", "storage:cache"};
  return m;
}

void BM_EgressDecision(benchmark::State& state) {
  const manifest::Manifest m = typical_plugin();
  const egress::SpaceOrigins space{"https://acme.grafana.net", false, {}};
  const std::vector<egress::Header> headers = {{"Accept", "application/json"}};
  const auto& u = urls();
  std::size_t i = 0;
  for (auto _ : state) {
    egress::Request req;
    req.url = u[i++ % u.size()];
    req.headers = &headers;
    egress::Decision d = egress::decide(m, space, req);
    if (!d.allowed) state.SkipWithError(d.reason.c_str());
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_EgressDecision);

void BM_EgressParseOnly(benchmark::State& state) {
  const auto& u = urls();
  std::size_t i = 0;
  for (auto _ : state) {
    egress::UrlResult r = egress::parse_url(u[i++ % u.size()]);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_EgressParseOnly);

void BM_PocoUriParse(benchmark::State& state) {
  const auto& u = urls();
  std::size_t i = 0;
  for (auto _ : state) {
    Poco::URI uri(u[i++ % u.size()]);
    benchmark::DoNotOptimize(uri);
  }
}
BENCHMARK(BM_PocoUriParse);

}  // namespace

BENCHMARK_MAIN();
