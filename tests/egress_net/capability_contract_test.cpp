// ABI-5 through both runners: every failure of every capability reaches the
// plugin with its status and a non-empty reason (and the rule where there is
// one), whether the plugin runs in-process or in a worker. The probe plugin
// (tests/plugins/probe) calls one capability per render and reports what it
// got back; http goes through the real egress client to TLS servers on
// 127.0.0.1, so reset, refused, DNS and TLS map as docs/plugin-abi.md says.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "manifest/manifest.h"
#include "net_fixture.h"
#include "plugins/call_services.h"
#include "plugins/capability_tables.h"
#include "plugins/host_table.h"
#include "plugins/runner.h"
#include "worker/worker_runner.h"

namespace vitrine::egress::nettest {
namespace {

const std::filesystem::path kProbe = std::filesystem::path(PROBE_PLUGIN_DIR) / "cap_probe.yml";

// What the network looks like for one case.
enum class Net { none, route, refused, dns_failure, untrusted_tls };

struct Case {
  const char* name = "";
  const char* probe = "";  // the probe plugin's `case`
  Net net = Net::none;
  std::string raw = {};  // Net::route: the response bytes
  bool reset = false;    // Net::route: RST after `raw`
  std::string url = "https://grafana.test/api/search";
  int timeout_ms = 0;
  vitrine_status status = VITRINE_OK;
  const char* rule = "";  // expected rule, "" = not checked (none defined)
  bool logged = false;    // no output struct: the reason is in the host log
  bool no_services = false;
  bool services_throw = false;
};

// The host's services as the runtime provides them, at their least helpful:
// http through the real egress client; storage answers with a bare status
// and no reason, so the capability layer must supply one.
class ContractServices final : public plugins::CallServices {
 public:
  client::Fetcher* fetcher = nullptr;
  const SpaceOrigins* space = nullptr;
  bool throw_on_http = false;

