#include "config/config.h"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <variant>

#include "config/value_rules.h"

namespace vitrine::config {
namespace {

namespace fs = std::filesystem;
using manifest::Diagnostic;
using manifest::Position;

struct Ctx {
  std::string file;
  std::vector<Diagnostic>& out;
  void error(const YAML::Node& n, std::string message, std::string rule) {
    Position p{n.Mark().line + 1, n.Mark().column + 1};
    out.push_back({file, p, manifest::Severity::error, std::move(message), std::move(rule)});
  }
};

using Handler = std::function<void(Ctx&, const YAML::Node&, Config&)>;

bool scalar(Ctx& c, const YAML::Node& n, const std::string& key) {
  if (n.IsNull()) {
    c.error(n, "'" + key + "' has no value; write one after the colon or remove the key",
            "config-type");
    return false;
  }
  if (!n.IsScalar()) {
    c.error(n, "'" + key + "' must be a single value, not a list or mapping", "config-type");
    return false;
  }
  return true;
}

// Every value type below reports through this: the message from
// value_rules.h (what is wrong, what to write) and the type's rule id.
template <class T>
bool ok(Ctx& c, const YAML::Node& n, const std::variant<T, ValueError>& r, const char* rule) {
  if (const auto* e = std::get_if<ValueError>(&r)) {
    c.error(n, e->message, rule);
    return false;
  }
  return true;
}

Handler path(std::string key, std::string example,
             std::function<void(Config&, const std::string&)> set) {
  return [=](Ctx& c, const YAML::Node& n, Config& cfg) {
    if (!scalar(c, n, key)) return;
    if (auto e = check_path(key, n.Scalar(), example)) return c.error(n, e->message, "config-path");
    set(cfg, n.Scalar());
  };
}

Handler origin(std::string key, std::function<void(Config&, const std::string&)> set) {
  return [=](Ctx& c, const YAML::Node& n, Config& cfg) {
    if (!scalar(c, n, key)) return;
    auto r = check_origin(key, n.Scalar());
    if (ok(c, n, r, "config-origin")) set(cfg, std::get<std::string>(r));
  };
}

// Durations, sizes and counts: whole numbers within bounds (the unit is in
// the key's name).
Handler integer(std::string key, int64_t lo, int64_t hi,
                std::function<void(Config&, int64_t)> set) {
  return [=](Ctx& c, const YAML::Node& n, Config& cfg) {
    if (!scalar(c, n, key)) return;
    const std::string bounds = std::to_string(lo) + " and " + std::to_string(hi);
    auto v = parse_whole_number(n.Scalar());
    if (!v) {
      c.error(
          n,
          key + " '" + n.Scalar() + "' is not a whole number; write digits only, between " + bounds,
          "config-type");
      return;
    }
    if (*v < lo || *v > hi) {
      c.error(n, key + " " + n.Scalar() + " is out of range; write a number between " + bounds,
              "config-range");
      return;
    }
    set(cfg, *v);
  };
}

Handler boolean(std::string key, std::function<void(Config&, bool)> set) {
  return [=](Ctx& c, const YAML::Node& n, Config& cfg) {
    if (!scalar(c, n, key)) return;
    if (n.Scalar() == "true" || n.Scalar() == "false") {
      set(cfg, n.Scalar() == "true");
    } else {
      c.error(n, key + " '" + n.Scalar() + "' is not a boolean; write true or false",
              "config-type");
    }
  };
}

void walk(Ctx& c, const YAML::Node& node, const std::map<std::string, Handler>& schema,
          const std::string& where, Config& cfg);

Handler section(std::string key, std::map<std::string, Handler> schema) {
  return [key, schema](Ctx& c, const YAML::Node& n, Config& cfg) {
    if (!n.IsMap()) {
      c.error(n, "'" + key + "' must be a mapping", "config-type");
      return;
    }
    walk(c, n, schema, key + ".", cfg);
  };
}

size_t distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t prev = row[0]++;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cur = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
      prev = cur;
    }
  }
  return row[b.size()];
}

