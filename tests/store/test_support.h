// Shared fixtures of the store tests: a temporary data directory, a keyring,
// a controllable clock, an approved plugin with https://*.grafana.net, and
// glsa_ tokens with valid checksums.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "store/crypto/encoding.h"
#include "store/crypto/keyring.h"
#include "store/glsa.h"
#include "store/store.h"

namespace vitrine::store::testing {

inline std::filesystem::path make_temp_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "vitrine-store-XXXXXX").string();
  char* p = mkdtemp(tmpl.data());
  return p ? std::filesystem::path(p) : std::filesystem::path();
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// glsa_ + 32 alphanumerics + _ + checksum: a well-formed token.
inline std::string make_glsa(char fill, const std::string& seed = "") {
  std::string secret = (seed + std::string(32, fill)).substr(0, 32);
  std::string head = "glsa_" + secret;
  return head + "_" + glsa_checksum(head);
}

inline ConnectRequest to_origin(const std::string& origin) {
  ConnectRequest r;
  r.origin = origin;
  return r;
}

inline crypto::Keyring generated_keyring(int keys = 1) {
  crypto::Keyring ring;
  for (int i = 0; i < keys; ++i) EXPECT_TRUE(ring.add_generated().ok());
  return ring;
}

inline manifest::Manifest plugin_manifest(const std::string& id, const std::string& version,
                                          std::vector<std::string> scopes,
                                          std::vector<manifest::EgressEntry> egress) {
  manifest::Manifest m;
  m.id = id;
  m.version = version;
  m.scopes = std::move(scopes);
  m.egress = std::move(egress);
  return m;
}

inline manifest::EgressEntry wildcard_entry(const std::string& suffix, bool customer = false) {
  manifest::EgressEntry e;
  e.text = "https://*." + suffix;
  e.wildcard = true;
  e.host = suffix;
  e.customer_managed = customer;
  return e;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir();
    ASSERT_FALSE(dir_.empty());
    reopen(generated_keyring());
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  void reopen(std::optional<crypto::Keyring> ring) {
    store_.reset();
    StoreOptions o;
    o.data_dir = dir_;
    o.keyring = std::move(ring);
    o.log = &log_;
    o.now = [this] { return now_ms_; };
    o.cache_limits = cache_limits_;
    configure_backend(o);
    auto s = Store::open(std::move(o));
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
  }
  // Which storage backend reopen() opens: SQLite in the data directory
  // unless a fixture says otherwise (store/backend_test_support.h).
  virtual void configure_backend(StoreOptions& options) { (void)options; }
  // Approves the bundled-style plugin (https://*.grafana.net) and one with a
  // customer-managed entry.
  void approve_plugins() {
    auto a = store_->approvals();
    ASSERT_TRUE(a.approve("test", plugin_manifest("alert_list", "1.0.0",
                                                  {"grafana:read:alerts", "storage:cache"},
                                                  {wildcard_entry("grafana.net")}))
                    .ok());
    ASSERT_TRUE(a.approve("test", plugin_manifest("dashboard", "1.0.0", {"grafana:read:dashboards"},
                                                  {wildcard_entry("grafana.net"),
                                                   wildcard_entry("example.com", true)}))
                    .ok());
  }
  void make_space(const std::string& key, const std::string& origin, const std::string& token) {
    auto sp = store_->spaces();
    ASSERT_TRUE(sp.create("test", key, "").ok());
    auto c = sp.connect("test", key, to_origin(origin));
    ASSERT_TRUE(c.ok()) << c.error().message;
    auto t = sp.set_token("test", key, crypto::SecretString(token));
    ASSERT_TRUE(t.ok()) << t.error().message;
  }

  std::filesystem::path dir_;
  std::ostringstream log_;
  int64_t now_ms_ = 1'700'000'000'000;
  CacheLimits cache_limits_;
  std::unique_ptr<Store> store_;
};

}  // namespace vitrine::store::testing
