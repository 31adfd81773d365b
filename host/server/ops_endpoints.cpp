// Operations endpoints (they carry no space data):
//   /healthz  liveness: the process answers HTTP
//   /readyz   readiness: the runtime is open, plugins are loaded, the
//             database answers and the server accepts requests (false
//             while stopping). The storage probe is a one-page read plus a
//             stat of vitrine.db, run at most every kStorageProbeEvery;
//             probes in between answer the cached result. Also unready
//             while the last audit write failed (store/audit.h). The
//             reconcile section says what wakes desired-state passes
//             ("wake": notify, poll, or "poll: why" while PostgreSQL's
//             listen connection is down); that alone never makes a host
//             unready, changes still arrive within the poll period.
//   /metrics  Prometheus text: the runtime's registry, which also holds the
//             server's request metrics (access_log.cpp). Open, unless
//             server.metrics_token_file is set: then only a scraper that
//             sends that token as a bearer token gets it.
#include <openssl/crypto.h>
#include <sys/stat.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "log/log.h"
#include "server/context.h"
#include "server/json_errors.h"
#include "store/sqlite/sqlite_backend.h"

namespace vitrine::server {
namespace {

constexpr auto kStorageProbeEvery = std::chrono::seconds(2);

// The last storage probe. The database file is identified by device and
// inode at the first probe: a vitrine.db deleted or replaced under a
// running host still answers through the open handle, but what is on disk
// is no longer what the host writes to, so it is reported as unhealthy.
class StorageHealth {
 public:
  // "" when healthy, else what is wrong and what to do.
  std::string check(ServerContext& ctx) {
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (probed_ && now - at_ < kStorageProbeEvery) return error_;
    std::string error = probe(ctx);
    if (error != error_ || !probed_) {
      if (error.empty()) {
        if (probed_) log::info("storage.healthy", {});
      } else {
        log::warn("storage.unhealthy", {{"message", error}});
      }
    }
    error_ = std::move(error);
    at_ = now;
    probed_ = true;
    return error_;
  }

 private:
  std::string probe(ServerContext& ctx) {
    // A PostgreSQL store has no file here: the ping below is the probe.
    if (ctx.runtime.config().store_backend != "sqlite") return ping(ctx);
    const auto db = ctx.runtime.config().data_dir / store::kSqliteFileName;
    struct stat st {};
    if (::stat(db.c_str(), &st) != 0) {
      return "the database file vitrine.db is gone from the data directory; restore it from a "
             "backup and restart";
    }
    if (!have_id_) {
      dev_ = st.st_dev;
      ino_ = st.st_ino;
      have_id_ = true;
    } else if (st.st_dev != dev_ || st.st_ino != ino_) {
      return "the database file vitrine.db was replaced while serving; restart vitrine so it "
             "opens the file on disk";
    }
    return ping(ctx);
  }

  static std::string ping(ServerContext& ctx) {
    auto st_ping = ctx.runtime.store().backend().ping();
    if (!st_ping) return st_ping.error().message;
    return "";
  }

  std::mutex mu_;
  bool probed_ = false;
  std::chrono::steady_clock::time_point at_{};
  std::string error_;
  bool have_id_ = false;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

}  // namespace

void add_ops_routes(Router& router, ServerContext& ctx) {
  router.add("GET", "/healthz", [](Request&) { return text_response(200, "ok\n"); });

  auto storage = std::make_shared<StorageHealth>();
  router.add("GET", "/readyz", [&ctx, storage](Request&) {
    int running = 0;
    int waiting = 0;
    for (const auto& p : ctx.runtime.plugins()) (p.running ? running : waiting)++;
    const std::string storage_error = storage->check(ctx);
    bool ready = ctx.ready.load() && storage_error.empty();
    // The last audit write failed (disk full): audited work cannot be
    // trusted to leave a trace until a write succeeds again (store/audit.h).
    const std::string audit_error = ctx.runtime.store().audit().health().unready_reason();
    ready = ready && audit_error.empty();
    const std::string audit_json =
        audit_error.empty() ? std::string("{\"ok\":true}")
                            : "{\"ok\":false,\"error\":\"" + log::json_escape(audit_error) + "\"}";
    // Desired state: converged, or why not (reconcile/reconciler.h).
    std::string reconcile;
    if (auto rs = ctx.runtime.reconcile_status()) {
      ready = ready && rs->converged();
      reconcile =
          ",\"reconcile\":{\"converged\":" + std::string(rs->converged() ? "true" : "false") +
          ",\"desired_seq\":" + std::to_string(rs->desired_seq) +
          ",\"applied_seq\":" + std::to_string(rs->applied_seq) +
          ",\"keyring_generation\":" + std::to_string(rs->applied_keyring_generation) +
          ",\"keyring\":\"" + log::json_escape(rs->keyring_ids) + "\"" + ",\"wake\":\"" +
          log::json_escape(rs->wake) + "\"" +
          (rs->error.empty() ? std::string()
                             : ",\"error\":\"" + log::json_escape(rs->error) + "\"") +
          "}";
    }
    const std::string storage_json =
        storage_error.empty()
            ? std::string("{\"ok\":true}")
            : "{\"ok\":false,\"error\":\"" + log::json_escape(storage_error) + "\"}";
    return json_response(
        ready ? 200 : 503,
        std::string("{\"ready\":") + (ready ? "true" : "false") + ",\"plugins_running\":" +
            std::to_string(running) + ",\"plugins_not_running\":" + std::to_string(waiting) +
            ",\"storage\":" + storage_json + ",\"audit\":" + audit_json + reconcile + "}");
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
    ctx.runtime.runner().refresh_metrics();
    Response r = text_response(200, ctx.runtime.metrics().expose());
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return r;
  });
}

}  // namespace vitrine::server
