// vitrine.yml values are checked by type, each with its rule id and a
// message that says what to write instead (docs/config.md). Table-driven:
// every key of docs/config.md has at least one accepted and one refused row.
#include "config/config.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace vitrine::config {
namespace {

struct Refused {
  std::string yaml;
  std::string rule;
  std::string message_part;  // must appear in the message
  int line = 0;
  int column = 0;
};

void PrintTo(const Refused& r, std::ostream* os) { *os << r.yaml; }

// Test names: the row number and the rule, e.g. 0_config_origin.
std::string row_name(const ::testing::TestParamInfo<Refused>& info) {
  std::string name = std::to_string(info.index) + "_" + info.param.rule;
  for (char& c : name) c = c == '-' ? '_' : c;
  return name;
}

class ConfigTypes : public ::testing::TestWithParam<Refused> {};

TEST_P(ConfigTypes, RefusedWithRuleAndPositionAndAdvice) {
  const Refused& c = GetParam();
  auto r = parse_config(c.yaml, "vitrine.yml");
  EXPECT_FALSE(r.config.has_value()) << c.yaml;
  ASSERT_EQ(r.diagnostics.size(), 1u) << c.yaml;
  const auto& d = r.diagnostics.front();
  EXPECT_EQ(d.rule, c.rule) << manifest::format(d);
  EXPECT_NE(d.message.find(c.message_part), std::string::npos) << manifest::format(d);
  if (c.line != 0) {
    EXPECT_EQ(d.pos.line, c.line) << manifest::format(d);
    EXPECT_EQ(d.pos.column, c.column) << manifest::format(d);
  }
}

INSTANTIATE_TEST_SUITE_P(
    EveryKey, ConfigTypes,
    ::testing::Values(
        // server.public_url: an absolute http(s) origin [config-origin]
        Refused{"listen: 127.0.0.1:8080\nserver:\n  public_url: docs.example.com\n",
                "config-origin", "write it with its scheme, e.g. https://docs.example.com", 3, 15},
        Refused{"server:\n  public_url: ftp://docs.example.com\n", "config-origin",
                "write an http or https origin"},
        Refused{"server:\n  public_url: https://docs.example.com/wiki\n", "config-origin",
                "e.g. https://docs.example.com"},
        Refused{"server:\n  public_url: https://docs.example.com/?a=1\n", "config-origin",
                "path, query or fragment"},
        Refused{"server:\n  public_url: https://docs.example.com#top\n", "config-origin",
                "path, query or fragment"},
        Refused{"server:\n  public_url: https://admin:pw@docs.example.com\n", "config-origin",
                "user name or password"},
        Refused{"server:\n  public_url: https://docs.example.com:70000\n", "config-origin",
                "from 1 to 65535"},
        Refused{"server:\n  public_url: https://docs.example.com:0\n", "config-origin",
                "from 1 to 65535"},
        Refused{"server:\n  public_url: https://\n", "config-origin", "no valid host"},
        Refused{"server:\n  public_url: https://docs_example!.com\n", "config-origin",
                "no valid host"},
        Refused{"server:\n  public_url: \"\"\n", "config-origin", "write it with its scheme"},
        // server.frame_ancestors: a CSP source list [config-csp]
        Refused{"server:\n  frame_ancestors: \"'self'; script-src *\"\n", "config-csp",
                "write sources separated by spaces"},
        Refused{"server:\n  frame_ancestors: \"a, b\"\n", "config-csp", "'none'"},
        Refused{"server:\n  frame_ancestors: \"\"\n", "config-csp", "CSP source list"},
        // store.backend, store.url, store.password_file [config-store-*]
        Refused{"store:\n  backend: mysql\n", "config-store-backend", "write sqlite", 2, 12},
        Refused{"store:\n  backend: postgres\n", "config-store-url", "store.url is missing"},
        Refused{"store:\n  url: postgres://v@db:5432/v\n", "config-store-url",
                "store.backend is sqlite"},
        Refused{"store:\n  backend: postgres\n  url: mysql://db/v\n", "config-store-url",
                "not a PostgreSQL URL"},
        Refused{"store:\n  backend: postgres\n  url: postgres://v:secret@db/v\n",
                "config-store-url", "contains a password"},
        Refused{"store:\n  backend: postgres\n  url: postgres://v@db/v?password=secret\n",
                "config-store-url", "password parameter"},
        Refused{"store:\n  password_file: \"\"\n", "config-path", "store.password_file is empty"},
        // server.metrics_token_file and every other path: non-empty [config-path]
        Refused{"server:\n  metrics_token_file: \"\"\n", "config-path",
                "server.metrics_token_file is empty"},
        Refused{"data_dir: \"\"\n", "config-path", "data_dir is empty; write a path"},
        Refused{"plugins_dir: \"\"\n", "config-path", "plugins_dir is empty"},
        Refused{"key_file: \"\"\n", "config-path", "key_file is empty"},
        Refused{"plugins:\n  worker_path: \"\"\n", "config-path", "plugins.worker_path is empty"},
        Refused{"egress:\n  extra_ca_file: \"\"\n", "config-path", "egress.extra_ca_file"},
        Refused{"data_dir: \"a\\tb\"\n", "config-path", "control character"},
        // listen: HOST:PORT [config-listen]
        Refused{"listen: 8080\n", "config-listen", "write HOST:PORT"},
        Refused{"listen: 127.0.0.1:65536\n", "config-listen", "invalid port"},
        Refused{"listen: 127.0.0.1:80x\n", "config-listen", "invalid port"},
        Refused{"listen: 127.0.0.1:-1\n", "config-listen", "invalid port"},
        Refused{"listen: :8080\n", "config-listen", "no valid host"},
        // dev_mode: boolean [config-type]
        Refused{"dev_mode: yes please\n", "config-type", "write true or false"},
        // plugins.mode: enum [config-enum]
        Refused{"plugins:\n  mode: threads\n", "config-enum", "worker or in-process"},
        // plugins.worker_user: a user name [config-user]
        Refused{"plugins:\n  worker_user: \"-rf\"\n", "config-user", "must be a user name"},
        Refused{"plugins:\n  worker_user: \"a b\"\n", "config-user", "must be a user name"},
        // render.*: bounded whole numbers [config-range] / [config-type]
        Refused{"render:\n  threads: 0\n", "config-range", "between 1 and 256"},
        Refused{"render:\n  threads: 8 threads\n", "config-type", "not a whole number"},
        Refused{"render:\n  macro_deadline_ms: 50\n", "config-range", "between 100 and 120000"},
        Refused{"render:\n  stale_for_s: -1\n", "config-range", "between 0 and 2592000"},
        Refused{"render:\n  max_cache_ttl_s: 86401\n", "config-range", "between 0 and 86400"},
        Refused{"render:\n  memory_cache_mb: 1.5\n", "config-type", "not a whole number"},
        // egress.*: bounded durations and sizes
        Refused{"egress:\n  connect_timeout_ms: 60001\n", "config-range", "between 100 and 60000"},
        Refused{"egress:\n  handshake_timeout_ms: 0\n", "config-range", "between 100 and 60000"},
        Refused{"egress:\n  fetch_timeout_ms: 10s\n", "config-type", "not a whole number"},
        Refused{"egress:\n  max_body_bytes: 1000000000\n", "config-range", "268435456"},
        Refused{"egress:\n  resolve:\n    - {host: \"bad host\", address: 127.0.0.1, port: 1}\n",
                "config-resolve", "not a host name"},
        Refused{"egress:\n  resolve:\n    - {host: g.example.com, address: 127.0.0.1, port: 0}\n",
                "config-resolve", "from 1 to 65535"},
        Refused{"egress:\n  resolve:\n    - {host: g.example.com, address: 10.0.0.1, port: 1}\n",
                "config-resolve-not-loopback", "loopback"},
        // server.*: overload and fairness
        Refused{"server:\n  max_rendering_requests: 0\n", "config-range", "between 1 and 100000"},
        Refused{"server:\n  shutdown_grace_s: 3601\n", "config-range", "between 0 and 3600"},
        Refused{"server:\n  max_connections_per_client: -1\n", "config-range", "between 0"},
        Refused{"server:\n  requests_per_second_per_client: 1.5\n", "config-type",
                "not a whole number"},
        Refused{"server:\n  request_burst_per_client: -2\n", "config-range", "between 0"},
        Refused{"server:\n  trusted_proxies: 10.0.0.0/8\n", "config-type", "must be a list"},
        Refused{"server:\n  trusted_proxies: [10.0.0.0/33]\n", "config-trusted-proxies",
                "address or block"},
        Refused{"server:\n  trusted_proxies: [proxy.local]\n", "config-trusted-proxies",
                "e.g. 10.0.0.0/8"},
        // A key with no value, or a list where a value belongs.
        Refused{"server:\n  public_url:\n", "config-type", "has no value"},
        Refused{"render:\n  threads: [1, 2]\n", "config-type", "single value"}),
    row_name);

TEST(ConfigTypes, DiagnosticReadsLikeTheDocsExample) {
  auto r = parse_config("listen: 127.0.0.1:8080\nserver:\n  public_url: docs.example.com\n",
                        "vitrine.yml");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(manifest::format(r.diagnostics.front()),
            "vitrine.yml:3:15: error: server.public_url 'docs.example.com' is not an absolute "
            "origin; write it with its scheme, e.g. https://docs.example.com [config-origin]");
}

// Accepted origins are normalised to what browsers send in Origin, so the
// form-post check compares like with like.
TEST(ConfigTypes, PublicUrlIsNormalisedToTheBrowsersOrigin) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"https://docs.example.com", "https://docs.example.com"},
      {"https://docs.example.com/", "https://docs.example.com"},
      {"HTTPS://Docs.Example.COM", "https://docs.example.com"},
      {"https://docs.example.com:443", "https://docs.example.com"},
      {"http://docs.example.com:80/", "http://docs.example.com"},
      {"https://docs.example.com:8443", "https://docs.example.com:8443"},
      {"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
      {"http://[::1]:8080", "http://[::1]:8080"},
  };
  for (const auto& [in, want] : cases) {
    auto r = parse_config("server:\n  public_url: \"" + in + "\"\n", "vitrine.yml");
    ASSERT_TRUE(r.config.has_value()) << in;
    EXPECT_EQ(r.config->public_url, want) << in;
  }
}

