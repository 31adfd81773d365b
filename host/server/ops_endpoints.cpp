// Operations endpoints (they carry no space data):
//   /healthz  liveness: the process answers HTTP
//   /readyz   readiness: the runtime is open, plugins are loaded and the
//             server accepts requests (false while stopping)
//   /metrics  Prometheus text: the runtime's registry, which also holds the
//             server's request metrics (access_log.cpp). Open, unless
//             server.metrics_token_file is set: then only a scraper that
//             sends that token as a bearer token gets it.
#include <openssl/crypto.h>

#include <string>

#include "server/context.h"
#include "server/json_errors.h"

namespace vitrine::server {

void add_ops_routes(Router& router, ServerContext& ctx) {
  router.add("GET", "/healthz", [](Request&) { return text_response(200, "ok\n"); });

  router.add("GET", "/readyz", [&ctx](Request&) {
    int running = 0;
    int waiting = 0;
    for (const auto& p : ctx.runtime.plugins()) (p.running ? running : waiting)++;
    const bool ready = ctx.ready.load();
    return json_response(ready ? 200 : 503,
                         std::string("{\"ready\":") + (ready ? "true" : "false") +
                             ",\"plugins_running\":" + std::to_string(running) +
                             ",\"plugins_not_running\":" + std::to_string(waiting) + "}");
  });

  router.add("GET", "/metrics", [&ctx](Request& req) {
    const std::string& expected = ctx.options.metrics_token;
    if (!expected.empty()) {
      const std::string presented = req.header("authorization");
      const std::string want = "Bearer " + expected;
      // Constant time over the token, so the answer time says nothing about
      // how much of a guess was right.
      if (presented.size() != want.size() ||
          CRYPTO_memcmp(presented.data(), want.data(), want.size()) != 0) {
        Response r = json_error(401, "unauthenticated",
                                "send the scrape token of server.metrics_token_file as "
                                "'Authorization: Bearer ...'");
        r.set_header("WWW-Authenticate", "Bearer realm=\"vitrine-metrics\"");
        return r;
      }
    }
    Response r = text_response(200, ctx.runtime.metrics().expose());
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return r;
  });
}

}  // namespace vitrine::server
