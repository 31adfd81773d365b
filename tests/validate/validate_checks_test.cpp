// The pure parts of `vitrine plugins validate`: case generation agrees with
// the host's parameter binding, each check fires on what it is about (and
// not otherwise), and the JUnit report is well-formed XML for any text.
#include <gtest/gtest.h>

#include <sstream>

#include "plugins/params.h"
#include "validate/cases.h"
#include "validate/checks.h"
#include "validate/report.h"

namespace vitrine::validate {
namespace {

manifest::Manifest parse(const std::string& yaml) {
  auto r = manifest::check_text(yaml, "test.yml");
  EXPECT_TRUE(r.ok());
  return r.ok() ? *r.manifest : manifest::Manifest{};
}

const char* kManifest = R"(plugin:
  id: sample
  version: 1.0.0
  abi: "1.0"
  library: sample.so
  description: A sample.
macros:
  - key: sample
    title: Sample
    description: A sample macro.
    parameters:
      - name: uid
        type: uid
        required: true
        description: A dashboard.
      - name: count
        type: integer
        min: 1
        max: 10
        default: 5
        description: How many.
      - name: kind
        type: enum
        values: [a, b]
        default: a
        description: Which.
      - name: label
        type: string
        max_length: 8
        description: A label.
permissions:
  scopes: [grafana:read:dashboards, grafana:read:alerts]
  external:
    fetch:
      backend:
        - address: https://*.grafana.net
)";

bool binds(const manifest::Macro& macro, const Case& c) {
  plugins::BoundParams bound;
  return !plugins::bind_params(macro, c.params, 1717400000000, bound).has_value();
}

TEST(ValidateCases, InvalidCasesAreExactlyTheOnesTheHostRefuses) {
  const auto m = parse(kManifest);
  const auto cases = generate_cases(m, 2000);
  ASSERT_FALSE(cases.empty());
  int invalid = 0, boundary = 0;
  for (const auto& c : cases) {
    const bool ok = binds(m.macros[0], c);
    if (c.kind == CaseKind::invalid) {
      ++invalid;
      EXPECT_FALSE(ok) << c.name;
    } else {
      boundary += c.kind == CaseKind::boundary ? 1 : 0;
      EXPECT_TRUE(ok) << c.name;
    }
  }
  EXPECT_GT(invalid, 0);
  EXPECT_GT(boundary, 0);
}

TEST(ValidateCases, EdgesOfTheManifestAreProbed) {
  const auto cases = generate_cases(parse(kManifest), 2000);
  auto has = [&](const std::string& name, CaseKind kind) {
    for (const auto& c : cases) {
      if (c.name == name && c.kind == kind) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("count=1 (min)", CaseKind::boundary));
  EXPECT_TRUE(has("count=10 (max)", CaseKind::boundary));
  EXPECT_TRUE(has("count=11 (above max)", CaseKind::invalid));
  EXPECT_TRUE(has("kind=b (value)", CaseKind::boundary));
  EXPECT_TRUE(has("label=xxxxxxxx (longest)", CaseKind::boundary));
  EXPECT_TRUE(has("label=xxxxxxxxx (too long)", CaseKind::invalid));
  EXPECT_TRUE(has("uid missing (required)", CaseKind::invalid));
  // The required uid gets a value the host accepts, so defaults render.
  EXPECT_TRUE(has("defaults", CaseKind::defaults));
}

TEST(ValidateCases, EveryFaultOfTheMatrixRunsOnEveryMacro) {
  const auto cases = generate_cases(parse(kManifest), 2000);
  const auto matrix = fault_matrix(2000);
  size_t faults = 0;
  for (const auto& c : cases) faults += c.kind == CaseKind::fault ? 1 : 0;
  EXPECT_EQ(faults, matrix.size());
  for (const auto& f : matrix) {
    if (f.mode == "latency") {
      EXPECT_GT(f.latency_ms, 2000);  // beyond the deadline
    }
  }
}

Case defaults_case() {
  Case c;
  c.macro = "sample";
  c.name = "defaults";
  c.kind = CaseKind::defaults;
  return c;
}

bool has_finding(const std::vector<Finding>& f, Level level, const std::string& check) {
  for (const auto& x : f) {
    if (x.level == level && x.check == check) return true;
  }
  return false;
}

TEST(ValidateChecks, FailureWithoutAReasonFails_ABI5) {
  Observation o;
  o.output.status = VITRINE_E_UPSTREAM;
  EXPECT_TRUE(has_finding(check_render(defaults_case(), o, 2000), Level::fail, "reason"));
  o.output.error = "plugin failed with status upstream and gave no reason";
  EXPECT_TRUE(has_finding(check_render(defaults_case(), o, 2000), Level::fail, "reason"));
  o.output.error = "Grafana answered 503; try again later";
  EXPECT_FALSE(has_finding(check_render(defaults_case(), o, 2000), Level::fail, "reason"));
}

TEST(ValidateChecks, DeniedRequestFailsNamingTheRule) {
  Observation o;
  o.output.status = VITRINE_OK;
  o.requests.push_back({"https://x.grafana.net/api/annotations?secret=1", VITRINE_E_DENIED, 0,
                        "egress-scope-path", "not opened"});
  auto f = check_render(defaults_case(), o, 2000);
  ASSERT_TRUE(has_finding(f, Level::fail, "egress"));
  EXPECT_NE(f[0].message.find("[egress-scope-path]"), std::string::npos);
  EXPECT_EQ(f[0].message.find("secret"), std::string::npos);  // the query is never shown
}

TEST(ValidateChecks, WorkerTimeoutIsADeadlineFailureAndCrashIsACrash) {
  Observation o;
  o.output.status = VITRINE_E_TIMEOUT;
  o.output.rule = "worker-timeout";
  o.output.error = "stopped";
  EXPECT_TRUE(has_finding(check_render(defaults_case(), o, 2000), Level::fail, "deadline"));
  o.output.status = VITRINE_E_INTERNAL;
  o.output.rule = "worker-crashed";
  EXPECT_TRUE(has_finding(check_render(defaults_case(), o, 2000), Level::fail, "crash"));
  // A plugin's own timeout (its fetch hit the deadline) is a clean failure.
  o.output.status = VITRINE_E_TIMEOUT;
  o.output.rule.clear();
  EXPECT_FALSE(has_finding(check_render(defaults_case(), o, 2000), Level::fail, "deadline"));
}

TEST(ValidateChecks, InvalidValueMustBeRefusedByTheHost) {
  Case c = defaults_case();
  c.kind = CaseKind::invalid;
  Observation o;
  o.output.status = VITRINE_E_INVALID;
  o.output.rule = "param-range";
  o.output.error = "too big";
  EXPECT_TRUE(check_render(c, o, 2000).empty());
  o.output.status = VITRINE_OK;
  o.output.rule.clear();
  EXPECT_TRUE(has_finding(check_render(c, o, 2000), Level::fail, "param-validation"));
}

TEST(ValidateChecks, StrippedMarkupWarnsWithWhatWasRemoved) {
  Observation o;
  o.output.status = VITRINE_OK;
  o.stripped = {{"sanitize-element", "script", ""}, {"sanitize-element", "script", ""}};
  o.stripped_total = 2;
  auto f = check_render(defaults_case(), o, 2000);
  ASSERT_TRUE(has_finding(f, Level::warn, "markup"));
  EXPECT_NE(f[0].message.find("<script> [sanitize-element] x2"), std::string::npos) << f[0].message;
}

TEST(ValidateChecks, UnusedScopeAndEgressWarn) {
  const auto m = parse(kManifest);
  Usage usage;
  record_usage(m, {{"https://grafana-sim.grafana.net/api/search?query=a", VITRINE_OK, 200, "", ""}},
               usage);
  auto f = check_unused(m, usage, "manifests/sample.yml");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].message,
            "scope 'grafana:read:alerts' is declared but no render used it; remove it from "
            "manifests/sample.yml so admins approve only what the plugin needs");
  // A denied request uses nothing.
  Usage none;
  record_usage(m, {{"https://grafana-sim.grafana.net/api/search", VITRINE_E_DENIED, 0, "r", "x"}},
               none);
  EXPECT_EQ(check_unused(m, none, "m.yml").size(), 3u);
}

TEST(ValidateReport, JunitEscapesTextAndCountsFailures) {
  Report r;
  r.plugin_id = "sample";
  CaseResult ok;
  ok.c = defaults_case();
  CaseResult bad;
  bad.c = defaults_case();
  bad.c.name = "label=<b>\"&'";
  bad.findings.push_back({Level::fail, "crash", "boom <x> & \x01"});
  r.cases = {ok, bad};
  std::ostringstream out;
  write_junit(out, {r});
  const std::string xml = out.str();
  EXPECT_NE(xml.find("failures=\"1\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("label=&lt;b&gt;&quot;&amp;&apos;"), std::string::npos) << xml;
  EXPECT_NE(xml.find("boom &lt;x&gt; &amp; ?"), std::string::npos) << xml;
  EXPECT_EQ(xml.find('\x01'), std::string::npos);
  EXPECT_FALSE(r.passed());
}

}  // namespace
}  // namespace vitrine::validate
