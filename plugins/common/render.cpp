#include "vitrine_plugin/render.h"

#include <exception>
#include <new>
#include <utility>

#include "vitrine_plugin/url.h"

namespace vitrine::pc {

std::string Ctx::as_of() const { return "as of " + format_time(req->now_ms, zone); }

std::optional<Outcome> http_failure(const HttpResult& r, std::string_view not_found) {
  switch (r.status) {
    case VITRINE_OK:
      break;
    case VITRINE_E_DENIED:
      return Outcome::fail(VITRINE_E_DENIED,
                           "the host's egress policy refused the request to Grafana (rule " +
                               (r.rule.empty() ? std::string("unknown") : r.rule) + ")" +
                               (r.reason.empty() ? "" : ": " + r.reason) +
                               "; a platform admin can review the plugin's permissions");
    case VITRINE_E_UNAVAILABLE:
      return Outcome::fail(VITRINE_E_UNAVAILABLE,
                           "Grafana is not reachable" +
                               (r.reason.empty() ? "" : " (" + r.reason + ")") +
                               "; the content will return when it is back");
    case VITRINE_E_TIMEOUT:
      return Outcome::fail(VITRINE_E_TIMEOUT,
                           "Grafana is not reachable: it did not answer in time; try again later");
    case VITRINE_E_TOO_LARGE:
      return Outcome::fail(VITRINE_E_TOO_LARGE,
                           "Grafana's answer is larger than the host allows" +
                               (r.reason.empty() ? "" : " (" + r.reason + ")") +
                               "; narrow the macro's filters");
    case VITRINE_E_UPSTREAM:
      return Outcome::fail(VITRINE_E_UPSTREAM, "Grafana's answer could not be used" +
                                                   (r.reason.empty() ? "" : " (" + r.reason + ")"));
    default:
      return Outcome::fail(VITRINE_E_INTERNAL, "the request to Grafana failed (status " +
                                                   std::to_string(r.status) + ")" +
                                                   (r.reason.empty() ? "" : ": " + r.reason));
  }
  const int s = r.http_status;
  if (s >= 200 && s < 300) return std::nullopt;
  if (s == 401 || s == 403) {
    return Outcome::fail(VITRINE_E_UPSTREAM, "the space's Grafana token was refused (HTTP " +
                                                 std::to_string(s) +
                                                 "); a space admin must set a valid token");
  }
  if (s == 404) return Outcome::fail(VITRINE_E_NOT_FOUND, std::string(not_found));
  if (s == 429) {
    return Outcome::fail(VITRINE_E_UPSTREAM,
                         "Grafana is rate limiting requests (HTTP 429); try again in a minute");
  }
  if (s >= 300 && s < 400) {
    return Outcome::fail(VITRINE_E_UPSTREAM,
                         "Grafana redirected the request (HTTP " + std::to_string(s) +
                             "), usually to its login page; a space admin must check the "
                             "space's Grafana token");
  }
  if (s >= 500) {
    return Outcome::fail(VITRINE_E_UPSTREAM, "Grafana answered with a server error (HTTP " +
                                                 std::to_string(s) + "); try again later");
  }
  return Outcome::fail(VITRINE_E_UPSTREAM,
                       "Grafana refused the request (HTTP " + std::to_string(s) + ")");
}

std::optional<Outcome> parse_json_body(const HttpResult& r, std::string_view what, json::Doc& out) {
  json::Doc doc = json::Doc::parse(r.body);
  if (!doc.ok()) {
    const bool html = r.content_type.find("html") != std::string::npos ||
                      r.body.find('<') < r.body.find_first_not_of(" \t\r\n<");
    const bool too_deep = doc.status() == VITRINE_E_TOO_LARGE;
    return Outcome::fail(VITRINE_E_UPSTREAM, "Grafana's " + std::string(what) +
                                                 " answer is not valid JSON" +
                                                 (html       ? " (it is an HTML page)"
                                                  : too_deep ? " (nested too deeply or too large)"
                                                             : " (truncated or malformed)") +
                                                 "; try again later");
  }
  out = std::move(doc);
  return std::nullopt;
}

vitrine_status write_error(vitrine_render_result* result, vitrine_status status,
                           std::string_view reason) {
  if (result != nullptr && result->error != nullptr && result->error->write != nullptr) {
    result->error->write(result->error, reason.data(), reason.size());
  }
  return status;
}

void write_reason(vitrine_sink* sink, std::string_view reason) {
  if (sink != nullptr && sink->write != nullptr) sink->write(sink, reason.data(), reason.size());
}

vitrine_status run_render(const Caps& caps, vitrine_call* call, const vitrine_render_request* req,
                          vitrine_render_result* result, const RenderFn& fn) {
  try {
    if (result == nullptr || result->struct_size < sizeof(vitrine_render_result) ||
        result->html == nullptr || result->error == nullptr) {
      return VITRINE_E_INVALID;
    }
    if (req == nullptr || req->struct_size < sizeof(vitrine_render_request)) {
      return write_error(result, VITRINE_E_INVALID, "the render request is missing or too small");
    }
    if (auto name = secret_looking_param(req)) {
      return write_error(result, VITRINE_E_INVALID,
                         "parameter '" + *name +
                             "' looks like a Grafana token or credential; tokens never belong in "
                             "macro parameters. Remove it: the space's token is set by a space "
                             "admin and stays inside the host");
    }
    Ctx ctx{caps,
            call,
            req,
            Params(req),
            from_vstr(req->grafana_base_url),
            resolve_zone(from_vstr(req->timezone))};
    while (!ctx.base_url.empty() && ctx.base_url.back() == '/') ctx.base_url.pop_back();
    if (!parse_origin(ctx.base_url)) {
      return write_error(result, VITRINE_E_INVALID,
                         "this space has no valid Grafana URL configured; a space admin must "
                         "connect the space to its Grafana stack");
    }
    Outcome out = fn(ctx);
    if (out.status == VITRINE_OK) {
      const vitrine_status st = result->html->write(result->html, out.html.data(), out.html.size());
      if (st != VITRINE_OK) {
        return write_error(result, VITRINE_E_TOO_LARGE,
                           "the rendered HTML is larger than the host accepts; lower the "
                           "macro's item limit");
      }
      result->cache_ttl_s = out.ttl_s;
      return VITRINE_OK;
    }
    // Every failure, transient or not, is reported as such: the host keeps
    // the last good rendering and serves it marked stale (P8).
    if (out.error.empty()) out.error = "the plugin failed without giving a reason";
    return write_error(result, out.status == VITRINE_OK ? VITRINE_E_INTERNAL : out.status,
                       out.error);
  } catch (const std::bad_alloc&) {
    return write_error(result, VITRINE_E_INTERNAL, "the plugin ran out of memory while rendering");
  } catch (const std::exception& e) {
    return write_error(result, VITRINE_E_INTERNAL,
                       std::string("the plugin failed unexpectedly: ") + e.what());
  } catch (...) {
    return write_error(result, VITRINE_E_INTERNAL, "the plugin failed unexpectedly");
  }
}

}  // namespace vitrine::pc