void walk(Ctx& c, const YAML::Node& node, const std::map<std::string, Handler>& schema,
          const std::string& where, Config& cfg) {
  std::map<std::string, int> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string key = it->first.Scalar();
    if (seen[key]++ > 0) {
      c.error(it->first, "key '" + where + key + "' appears twice", "config-duplicate-key");
      continue;
    }
    auto h = schema.find(key);
    if (h == schema.end()) {
      std::string best;
      size_t best_d = 3;
      for (const auto& [k, unused] : schema) {
        size_t d = distance(key, k);
        if (d < best_d) best_d = d, best = k;
      }
      c.error(it->first,
              "unknown key '" + where + key + "'" +
                  (best.empty() ? "" : "; did you mean '" + where + best + "'?"),
              "config-unknown-key");
      continue;
    }
    h->second(c, it->second, cfg);
  }
}

bool is_loopback(const std::string& a) {
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, a.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  return inet_pton(AF_INET6, a.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

// ADDRESS or ADDRESS/PREFIX (0-32 for IPv4, 0-128 for IPv6), as the
// listener parses server.trusted_proxies (server/net/ip_address.h).
bool is_address_block(const std::string& text) {
  const auto slash = text.find('/');
  const std::string address = text.substr(0, slash);
  in_addr v4{};
  in6_addr v6{};
  int width = 0;
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) {
    width = 32;
  } else if (inet_pton(AF_INET6, address.c_str(), &v6) == 1) {
    width = 128;
  } else {
    return false;
  }
  if (slash == std::string::npos) return true;
  const std::string digits = text.substr(slash + 1);
  if (digits.empty() || digits.size() > 3 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  return std::stoi(digits) <= width;
}

// store.url: a libpq URI without a password (the password lives in
// store.password_file, never in the config).
std::optional<std::string> check_store_url(const std::string& url) {
  const bool scheme = url.rfind("postgres://", 0) == 0 || url.rfind("postgresql://", 0) == 0;
  if (!scheme) {
    return "store.url '" + url +
           "' is not a PostgreSQL URL; write "
           "postgres://USER@HOST:PORT/DATABASE?sslmode=verify-full";
  }
  const auto start = url.find("://") + 3;
  const auto end = url.find_first_of("/?", start);
  const std::string authority = url.substr(start, end == std::string::npos ? end : end - start);
  const auto at = authority.rfind('@');
  if (at != std::string::npos && authority.substr(0, at).find(':') != std::string::npos) {
    return std::string(
        "store.url contains a password; remove it from the URL and put it in the file "
        "store.password_file names (mode 0600)");
  }
  if (url.find("password=") != std::string::npos) {
    return std::string(
        "store.url contains a password parameter; remove it and put the password in the file "
        "store.password_file names (mode 0600)");
  }
  return std::nullopt;
}

const std::map<std::string, Handler>& schema() {
  static const std::map<std::string, Handler> s = {
      {"listen", [](Ctx& c, const YAML::Node& n, Config& cfg) {
         if (!scalar(c, n, "listen")) return;
         auto r = check_listen("listen", n.Scalar());
         if (!ok(c, n, r, "config-listen")) return;
         cfg.listen_host = std::get<HostPort>(r).host;
         cfg.listen_port = std::get<HostPort>(r).port;
       }},
      {"data_dir", path("data_dir", "/var/lib/vitrine",
                        [](Config& c, const std::string& v) { c.data_dir = v; })},
      {"plugins_dir", path("plugins_dir", "/usr/lib/vitrine/plugins",
                           [](Config& c, const std::string& v) { c.plugins_dir = v; })},
      {"key_file", path("key_file", "/etc/vitrine/keyring",
                        [](Config& c, const std::string& v) { c.key_file = v; })},
      {"dev_mode", boolean("dev_mode", [](Config& c, bool v) { c.dev_mode = v; })},
      {"plugins",
       section("plugins",
               {{"mode",
                 [](Ctx& c, const YAML::Node& n, Config& cfg) {
                   if (!scalar(c, n, "plugins.mode")) return;
                   if (n.Scalar() != "worker" && n.Scalar() != "in-process") {
                     c.error(n, "'plugins.mode' must be worker or in-process", "config-enum");
                     return;
                   }
                   cfg.plugin_mode = n.Scalar();
                 }},
                {"worker_path", path("plugins.worker_path", "/usr/lib/vitrine/vitrine-worker",
                                     [](Config& c, const std::string& v) { c.worker_path = v; })},
                {"max_workers", integer("plugins.max_workers", 0, 100000,
                                        [](Config& c, int64_t v) {
                                          c.max_workers = static_cast<int>(v);
                                        })},
                {"worker_memory_mb", integer("plugins.worker_memory_mb", 16, 1048576,
                                             [](Config& c, int64_t v) {
                                               c.worker_memory_mb = static_cast<int>(v);
                                             })},
                {"worker_zygote",
                 boolean("plugins.worker_zygote", [](Config& c, bool v) { c.worker_zygote = v; })},
                {"spare_workers", integer("plugins.spare_workers", 0, 64, [](Config& c, int64_t v) {
                   c.spare_workers = static_cast<int>(v);
                 })},
                // A user name as useradd accepts it; whether it exists is
                // checked when workers start (the host may run elsewhere).
                {"worker_user",
                 [](Ctx& c, const YAML::Node& n, Config& cfg) {
                   if (!scalar(c, n, "plugins.worker_user")) return;
                   const std::string& v = n.Scalar();
                   bool valid = !v.empty() && v.size() <= 32 && v[0] != '-';
                   for (char ch : v) {
                     valid = valid && (std::isalnum(static_cast<unsigned char>(ch)) != 0 ||
                                       ch == '_' || ch == '-' || ch == '.');
                   }
                   if (!valid) {
                     c.error(n,
                             "'plugins.worker_user' must be a user name (letters, digits, '_', "
                             "'-', '.'; at most 32), e.g. nobody",
                             "config-user");
                     return;
                   }
                   cfg.worker_user = v;
                 }},
                // Plugin ids as manifests spell them (plugin-id-format).
                {"development",
                 [](Ctx& c, const YAML::Node& n, Config& cfg) {
                   if (!n.IsSequence()) {
                     c.error(n,
                             "'plugins.development' must be a list of plugin ids, e.g. "
                             "[my_plugin]",
                             "config-type");
                     return;
                   }
                   for (const auto& e : n) {
                     bool valid = e.IsScalar() && e.Scalar().size() >= 2 &&
                                  e.Scalar().size() <= 64 && e.Scalar()[0] >= 'a' &&
                                  e.Scalar()[0] <= 'z';
                     for (char ch : valid ? e.Scalar() : std::string()) {
                       valid = valid && ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                                         ch == '_');
                     }
                     if (!valid) {
                       c.error(e,
                               "each 'plugins.development' entry must be a plugin id "
                               "([a-z][a-z0-9_]{1,63}), e.g. my_plugin",
                               "config-plugin-id");
                       continue;
                     }
                     cfg.plugins_development.push_back(e.Scalar());
                   }
                 }}})},
      {"render",
       section("render",
               {{"threads", integer("render.threads", 1, 256,
                                    [](Config& c, int64_t v) { c.render_threads = int(v); })},
                {"macro_deadline_ms",
                 integer("render.macro_deadline_ms", 100, 120000,
                         [](Config& c, int64_t v) { c.macro_deadline_ms = int(v); })},
                {"stale_for_s", integer("render.stale_for_s", 0, 30 * 86400,
                                        [](Config& c, int64_t v) { c.stale_for_s = int(v); })},
                {"max_cache_ttl_s",
                 integer("render.max_cache_ttl_s", 0, 86400, [](Config& c, int64_t v) {
                   c.max_cache_ttl_s = static_cast<uint32_t>(v);
                 })},
                {"memory_cache_mb",
                 integer("render.memory_cache_mb", 0, 4096,
                         [](Config& c, int64_t v) { c.memory_cache_mb = int(v); })},
                {"max_per_space", integer("render.max_per_space", 0, 256,
                                          [](Config& c, int64_t v) { c.render_per_space = int(v); })},
                {"max_per_origin",
                 integer("render.max_per_origin", 0, 256,
                         [](Config& c, int64_t v) { c.render_per_origin = int(v); })},
                {"max_queued", integer("render.max_queued", 1, 1000000, [](Config& c, int64_t v) {
                   c.render_max_queued = int(v);
                 })},
                {"lease_s", integer("render.lease_s", 1, 60, [](Config& c, int64_t v) {
                   c.render_lease_s = int(v);
                 })}})},
      {"server",
       section("server",
               {{"frame_ancestors",
                 [](Ctx& c, const YAML::Node& n, Config& cfg) {
                   if (!scalar(c, n, "server.frame_ancestors")) return;
                   if (auto e = check_csp_sources("server.frame_ancestors", n.Scalar())) {
                     return c.error(n, e->message, "config-csp");
                   }
                   cfg.frame_ancestors = n.Scalar();
                 }},
                {"public_url", origin("server.public_url",
                                      [](Config& c, const std::string& v) { c.public_url = v; })},
                {"metrics_token_file",
                 path("server.metrics_token_file", "/etc/vitrine/metrics.token",
                      [](Config& c, const std::string& v) { c.metrics_token_file = v; })},
                {"max_rendering_requests",
                 integer("server.max_rendering_requests", 1, 100000,
                         [](Config& c, int64_t v) { c.max_rendering_requests = int(v); })},
                {"shutdown_grace_s", integer("server.shutdown_grace_s", 0, 3600,
                                             [](Config& c, int64_t v) { c.shutdown_grace_s = int(v); })},
                {"max_connections_per_client",
                 integer("server.max_connections_per_client", 0, 1000000,
                         [](Config& c, int64_t v) { c.max_connections_per_client = int(v); })},
                {"requests_per_second_per_client",
                 integer("server.requests_per_second_per_client", 0, 1000000,
                         [](Config& c, int64_t v) { c.requests_per_second_per_client = int(v); })},
                {"request_burst_per_client",
                 integer("server.request_burst_per_client", 0, 1000000,
                         [](Config& c, int64_t v) { c.request_burst_per_client = int(v); })},
                {"trusted_proxies", [](Ctx& c, const YAML::Node& n, Config& cfg) {
                   if (!n.IsSequence()) {
                     c.error(n, "'server.trusted_proxies' must be a list of address blocks, e.g. [10.0.0.0/8]",
                             "config-type");
                     return;
                   }
                   for (const auto& e : n) {
                     if (!e.IsScalar() || !is_address_block(e.Scalar())) {
                       c.error(e,
                               "each 'server.trusted_proxies' entry must be an IPv4 or IPv6 "
                               "address or block, e.g. 10.0.0.0/8 or fd00::/8",
                               "config-trusted-proxies");
                       continue;
                     }
                     cfg.trusted_proxies.push_back(e.Scalar());
                   }
                 }}})},
      {"auth", [](Ctx& c, const YAML::Node& n, Config& cfg) {
         parse_auth(n, cfg.auth, [&c](const YAML::Node& at, const std::string& m,
                                      const std::string& rule) { c.error(at, m, rule); });
       }},
      {"store",
       section("store",
               {{"backend",
                 [](Ctx& c, const YAML::Node& n, Config& cfg) {
                   if (!scalar(c, n, "store.backend")) return;
                   if (n.Scalar() != "sqlite" && n.Scalar() != "postgres") {
                     return c.error(n,
                                    "store.backend '" + n.Scalar() +
                                        "' is not known; write sqlite (one host, the default) or "
                                        "postgres (several hosts on one database)",
                                    "config-store-backend");
                   }
                   cfg.store_backend = n.Scalar();
                 }},
                {"url",
                 [](Ctx& c, const YAML::Node& n, Config& cfg) {
                   if (!scalar(c, n, "store.url")) return;
                   if (auto e = check_store_url(n.Scalar())) {
                     return c.error(n, *e, "config-store-url");
                   }
                   cfg.store_url = n.Scalar();
                 }},
                {"password_file",
                 path("store.password_file", "/etc/vitrine/db.password",
                      [](Config& c, const std::string& v) { c.store_password_file = v; })},
                {"notify",
                 boolean("store.notify", [](Config& c, bool v) { c.store_notify = v; })}})},
      {"audit", section("audit", {{"license_window_s",
                                   integer("audit.license_window_s", 1, 3600,
                                           [](Config& c, int64_t v) {
                                             c.audit_license_window_s = int(v);
                                           })}})},
      {"egress",
       section(
           "egress",
           {{"extra_ca_file", path("egress.extra_ca_file", "/etc/vitrine/grafana-ca.pem",
                                   [](Config& c, const std::string& v) { c.extra_ca_file = v; })},
            {"connect_timeout_ms",
             integer("egress.connect_timeout_ms", 100, 60000,
                     [](Config& c, int64_t v) { c.connect_timeout_ms = int(v); })},
            {"handshake_timeout_ms",
             integer("egress.handshake_timeout_ms", 100, 60000,
                     [](Config& c, int64_t v) { c.handshake_timeout_ms = int(v); })},
            {"fetch_timeout_ms",
             integer("egress.fetch_timeout_ms", 100, 120000,
                     [](Config& c, int64_t v) { c.fetch_timeout_ms = int(v); })},
            {"max_body_bytes", integer("egress.max_body_bytes", 1024, 256ll << 20,
                                       [](Config& c, int64_t v) { c.max_body_bytes = v; })},
            {"resolve",
             [](Ctx& c, const YAML::Node& n, Config& cfg) {
               if (!n.IsSequence()) {
                 c.error(n, "'egress.resolve' must be a list of {host, address, port}",
                         "config-type");
                 return;
               }
               for (const auto& e : n) {
                 if (!e.IsMap() || !e["host"] || !e["address"] || !e["port"] || e.size() != 3) {
                   c.error(e, "each 'egress.resolve' entry needs exactly host, address and port",
                           "config-resolve");
                   continue;
                 }
                 ResolveOverride o{e["host"].Scalar(), e["address"].Scalar(), 0};
                 if (!is_host_name(o.host)) {
                   c.error(e["host"],
                           "resolve host '" + o.host + "' is not a host name; write the exact "
                           "name the space's Grafana origin uses, e.g. grafana.example.com",
                           "config-resolve");
                   continue;
                 }
                 auto port = parse_whole_number(e["port"].Scalar());
                 if (!port || *port < 1 || *port > 65535) {
                   c.error(e["port"],
                           "resolve port '" + e["port"].Scalar() +
                               "' is not a port; write a number from 1 to 65535",
                           "config-resolve");
                   continue;
                 }
                 // Only loopback: the override exists so tests and the demo can
                 // reach a local simulator; it must never open a path to an
                 // internal network.
                 if (!is_loopback(o.address)) {
                   c.error(e["address"],
                           "resolve address '" + o.address +
                               "' is not a loopback address; overrides may only point at "
                               "127.0.0.0/8 or ::1",
                           "config-resolve-not-loopback");
                   continue;
                 }
                 o.port = static_cast<uint16_t>(*port);
                 cfg.resolve.push_back(o);
               }
             }}})},
  };
  return s;
}

}  // namespace

