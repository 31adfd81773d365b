// A stand-in for the host around the real plugin loader: fake capability
// tables (http/1 served from the Grafana simulator's fixture files, cache/1,
// assets/1, log/1, license/1) offered through plugins::HostTable, and a
// render() that calls a loaded plugin's render() directly with a request
// built here, so now_ms and the timezone are pinned and output is stable.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vitrine/plugin.h"

namespace vitrine::test {

// 2024-06-03T10:05:00Z: just after the fixtures' last evaluation.
inline constexpr int64_t kNowMs = 1717409100000;
inline constexpr const char* kBaseUrl = "https://acme.grafana.net";

enum class Fault {
  kNone,
  kDenied,       // capability refuses (egress policy)
  kTimeout,      // capability deadline
  kUnavailable,  // connect/TLS/reset
  kTooLarge,     // body over the host's limit
  kProtocol,     // VITRINE_E_UPSTREAM from the capability
  kHttp401,      // Grafana's 401 JSON
  kHttp403,
  kHttp404,
  kHtml500,       // Grafana's HTML error page
  kTruncated,     // the right answer, cut in half
  kHttp429,       // "Too many rendering requests"
  kPlaceholder,   // the "image renderer not installed" PNG (500x250)
  kLogin302,      // a redirect to /login the host reports as the final status
  kLoginPage200,  // the login page served with 200 (host followed the redirect)
  kEmptyBody,     // 200 with nothing in it
};
const char* fault_name(Fault f);
std::vector<Fault> all_faults();

struct Rendered {
  vitrine_status status = VITRINE_E_INTERNAL;
  std::string html;
  std::string error;
  uint32_t ttl_s = 0;
};

struct FakeState {
  Fault fault = Fault::kNone;
  std::vector<std::string> urls;              // every URL the plugin asked for
  std::vector<std::string> scope_violations;  // URLs outside the plugin's scopes
  std::map<std::string, std::string> bodies;  // path -> body, overrides the fixtures
  std::optional<bool> licensed = true;        // nullopt: license/1 fails
  std::vector<std::string> cache_calls;       // every cache/1 call, "get KEY" / "put KEY"
  std::vector<std::string> assets;            // bytes stored through assets/1
  std::vector<std::string> log;
};

// The state the fake tables read and write; reset() before each case.
FakeState& fake();
void reset_fake();

// Renders one macro of a bundled plugin. `params` are raw text, bound by the
// host's own binder against the plugin's manifest (ABI-12); a binding error
// comes back as VITRINE_E_INVALID with the host's message.
Rendered render(const std::string& plugin_id, const std::string& macro,
                const std::map<std::string, std::string>& params, const std::string& tz = "UTC",
                const std::string& base_url = kBaseUrl);

std::string read_file(const std::string& path);
// Compares with tests/renderers/golden/<name>.html; VITRINE_UPDATE_GOLDEN=1
// rewrites the file instead.
void expect_golden(const std::string& name, const std::string& html);

// A minimal valid PNG (signature, IHDR, one stored-deflate IDAT, IEND).
std::string make_png(uint32_t width, uint32_t height);

}  // namespace vitrine::test
