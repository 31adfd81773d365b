#include "router.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/URI.h>

#include <chrono>

#include "api_handlers.h"
#include "fault_responder.h"
#include "json_log.h"

namespace vitrine::sim {
namespace {

std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  std::size_t start = 1;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    out.push_back(path.substr(start, slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return out;
}

Reply unauthorized(const SimContext& ctx, AuthOutcome outcome) {
  // Grafana 10+ answers through errutil (messageId, statusCode); 9 through
  // the older JsonApiErr with just a message.
  const bool modern = ctx.fixtures.grafana_version >= 10;
  if (outcome == AuthOutcome::kInvalid) {
    if (modern) return grafana_errutil(401, "api-key.invalid", "Invalid API key");
    Reply r = grafana_message(401, "invalid API key");
    r.body = "{\"message\":\"invalid API key\"}";
    return r;
  }
  if (modern) return grafana_errutil(401, "auth.unauthorized", "Unauthorized");
  Reply r = grafana_message(401, "Unauthorized");
  r.body = "{\"message\":\"Unauthorized\"}";
  return r;
}

Reply login_redirect(const std::string& uri) {
  // Non-API routes send the browser to the login page and remember where it
  // wanted to go, exactly like Grafana with anonymous access off.
  Reply r;
  r.status = 302;
  r.content_type = "text/html; charset=utf-8";
  r.body = "<a href=\"/login\">Found</a>.\n\n";
  r.headers.emplace_back("Location", "/login");
  std::string encoded;
  Poco::URI::encode(uri, "/?&=:", encoded);
  r.headers.emplace_back("Set-Cookie",
                         "redirect_to=" + encoded + "; Path=/; HttpOnly; SameSite=Lax");
  return r;
}

Reply login_page() {
  Reply r;
  r.content_type = "text/html; charset=UTF-8";
  r.body =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>Grafana</title>\n<base href=\"/\" />\n</head>\n<body class=\"theme-dark "
      "app-grafana\">\n<div id=\"reactRoot\"></div>\n<script>window.grafanaBootData = "
      "{\"user\":{\"isSignedIn\":false},\"settings\":{\"appSubUrl\":\"\"}};</script>\n"
      "</body>\n</html>\n";
  return r;
}

Reply route_api(SimContext& ctx, const ApiRequest& req) {
  const auto& fx = ctx.fixtures;
  const auto seg = segments(req.path);
  if (req.path == "/api/search") return handle_search(req, fx);
  if (req.path == "/api/folders") return handle_folders(req, fx);
  if (seg.size() == 4 && seg[1] == "dashboards" && seg[2] == "uid" && !seg[3].empty()) {
    return handle_dashboard_by_uid(req, fx, seg[3]);
  }
  if (req.path == "/api/annotations") return handle_annotations(req, fx);
  if (req.path == "/api/prometheus/grafana/api/v1/rules") return handle_prometheus_rules(req, fx);
  if (req.path == "/api/prometheus/grafana/api/v1/alerts") return handle_prometheus_alerts(req, fx);
  if (req.path == "/api/alertmanager/grafana/api/v2/alerts") {
    return handle_alertmanager_alerts(req, fx);
  }
  return grafana_message(404, "Not found");
}

std::optional<RenderTarget> render_target(const std::string& path) {
  const auto seg = segments(path);
  // render / d-solo|d / uid [/ slug]
  if (seg.size() < 3 || seg.size() > 4 || seg[0] != "render") return std::nullopt;
  if (seg[1] != "d-solo" && seg[1] != "d") return std::nullopt;
  if (seg[2].empty()) return std::nullopt;
  return RenderTarget{seg[1] == "d-solo", seg[2], seg.size() == 4 ? seg[3] : ""};
}

}  // namespace

Reply dispatch(SimContext& ctx, const std::string& method, const std::string& uri,
               const std::optional<std::string>& authorization,
               const std::optional<FaultRule>& render_fault) {
  ApiRequest req;
  req.method = method;
  try {
    const Poco::URI parsed(uri);
    req.path = parsed.getPath();
    req.query = parsed.getQueryParameters();
  } catch (const Poco::Exception&) {
    return grafana_message(400, "bad request");
  }
  if (method != "GET") return grafana_message(405, "Method Not Allowed");
  if (req.path == "/api/health") return handle_health(req, ctx.fixtures);
  if (req.path == "/login") return login_page();

  const bool api = req.path.rfind("/api/", 0) == 0;
  const auto outcome = authenticate(ctx.tokens, authorization);
  if (outcome == AuthOutcome::kInvalid) return unauthorized(ctx, outcome);
  if (outcome == AuthOutcome::kMissing) {
    return api ? unauthorized(ctx, outcome) : login_redirect(uri);
  }
  if (api) return route_api(ctx, req);

  if (const auto target = render_target(req.path)) {
    if (render_fault) {
      switch (render_fault->mode) {
        case FaultMode::kRendererMissing:
          return renderer_missing_placeholder();
        case FaultMode::kRenderTooMany:
          return grafana_html_error(429, "Too many rendering requests");
        case FaultMode::kRenderError:
          return grafana_html_error(500, "Rendering failed.");
        default:
          break;
      }
    }
    return handle_render(req, ctx.fixtures, *target);
  }
  return grafana_html_error(404, "Page not found");
}

namespace {

class GrafanaRequestHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit GrafanaRequestHandler(SimContext& ctx) : ctx_(ctx) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    const auto started = std::chrono::steady_clock::now();
    std::string path;
    try {
      path = Poco::URI(request.getURI()).getPath();
    } catch (const Poco::Exception&) {
      path = "(unparseable)";
    }
    ctx_.counters.hit(path);
    const auto decision = ctx_.faults.decide(path);
    if (decision.latency_ms > 0) interruptible_sleep(decision.latency_ms, ctx_.stopping);