TEST(ConfigTypes, ValidValuesOfEveryTypeAreAccepted) {
  auto r = parse_config(
      "listen: \"[::1]:0\"\ndata_dir: /var/lib/vitrine\nplugins_dir: plugins\n"
      "key_file: /etc/vitrine/keyring\ndev_mode: false\n"
      "plugins:\n  mode: in-process\n  worker_path: /usr/lib/vitrine/vitrine-worker\n"
      "render:\n  threads: 256\n  macro_deadline_ms: 100\n  stale_for_s: 0\n"
      "  max_cache_ttl_s: 86400\n  memory_cache_mb: 0\n"
      "server:\n  frame_ancestors: \"'self' https://wiki.example.com\"\n"
      "  public_url: https://docs.example.com\n  metrics_token_file: metrics.token\n"
      "egress:\n  extra_ca_file: ca.pem\n  connect_timeout_ms: 100\n  handshake_timeout_ms: "
      "60000\n  fetch_timeout_ms: 120000\n  max_body_bytes: 1024\n"
      "  resolve:\n    - {host: grafana.example.com, address: 127.0.0.1, port: 3000}\n",
      "/etc/vitrine/vitrine.yml");
  for (const auto& d : r.diagnostics) ADD_FAILURE() << manifest::format(d);
  ASSERT_TRUE(r.config.has_value());
  EXPECT_EQ(r.config->listen_host, "::1");
  EXPECT_EQ(r.config->listen_port, 0);
  EXPECT_EQ(r.config->render_threads, 256);
  EXPECT_EQ(r.config->metrics_token_file, "/etc/vitrine/metrics.token");
  EXPECT_EQ(r.config->resolve.at(0).port, 3000);
}