LoadResult parse_config(const std::string& text, const fs::path& path) {
  LoadResult r;
  Ctx c{path.string(), r.diagnostics};
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    r.diagnostics.push_back({path.string(), Position{e.mark.line + 1, e.mark.column + 1},
                             manifest::Severity::error, "YAML syntax: " + e.msg, "config-yaml"});
    return r;
  }
  if (!root.IsMap()) {
    r.diagnostics.push_back({path.string(), Position{1, 1}, manifest::Severity::error,
                             "the config must be a YAML mapping of keys", "config-type"});
    return r;
  }
  Config cfg;
  cfg.path = path;
  walk(c, root, schema(), "", cfg);
  // Only when store.url itself was accepted: one diagnostic per mistake.
  if (r.diagnostics.empty() && cfg.store_backend == "postgres" && cfg.store_url.empty()) {
    r.diagnostics.push_back({path.string(), Position{}, manifest::Severity::error,
                             "store.backend is postgres but store.url is missing; add store.url: "
                             "postgres://USER@HOST:PORT/DATABASE?sslmode=verify-full",
                             "config-store-url"});
  }
  if (cfg.store_backend == "sqlite" && !cfg.store_url.empty()) {
    r.diagnostics.push_back({path.string(), Position{}, manifest::Severity::error,
                             "store.url is set but store.backend is sqlite (the default); add "
                             "store.backend: postgres, or remove store.url",
                             "config-store-url"});
  }
  if (!r.diagnostics.empty()) return r;
  // Relative paths are relative to the config file, so a config works from
  // any working directory.
  const fs::path base = path.has_parent_path() ? path.parent_path() : fs::path(".");
  for (fs::path* p : {&cfg.data_dir, &cfg.plugins_dir, &cfg.key_file, &cfg.extra_ca_file,
                      &cfg.worker_path, &cfg.metrics_token_file, &cfg.store_password_file,
                      &cfg.auth.oidc.ca_file, &cfg.auth.oidc.client_secret_file}) {
    if (!p->empty() && p->is_relative()) *p = base / *p;
  }
  r.config = std::move(cfg);
  return r;
}

LoadResult load_config(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult r;
    r.diagnostics.push_back({path.string(), Position{}, manifest::Severity::error,
                             "cannot read the config file; check the path given to --config",
                             "config-unreadable"});
    return r;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  return parse_config(buf.str(), path);
}

}  // namespace vitrine::config