    const auto& action = decision.action;
    const std::string fault_name = action ? fault_mode_name(action->mode) : "";
    if (action && action->mode == FaultMode::kReset) {
      log(request, path, 0, started, fault_name);
      reset_connection(request);
      return;
    }

    Reply reply;
    if (action && action->mode == FaultMode::kError) {
      // Upstream failures: nginx's page for gateway errors, Grafana's own
      // HTML error page otherwise.
      reply = action->status >= 502 && action->status <= 504
                  ? nginx_html_error(action->status)
                  : grafana_html_error(action->status, "Internal Server Error");
    } else {
      std::optional<std::string> auth;
      if (request.has("Authorization")) auth = request.get("Authorization");
      try {
        reply = dispatch(ctx_, request.getMethod(), request.getURI(), auth, action);
      } catch (const std::exception& e) {
        log_event(LogLevel::kError, "handler failed", {{"path", path}, {"error", e.what()}});
        reply = grafana_message(500, "Internal Server Error");
      }
    }
    try {
      write_reply(response, reply, action, ctx_.stopping);
    } catch (const std::exception&) {
      // The client went away mid-body (common with oversized and drip faults).
    }
    log(request, path, reply.status, started, fault_name);
  }

 private:
  void log(const Poco::Net::HTTPServerRequest& request, const std::string& path, int status,
           std::chrono::steady_clock::time_point started, const std::string& fault) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
    LogFields fields{{"method", request.getMethod()},
                     {"path", path},
                     {"status", std::to_string(status)},
                     {"duration_ms", std::to_string(ms)}};
    if (!fault.empty()) fields.emplace_back("fault", fault);
    log_event(LogLevel::kInfo, "request", fields);
  }

  SimContext& ctx_;
};

}  // namespace

Poco::Net::HTTPRequestHandler* GrafanaRequestFactory::createRequestHandler(
    const Poco::Net::HTTPServerRequest& /*request*/) {
  return new GrafanaRequestHandler(ctx_);
}

}  // namespace vitrine::sim