// All errors of a file in one pass, not just the first.
TEST(ConfigTypes, EveryBadValueIsReportedInOnePass) {
  auto r = parse_config(
      "listen: nope\nserver:\n  public_url: docs.example.com\nrender:\n  "
      "threads: 0\n",
      "vitrine.yml");
  ASSERT_EQ(r.diagnostics.size(), 3u);
  EXPECT_EQ(r.diagnostics[0].rule, "config-listen");
  EXPECT_EQ(r.diagnostics[1].rule, "config-origin");
  EXPECT_EQ(r.diagnostics[2].rule, "config-range");
}

}  // namespace
}  // namespace vitrine::config

namespace vitrine::config {
namespace {

TEST(ConfigStore, PostgresKeysReachTheConfigWithThePasswordFileBesideTheConfig) {
  auto r = parse_config(
      "store:\n  backend: postgres\n  url: postgres://vitrine@db.internal:5432/vitrine?"
      "sslmode=verify-full&sslrootcert=/etc/vitrine/db-ca.pem\n  password_file: db.password\n",
      "/etc/vitrine/vitrine.yml");
  ASSERT_TRUE(r.config.has_value()) << (r.diagnostics.empty() ? "" : r.diagnostics[0].message);
  EXPECT_EQ(r.config->store_backend, "postgres");
  EXPECT_EQ(r.config->store_url,
            "postgres://vitrine@db.internal:5432/vitrine?sslmode=verify-full&sslrootcert=/etc/"
            "vitrine/db-ca.pem");
  EXPECT_EQ(r.config->store_password_file, "/etc/vitrine/db.password");
  auto plain = parse_config("listen: 127.0.0.1:8080\n", "vitrine.yml");
  ASSERT_TRUE(plain.config.has_value());
  EXPECT_EQ(plain.config->store_backend, "sqlite");
  EXPECT_TRUE(plain.config->store_url.empty());
}

TEST(ConfigStore, StoreNotifyListensByDefaultAndCanBeSwitchedOffForAPooler) {
  auto plain = parse_config("listen: 127.0.0.1:8080\n", "vitrine.yml");
  ASSERT_TRUE(plain.config.has_value());
  EXPECT_TRUE(plain.config->store_notify);
  auto off = parse_config(
      "store:\n  backend: postgres\n  url: postgres://vitrine@127.0.0.1:6432/vitrine\n  notify: "
      "false\n",
      "vitrine.yml");
  ASSERT_TRUE(off.config.has_value())
      << (off.diagnostics.empty() ? "" : off.diagnostics[0].message);
  EXPECT_FALSE(off.config->store_notify);
  auto bad = parse_config("store:\n  notify: sometimes\n", "vitrine.yml");
  ASSERT_FALSE(bad.config.has_value());
  ASSERT_FALSE(bad.diagnostics.empty());
  EXPECT_EQ(bad.diagnostics[0].rule, "config-type");
}

TEST(ConfigServerLimits, OverloadKeysReachTheConfig) {
  auto r = parse_config(
      "server:\n  max_rendering_requests: 32\n  shutdown_grace_s: 3\n"
      "  max_connections_per_client: 0\n  requests_per_second_per_client: 20\n"
      "  request_burst_per_client: 40\n  trusted_proxies: [10.0.0.0/8, \"::1\", 192.0.2.7]\n",
      "vitrine.yml");
  for (const auto& d : r.diagnostics) ADD_FAILURE() << manifest::format(d);
  ASSERT_TRUE(r.config.has_value());
  EXPECT_EQ(r.config->max_rendering_requests, 32);
  EXPECT_EQ(r.config->shutdown_grace_s, 3);
  EXPECT_EQ(r.config->max_connections_per_client, 0);
  EXPECT_EQ(r.config->requests_per_second_per_client, 20);
  EXPECT_EQ(r.config->request_burst_per_client, 40);
  EXPECT_EQ(r.config->trusted_proxies,
            (std::vector<std::string>{"10.0.0.0/8", "::1", "192.0.2.7"}));
}

TEST(ConfigServerLimits, DefaultsMatchTheDocs) {
  auto r = parse_config("dev_mode: false\n", "vitrine.yml");
  ASSERT_TRUE(r.config.has_value());
  EXPECT_EQ(r.config->max_rendering_requests, 256);
  EXPECT_EQ(r.config->shutdown_grace_s, 10);
  EXPECT_EQ(r.config->max_connections_per_client, 64);
  EXPECT_EQ(r.config->requests_per_second_per_client, 0);
  EXPECT_TRUE(r.config->trusted_proxies.empty());
}

}  // namespace
}  // namespace vitrine::config