  vitrine_status http_get(vitrine_call* call, const vitrine_http_request* req,
                          vitrine_http_response* resp) override {
    if (throw_on_http) throw std::runtime_error("a bug in the host");
    return client::http_get(*fetcher, *space, call->plugin->manifest, call, req, resp);
  }
  vitrine_status cache_get(vitrine_call*, vitrine_str, vitrine_cache_entry*) override {
    return VITRINE_E_NOT_FOUND;
  }
  vitrine_status cache_put(vitrine_call*, vitrine_str, vitrine_str, uint32_t) override {
    return VITRINE_E_TOO_LARGE;
  }
  vitrine_status asset_put(vitrine_call*, vitrine_str, vitrine_str, vitrine_asset_ref*) override {
    return VITRINE_E_TOO_LARGE;
  }
  void log(vitrine_call* call, vitrine_log_level level, vitrine_str message) override {
    std::lock_guard lock(mu_);
    if (level == VITRINE_LOG_WARN && call->plugin->manifest.id == "cap_probe") {
      warnings_.emplace_back(message.ptr, message.len);
    }
  }
  std::vector<std::string> warnings() {
    std::lock_guard lock(mu_);
    return warnings_;
  }
  vitrine_status is_licensed(vitrine_call*, vitrine_str, int32_t* licensed) override {
    *licensed = 0;
    return VITRINE_OK;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> warnings_;  // plugin log lines at warn level
};

// Names a case in test output instead of dumping its bytes.
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

std::string big_body() { return http_response(200, std::string(80 * 1024, 'x')); }

const std::vector<Case>& cases() {
  static const std::vector<Case> all = [] {
    std::vector<Case> v;
    auto add = [&](Case c) { v.push_back(std::move(c)); };
    add({.name = "http_invalid_NullRequest",
         .probe = "http-null-request",
         .status = VITRINE_E_INVALID,
         .rule = "http-request-invalid"});
    add({.name = "http_invalid_StructTooSmall",
         .probe = "http-small-request",
         .status = VITRINE_E_INVALID,
         .rule = "http-request-invalid"});
    add({.name = "http_denied_HostNotDeclared",
         .probe = "http",
         .url = "https://undeclared.test/api/search",
         .status = VITRINE_E_DENIED,
         .rule = "egress-host-not-declared"});
    add({.name = "http_denied_PathOutsideScopes",
         .probe = "http",
         .url = "https://grafana.test/api/admin/users",
         .status = VITRINE_E_DENIED,
         .rule = "egress-scope-path"});
    add({.name = "http_unavailable_ConnectionRefused",
         .probe = "http",
         .net = Net::refused,
         .status = VITRINE_E_UNAVAILABLE,
         .rule = "egress-connect-failed"});
    add({.name = "http_unavailable_DnsFailure",
         .probe = "http",
         .net = Net::dns_failure,
         .status = VITRINE_E_UNAVAILABLE,
         .rule = "egress-resolve-failed"});
    add({.name = "http_unavailable_TlsUntrusted",
         .probe = "http",
         .net = Net::untrusted_tls,
         .status = VITRINE_E_UNAVAILABLE,
         .rule = "egress-tls-untrusted"});
    add({.name = "http_unavailable_ResetAfterRequestBeforeResponse",
         .probe = "http",
         .net = Net::route,
         .reset = true,
         .status = VITRINE_E_UNAVAILABLE,
         .rule = "egress-connection-reset"});
    add({.name = "http_unavailable_ClosedWithoutAnswer",
         .probe = "http",
         .net = Net::route,
         .status = VITRINE_E_UNAVAILABLE,
         .rule = "egress-connection-reset"});
    add({.name = "http_timeout_SlowResponse",
         .probe = "http",
         .net = Net::route,
         .raw = "slow",  // replaced by a drip below
         .timeout_ms = 300,
         .status = VITRINE_E_TIMEOUT,
         .rule = "egress-timeout-total"});
    add({.name = "http_too_large_Body",
         .probe = "http",
         .net = Net::route,
         .raw = big_body(),
         .status = VITRINE_E_TOO_LARGE,
         .rule = "egress-body-too-large"});
    add({.name = "http_upstream_Truncated",
         .probe = "http",
         .net = Net::route,
         .raw = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
         .status = VITRINE_E_UPSTREAM,
         .rule = "egress-response-truncated"});
    add({.name = "http_upstream_BadStatusLine",
         .probe = "http",
         .net = Net::route,
         .raw = "garbage that is not HTTP\r\n\r\n",
         .status = VITRINE_E_UPSTREAM,
         .rule = "egress-response-malformed"});
    add({.name = "http_internal_ServiceThrows",
         .probe = "http",
         .status = VITRINE_E_INTERNAL,
         .services_throw = true});
    add({.name = "http_unavailable_NoHost",
         .probe = "http",
         .status = VITRINE_E_UNAVAILABLE,
         .no_services = true});
    add({.name = "cache_not_found",
         .probe = "cache-get",
         .url = "missing",
         .status = VITRINE_E_NOT_FOUND});
    add({.name = "cache_invalid_EmptyKey",
         .probe = "cache-get-empty-key",
         .status = VITRINE_E_INVALID});
    add({.name = "cache_too_large_Put",
         .probe = "cache-put",
         .url = "key",
         .status = VITRINE_E_TOO_LARGE,
         .logged = true});
    add({.name = "cache_invalid_PutEmptyKey",
         .probe = "cache-put-empty-key",
         .status = VITRINE_E_INVALID,
         .logged = true});
    add({.name = "assets_invalid_ContentType",
         .probe = "asset-bad-type",
         .status = VITRINE_E_INVALID});
    add({.name = "assets_too_large", .probe = "asset-put", .status = VITRINE_E_TOO_LARGE});
    add({.name = "license_invalid_EmptyFeature",
         .probe = "license-empty",
         .status = VITRINE_E_INVALID,
         .logged = true});
    return v;
  }();
  return all;
}

enum class Mode { in_process, worker };

class CapabilityContract : public EgressNet,
                           public ::testing::WithParamInterface<std::tuple<Mode, Case>> {
 protected:
  // Parses the probe's "status=N rule=R reason=T".
  struct Report {
    int status = -1;
    std::string rule;
    std::string reason;
  };
  static Report parse(const std::string& html) {
    Report r;
    const auto rule_at = html.find(" rule=");
    const auto reason_at = html.find(" reason=");
    if (html.rfind("status=", 0) != 0 || rule_at == std::string::npos ||
        reason_at == std::string::npos) {
      return r;
    }
    r.status = std::stoi(html.substr(7, rule_at - 7));
    r.rule = html.substr(rule_at + 6, reason_at - rule_at - 6);
    r.reason = html.substr(reason_at + 8);
    return r;
  }
};

TEST_P(CapabilityContract, ABI_5_EveryFailureHasItsStatusAndAReason) {
  const auto& [mode, c] = GetParam();
  plugin_.scopes = {"grafana:read:dashboards"};
  switch (c.net) {
    case Net::none:
      break;
    case Net::route: {
      Route r;
      r.raw = c.raw;
      r.reset = c.reset;
      if (c.raw == "slow") {
        r.raw = http_response(200, std::string(200, 'x'));
        r.drip = std::chrono::milliseconds(50);
      }
      server("grafana.test").route("/api/search", r);
      break;
    }
    case Net::refused:
      overrides_.push_back({"grafana.test", "127.0.0.1", closed_port()});
      break;
    case Net::dns_failure:
      dns_.add_failure("grafana.test", "grafana.test: Name or service not known");
      break;
    case Net::untrusted_tls: {
      ServerOptions opt;
      opt.cert = pki().leaf({"grafana.test"}, LeafKind::untrusted_ca);
      server("grafana.test", opt);
      break;
    }
  }
  ContractServices services;
  services.fetcher = &fetcher();
  services.space = &space_;
  services.throw_on_http = c.services_throw;

  plugins::HostTable host;
  plugins::offer_standard_capabilities(host);
  std::unique_ptr<plugins::PluginRunner> runner;
  if (mode == Mode::in_process) {
    runner = plugins::make_in_process_runner(host.abi());
  } else {
    worker::WorkerConfig wc;
    wc.worker_path = VITRINE_WORKER_PATH;
    wc.spare_workers = 0;
    runner = std::make_unique<worker::WorkerRunner>(wc);
  }
  auto checked = manifest::check_file(kProbe);
  ASSERT_TRUE(checked.ok()) << kProbe;
  plugins::Refusal refusal;
  ASSERT_TRUE(runner->add(*checked.manifest, refusal)) << refusal.message;

  plugins::RenderInput in;
  in.macro_key = "probe";
  in.params = {{"case", c.probe}, {"url", c.url}};
  if (c.timeout_ms != 0) in.params["timeout_ms"] = std::to_string(c.timeout_ms);
  in.space_key = kSpace;
  in.page_id = "contracts";
  in.timeout_ms = 5000;
  in.services = c.no_services ? nullptr : &services;
  const auto out = runner->render("cap_probe", in);
  ASSERT_EQ(out.status, VITRINE_OK) << out.rule << ": " << out.error;
  const Report r = parse(out.html);
  EXPECT_EQ(r.status, c.status) << out.html;
  if (c.logged) {
    // No output struct: the reason is one warning in the plugin's log, once
    // (a worker's relay does not log it a second time).
    const auto lines = services.warnings();
    ASSERT_EQ(lines.size(), 1u) << ::testing::PrintToString(lines);
    const std::string want = "failed with status " + std::to_string(c.status) + ": ";
    const auto at = lines[0].find(want);
    ASSERT_NE(at, std::string::npos) << lines[0];
    EXPECT_GT(lines[0].size(), at + want.size()) << "empty reason: " << lines[0];
  } else {
    EXPECT_FALSE(r.reason.empty()) << "empty reason: " << out.html;
  }
  if (*c.rule != '\0') {
    EXPECT_EQ(r.rule, c.rule) << out.html;
  }
}

std::string case_name(const ::testing::TestParamInfo<std::tuple<Mode, Case>>& info) {
  return std::string(std::get<0>(info.param) == Mode::in_process ? "InProcess_" : "Worker_") +
         std::get<1>(info.param).name;
}

INSTANTIATE_TEST_SUITE_P(BothRunners, CapabilityContract,
                         ::testing::Combine(::testing::Values(Mode::in_process, Mode::worker),
                                            ::testing::ValuesIn(cases())),
                         case_name);

}  // namespace
}  // namespace vitrine::egress::nettest
