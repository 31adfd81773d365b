// The render boundary shared by every bundled plugin: argument checks, the
// secret-shape refusal, exception containment (ABI-7), mapping of capability
// and HTTP failures to reasons a page author can act on. A failure is always
// reported as a failure, never replaced by older content: the host owns
// staleness and serves its last good rendering marked stale (P8).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "vitrine_plugin/caps.h"
#include "vitrine_plugin/json.h"
#include "vitrine_plugin/params.h"
#include "vitrine_plugin/timefmt.h"

namespace vitrine::pc {

// What a render produced. The HTML is built completely in memory and written
// to the sink only on success, so a failure never leaves a partial fragment.
struct Outcome {
  vitrine_status status = VITRINE_OK;
  std::string html;
  std::string error;
  uint32_t ttl_s = 0;

  static Outcome ok(std::string html, uint32_t ttl_s) {
    return Outcome{VITRINE_OK, std::move(html), {}, ttl_s};
  }
  static Outcome fail(vitrine_status status, std::string error) {
    return Outcome{status, {}, std::move(error), 0};
  }
};

// Everything a macro renderer needs for one call.
struct Ctx {
  const Caps& caps;
  vitrine_call* call;
  const vitrine_render_request* req;
  Params params;
  std::string base_url;  // request->grafana_base_url without a trailing '/'
  Zone zone;             // request->timezone resolved

  std::string as_of() const;  // "as of 2026-11-29 10:42 UTC"
};

// Checks a GET's outcome. Returns nullopt for a 2xx answer, else the failure
// with the reason a page author sees. `not_found` is the message for 404.
std::optional<Outcome> http_failure(const HttpResult& r, std::string_view not_found);

// Parses a JSON body into `out` (which then owns every view taken from it);
// a body that is not JSON (truncated, an HTML error page) becomes a clear
// upstream error naming `what`.
std::optional<Outcome> parse_json_body(const HttpResult& r, std::string_view what, json::Doc& out);

using RenderFn = std::function<Outcome(Ctx&)>;

// Runs `fn` inside the boundary and writes its result into `result`. A
// failure leaves the HTML sink untouched and returns its status and reason.
vitrine_status run_render(const Caps& caps, vitrine_call* call, const vitrine_render_request* req,
                          vitrine_render_result* result, const RenderFn& fn);

// Writes `reason` into the error sink (bounded by the host) and returns
// `status`: the one way a plugin reports failure.
vitrine_status write_error(vitrine_render_result* result, vitrine_status status,
                           std::string_view reason);

// The reason for a create() that cannot continue.
void write_reason(vitrine_sink* sink, std::string_view reason);

}  // namespace vitrine::pc
