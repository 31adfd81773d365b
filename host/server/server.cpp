#include "server/server.h"

#include <algorithm>
#include <chrono>
#include <mutex>

#include "config/config.h"
#include "log/log.h"
#include "metrics/metrics.h"
#include "render/warm_scheduler.h"
#include "server/access_log.h"
#include "server/context.h"
#include "server/json_errors.h"
#include "server/net/http_listener.h"
#include "server/page_repos.h"
#include "server/router.h"
#include "server/security_headers.h"
#include "server/ui/html.h"
#include "server/ui_edit.h"
#include "server/ui_freshness.h"

namespace vitrine::server {

ServerOptions options_from_config(const config::Config& config) {
  ServerOptions o;
  o.host = config.listen_host;
  o.port = config.listen_port;
  o.frame_ancestors = config.frame_ancestors;
  o.public_url = config.public_url;
  o.pages_dir = config.data_dir / "pages";
  // Page renders wait on the engine's pool; a few more request threads than
  // render threads keeps health checks and assets answering under load.
  o.max_threads = std::max(8, config.render_threads * 2);
  o.max_blocked_handlers = config.max_rendering_requests;
  o.shutdown_grace = std::chrono::seconds(config.shutdown_grace_s);
  o.max_connections_per_client = config.max_connections_per_client;
  o.requests_per_second_per_client = config.requests_per_second_per_client;
  o.request_burst_per_client = config.request_burst_per_client;
  o.trusted_proxies = config.trusted_proxies;
  o.auth = config.auth;
  return o;
}

struct Server::Impl {
  Impl(runtime::Runtime& runtime, render::Engine& engine, ServerOptions options)
      : ctx(runtime, engine, std::move(options)),
        warm(runtime, engine,
             render::WarmPages{[this](const std::string& space) { return list_pages(ctx, space); },
                               [this](const std::string& space, const std::string& page) {
                                 return read_page(ctx, space, page);
                               }}) {
    add_ops_routes(router, ctx);
    add_api_spaces_routes(router, ctx);
    add_api_render_routes(router, ctx);
    add_api_plugins_routes(router, ctx);
    add_api_audit_routes(router, ctx);
    add_api_license_routes(router, ctx);
    add_api_tokens_routes(router, ctx);
    add_asset_routes(router, ctx);
    add_login_routes(router, ctx);
    add_oidc_login_routes(router, ctx);
    add_page_routes(router, ctx);
    add_settings_routes(router, ctx);
    add_plugin_ui_routes(router, ctx);
    add_console_routes(router, ctx);
    add_embed_routes(router, ctx);
    add_embed_api_routes(router, ctx);
    add_embed_settings_routes(router, ctx);
    add_share_link_routes(router, ctx);
    add_share_links_api_routes(router, ctx);
    add_oembed_routes(router, ctx);
    add_api_freshness_routes(router, ctx);
    add_freshness_routes(router, ctx);
    add_api_warming_routes(router, ctx);
    add_warm_settings_routes(router, ctx);
    add_edit_routes(router, ctx);
    add_edit_history_routes(router, ctx);
    add_api_pages_routes(router, ctx);
    // Page files put in place before the editor existed become each space's
    // first commit (page_repos.h).
    open_all_page_repos(ctx);
  }

  Response dispatch(Request& request);
  Response handle(Request& request);
  // The answer to a request the parser refused (net::ParseError).
  Response refuse(const Request& partial, const net::ParseError& error);

