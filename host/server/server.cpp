#include "server/server.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <mutex>

#include "config/config.h"
#include "log/log.h"
#include "server/access_log.h"
#include "server/context.h"
#include "server/json_errors.h"
#include "server/router.h"
#include "server/security_headers.h"
#include "server/ui/html.h"

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
  return o;
}

struct Server::Impl {
  Impl(runtime::Runtime& runtime, render::Engine& engine, ServerOptions options)
      : ctx(runtime, engine, std::move(options)) {
    add_ops_routes(router, ctx);
    add_api_spaces_routes(router, ctx);
    add_api_render_routes(router, ctx);
    add_api_plugins_routes(router, ctx);
    add_api_audit_routes(router, ctx);
    add_api_license_routes(router, ctx);
    add_asset_routes(router, ctx);
    add_login_routes(router, ctx);
    add_page_routes(router, ctx);
    add_settings_routes(router, ctx);
  }

  Response dispatch(Request& request);
  Response handle(Request& request);

  ServerContext ctx;
  Router router;
  std::mutex lifecycle_mu;
  std::unique_ptr<Poco::ThreadPool> pool;
  std::unique_ptr<Poco::Net::HTTPServer> http;
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

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Poco's connection-bound side: read the request within the limits, run the
// pipeline, write the answer.
class Dispatcher final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Dispatcher(Server::Impl& impl) : impl_(impl) {}

  void handleRequest(Poco::Net::HTTPServerRequest& in,
                     Poco::Net::HTTPServerResponse& out) override {
    Request request;
    request.method = in.getMethod();
    const std::string& uri = in.getURI();
    const auto q = uri.find('?');
    request.path = uri.substr(0, q);
    if (q != std::string::npos) request.query = uri.substr(q + 1);
    for (const auto& [name, value] : in) {
      std::string key = lower(name);
      auto [it, inserted] = request.headers.emplace(key, value);
      // Cookie may come split over several fields; any other duplicate
      // keeps its first value, so a second Authorization cannot override.
      if (!inserted && key == "cookie") it->second += "; " + value;
    }
    Response response;
    bool keep_alive = true;
    if (!read_body(in, request)) {
      keep_alive = false;  // the unread rest of the body would poison the connection
      response = too_large(request);
      apply_security_headers(response, impl_.ctx.options.frame_ancestors);
      record_request(impl_.ctx.runtime.metrics(), request, response.status, 0.0);
    } else {
      response = impl_.handle(request);
    }
    write(out, request, response, keep_alive);
  }

 private:
  bool read_body(Poco::Net::HTTPServerRequest& in, Request& request) {
    const std::size_t limit = impl_.ctx.options.max_body_bytes;
    if (in.hasContentLength() && in.getContentLength64() > static_cast<Poco::Int64>(limit)) {
      return false;
    }
    if (!in.hasContentLength() && !in.getChunkedTransferEncoding()) return true;
    auto& stream = in.stream();
    char buf[8192];
    while (stream) {
      stream.read(buf, sizeof buf);
      const auto n = static_cast<std::size_t>(stream.gcount());
      if (n == 0) break;
      if (request.body.size() + n > limit) return false;
      request.body.append(buf, n);
    }
    return true;
  }

  Response too_large(const Request& request) {
    const std::string msg = "the request body exceeds the limit of " +
                            std::to_string(impl_.ctx.options.max_body_bytes) +
                            " bytes; send a smaller body";
    if (is_api(request)) return json_error(413, "payload-too-large", msg);
    return ui::error_page(413, "Request too large", msg);
  }

  static void write(Poco::Net::HTTPServerResponse& out, const Request& request,
                    const Response& response, bool keep_alive) {
    out.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(response.status));
    out.setContentType(response.content_type);
    for (const auto& [name, value] : response.headers) out.add(name, value);
    if (!keep_alive) out.setKeepAlive(false);
    out.setContentLength64(static_cast<Poco::Int64>(response.body.size()));
    if (request.method == "HEAD") {
      out.send();
      return;
    }
    out.sendBuffer(response.body.data(), response.body.size());
  }

  Server::Impl& impl_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(Server::Impl& impl) : impl_(impl) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Dispatcher(impl_);
  }

 private:
  Server::Impl& impl_;
};

}  // namespace

Server::Server(runtime::Runtime& runtime, render::Engine& engine, ServerOptions options)
    : impl_(std::make_unique<Impl>(runtime, engine, std::move(options))) {}

Server::~Server() { stop(); }

void Server::start() {
  std::lock_guard lock(impl_->lifecycle_mu);
  if (impl_->http) return;
  const auto& o = impl_->ctx.options;
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress(o.host, o.port), 128);
  impl_->bound_port = socket.address().port();
  auto params = Poco::AutoPtr<Poco::Net::HTTPServerParams>(new Poco::Net::HTTPServerParams);
  params->setMaxThreads(o.max_threads);
  params->setMaxQueued(o.max_queued);
  params->setTimeout(Poco::Timespan(o.io_timeout.count(), 0));
  params->setKeepAlive(true);
  params->setKeepAliveTimeout(Poco::Timespan(o.keep_alive_timeout.count(), 0));
  params->setMaxKeepAliveRequests(o.max_keep_alive_requests);
  params->setServerName("vitrine");
  params->setSoftwareVersion("vitrine");
  // A pool of our own: bounded, and not shared with anything else in the
  // process that uses Poco's default pool.
  impl_->pool = std::make_unique<Poco::ThreadPool>(2, o.max_threads + 1, 60);
  impl_->http =
      std::make_unique<Poco::Net::HTTPServer>(new Factory(*impl_), *impl_->pool, socket, params);
  impl_->http->start();
  impl_->ctx.ready = true;
}

void Server::stop() {
  std::lock_guard lock(impl_->lifecycle_mu);
  if (!impl_->http) return;
  impl_->ctx.ready = false;
  // Stop accepting; requests in progress finish, idle keep-alive
  // connections are closed.
  impl_->http->stopAll(false);
  impl_->pool->joinAll();
  impl_->http.reset();
  impl_->pool.reset();
}

uint16_t Server::port() const { return impl_->bound_port; }

std::string Server::base_url() const {
  return "http://" + impl_->ctx.options.host + ":" + std::to_string(port());
}

Response Server::handle(Request& request) { return impl_->handle(request); }

}  // namespace vitrine::server