  ServerContext ctx;
  // Scheduled cache warming (render/warm_scheduler.h): runs while the
  // server accepts requests.
  render::WarmScheduler warm;
  Router router;
  std::mutex lifecycle_mu;
  std::unique_ptr<net::HttpListener> listener;
  uint16_t bound_port = 0;
};

namespace {

bool is_api(const Request& r) { return r.path.rfind("/api/", 0) == 0; }

Response not_found(const Request& r) {
  if (is_api(r)) return json_error(404, "not-found", "no such endpoint; see docs/api.md");
  return ui::error_page(404, "Not found", "There is no page at this address.");
}

}  // namespace

Response Server::Impl::dispatch(Request& request) {
  auto match = router.match(request);
  if (match.handler == nullptr) {
    if (match.method_mismatch) {
      Response r = is_api(request)
                       ? json_error(405, "method-not-allowed",
                                    request.method + " is not supported here; use " + match.allow)
                       : text_response(405, "method not allowed\n");
      r.set_header("Allow", match.allow);
      return r;
    }
    return not_found(request);
  }
  try {
    return (*match.handler)(request);
  } catch (const std::exception& e) {
    // A bug in one handler must not take the server down; the message may
    // hold internals, so it goes to the log and not to the client.
    log::error("http.handler_failed", {{"route", request.route}, {"what", e.what()}});
    if (is_api(request)) {
      return json_error(500, "internal", "the server failed on this request; see the server log");
    }
    return ui::error_page(500, "Server error", "The server failed on this request.");
  }
}

Response Server::Impl::handle(Request& request) {
  const auto start = std::chrono::steady_clock::now();
  Response response = dispatch(request);
  apply_security_headers(response, ctx.options.frame_ancestors);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  record_request(ctx.runtime.metrics(), request, response.status, seconds);
  return response;
}

namespace {

std::string too_large_message(std::size_t limit) {
  return "the request body exceeds the limit of " + std::to_string(limit) +
         " bytes; send a smaller body";
}

std::string error_title(int status) {
  switch (status) {
    case 408:
      return "Request timeout";
    case 411:
      return "Length required";
    case 413:
      return "Request too large";
    case 414:
      return "Address too long";
    case 429:
      return "Too many requests";
    case 431:
      return "Request headers too large";
    case 501:
      return "Method not supported";
    case 505:
      return "HTTP version not supported";
    default:
      return "Bad request";
  }
}

}  // namespace

Response Server::Impl::refuse(const Request& partial, const net::ParseError& error) {
  // The same shapes as handler errors: JSON under /api/, a page otherwise.
  // `partial` has the method and path once the parser accepted them.
  Response response;
  if (error.status == 413) {
    const std::string msg = too_large_message(ctx.options.max_body_bytes);
    response = is_api(partial) ? json_error(413, "payload-too-large", msg)
                               : ui::error_page(413, error_title(413), msg);
  } else if (is_api(partial)) {
    response = json_error(error.status, error.rule, error.message);
  } else {
    response = ui::error_page(error.status, error_title(error.status), error.message);
  }
  apply_security_headers(response, ctx.options.frame_ancestors);
  record_request(ctx.runtime.metrics(), partial, response.status, 0.0);
  return response;
}

Server::Server(runtime::Runtime& runtime, render::Engine& engine, ServerOptions options)
    : impl_(std::make_unique<Impl>(runtime, engine, std::move(options))) {}

Server::~Server() { stop(); }

void Server::start() {
  std::lock_guard lock(impl_->lifecycle_mu);
  if (impl_->listener) return;
  const auto& o = impl_->ctx.options;
  net::ListenerOptions lo;
  lo.host = o.host;
  lo.port = o.port;
  lo.threads = o.max_threads;
  lo.max_connections = o.max_connections;
  lo.max_body_bytes = o.max_body_bytes;
  lo.io_timeout = o.io_timeout;
  lo.keep_alive_timeout = o.keep_alive_timeout;
  lo.max_keep_alive_requests = o.max_keep_alive_requests;
  lo.max_blocked_handlers = o.max_blocked_handlers;
  lo.shutdown_grace = o.shutdown_grace;
  lo.max_connections_per_client = o.max_connections_per_client;
  lo.requests_per_second_per_client = o.requests_per_second_per_client;
  lo.request_burst_per_client = o.request_burst_per_client;
  lo.trusted_proxies = o.trusted_proxies;
  // Refusals and the bulkhead's state in /metrics. The registry outlives
  // the listener (it belongs to the runtime).
  metrics::Registry& registry = impl_->ctx.runtime.metrics();
  lo.on_refused = [&registry](std::string_view reason) {
    registry
        .counter("vitrine_http_refused_total",
                 "Connections and requests the HTTP front end refused, by rule (docs/api.md)",
                 {{"reason", std::string(reason)}})
        .inc();
  };
  metrics::Counter& reclaimed = registry.counter(
      "vitrine_http_idle_reclaimed_total",
      "Idle keep-alive connections closed to make room for a new one at max_connections");
  lo.on_reclaimed = [&reclaimed] { reclaimed.inc(); };
  metrics::Gauge& threads = registry.gauge(
      "vitrine_http_threads", "HTTP connection threads running, blocked ones included");
  metrics::Gauge& blocked = registry.gauge("vitrine_http_blocked_handlers",
                                           "Requests whose handler waits on a render or upstream");
  lo.on_pool_change = [&threads, &blocked](int n, int b) {
    threads.set(n);
    blocked.set(b);
  };
  Impl* impl = impl_.get();
  auto listener = std::make_unique<net::HttpListener>(
      lo, [impl](Request& request) { return impl->handle(request); },
      [impl](const Request& partial, const net::ParseError& error) {
        return impl->refuse(partial, error);
      });
  listener->start();  // throws std::runtime_error naming the address
  impl_->bound_port = listener->port();
  impl_->listener = std::move(listener);
  impl_->ctx.ready = true;
  impl_->warm.start();
}

void Server::stop() {
  std::lock_guard lock(impl_->lifecycle_mu);
  // First: a warming run in progress ends after its current page, before
  // the listener (and then the engine) go away.
  impl_->warm.stop();
  if (!impl_->listener) return;
  impl_->ctx.ready = false;
  // Stop accepting; requests in progress finish, idle keep-alive
  // connections are closed.
  impl_->listener->stop();
  impl_->listener.reset();
}

uint16_t Server::port() const { return impl_->bound_port; }

std::string Server::base_url() const {
  return "http://" + impl_->ctx.options.host + ":" + std::to_string(port());
}

Response Server::handle(Request& request) { return impl_->handle(request); }

}  // namespace vitrine::server
