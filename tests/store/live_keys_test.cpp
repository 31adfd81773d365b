// P5 under change: the keyring proves it matches the data at start (fail
// closed), a running store opens records re-wrapped by another process's
// rotation, and the reconciler adopts a new keyring generation.
#include <gtest/gtest.h>

#include "backend_test_support.h"
#include "reconcile/reconciler.h"
#include "store/key_check.h"
#include "store/rotation.h"

namespace vitrine::store::testing {
namespace {

const std::string kOrigin = "https://acme.grafana.net";

class LiveKeys : public BackendTest {
 protected:
  // A second store on the same data directory, as the CLI beside a server.
  std::unique_ptr<Store> open_beside(crypto::Keyring ring,
                                     std::optional<std::filesystem::path> file = std::nullopt) {
    StoreOptions o;
    o.data_dir = dir_;
    o.keyring = std::move(ring);
    o.key_file = std::move(file);
    configure_backend(o);
    auto s = Store::open(std::move(o));
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return s.ok() ? std::move(*s) : nullptr;
  }
  std::filesystem::path key_file() {
    return dir_.parent_path() / (dir_.filename().string() + ".keys");
  }
  void TearDown() override {
    std::filesystem::remove(key_file());
    BackendTest::TearDown();
  }
};

TEST_P(LiveKeys, P5_WrongKeyringIsRefusedAtOpenWithItsRule) {
  approve_plugins();
  make_space("payments", kOrigin, make_glsa('a'));
  store_.reset();
  // Same id "k1", other bytes: the key check does not open.
  StoreOptions o;
  o.data_dir = dir_;
  o.keyring = generated_keyring();
  configure_backend(o);
  auto s = Store::open(std::move(o));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::key);
  EXPECT_NE(s.error().message.find("[keyring-mismatch]"), std::string::npos) << s.error().message;
  EXPECT_EQ(s.error().message.find("Grafana"), std::string::npos) << s.error().message;
}

TEST_P(LiveKeys, P5_KeyringMissingAKeyRecordsNameIsRefusedAtOpen) {
  approve_plugins();
  make_space("payments", kOrigin, make_glsa('a'));
  crypto::Keyring two(*store_->keyring());
  ASSERT_TRUE(two.add_generated().ok());
  reopen(two);
  auto rep = rewrap_all(store_->context(), "test", {});
  ASSERT_TRUE(rep.ok());
  ASSERT_EQ(rep->rewrapped, 1);
  store_.reset();
  // Only k1: the token is sealed with k2 now.
  crypto::Keyring only_first;
  ASSERT_TRUE(only_first.add(crypto::Key{"k1", two.find("k1")->bytes}).ok());
  StoreOptions o;
  o.data_dir = dir_;
  o.keyring = only_first;
  configure_backend(o);
  auto s = Store::open(std::move(o));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("[keyring-missing-key]"), std::string::npos)
      << s.error().message;
  EXPECT_NE(s.error().message.find("'k2'"), std::string::npos) << s.error().message;
}

TEST_P(LiveKeys, P5_EveryKeyGetsAKeyCheckTheFirstTimeAStoreHoldsIt) {
  auto checks = store_->backend().list_key_checks();
  ASSERT_TRUE(checks.ok());
  ASSERT_EQ(checks->size(), 1u);
  EXPECT_EQ(checks->front().key_id, "k1");
  crypto::Keyring two(*store_->keyring());
  ASSERT_TRUE(two.add_generated().ok());
  reopen(two);
  checks = store_->backend().list_key_checks();
  ASSERT_TRUE(checks.ok());
  EXPECT_EQ(checks->size(), 2u);
}

TEST_P(LiveKeys, P5_RunningStoreOpensRecordsRewrappedByAnotherProcessFromTheKeyringFile) {
  approve_plugins();
  const std::string token = make_glsa('b');
  crypto::Keyring first(*store_->keyring());
  ASSERT_TRUE(first.create_file(key_file()).ok());
  store_.reset();
  auto server = open_beside(first, key_file());
  ASSERT_TRUE(server);
  {
    auto sp = server->spaces();
    ASSERT_TRUE(sp.create("test", "payments", "").ok());
    ASSERT_TRUE(sp.connect("test", "payments", to_origin(kOrigin)).ok());
    ASSERT_TRUE(sp.set_token("test", "payments", crypto::SecretString(token)).ok());
  }
  // The CLI: the file first, then every record re-wrapped with k2.
  crypto::Keyring rotated = first;
  ASSERT_TRUE(rotated.add_generated().ok());
  ASSERT_TRUE(rotated.replace_file(key_file()).ok());
  {
    auto cli = open_beside(rotated, key_file());
    ASSERT_TRUE(cli);
    auto rep = rewrap_all(cli->context(), "cli", {});
    ASSERT_TRUE(rep.ok());
    EXPECT_EQ(rep->rewrapped, 1);
  }
  // The server never reconciled, yet the k2 record opens.
  auto got = server->spaces().token_for("payments", kOrigin);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->view(), token);
  EXPECT_EQ(server->live_keyring().swaps(), 1u);
}

TEST_P(LiveKeys, P5_RecordNamingAnUnknownKeySaysWhichKeyIsMissing) {
  approve_plugins();
  make_space("payments", kOrigin, make_glsa('c'));
  crypto::Keyring first(*store_->keyring());
  crypto::Keyring two = first;
  ASSERT_TRUE(two.add_generated().ok());
  {
    auto cli = open_beside(two);
    ASSERT_TRUE(cli);
    ASSERT_TRUE(rewrap_all(cli->context(), "cli", {}).ok());
  }
  // store_ holds only k1 and has no file to re-read.
  auto got = store_->spaces().token_for("payments", kOrigin);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, Errc::key);
  EXPECT_NE(got.error().message.find("[keyring-missing-key]"), std::string::npos);
  EXPECT_NE(got.error().message.find("'k2'"), std::string::npos);
}

TEST_P(LiveKeys, DayTwo_ReconcilerSeesAnotherProcessesWritesThroughTheChangeFeed) {
  crypto::Keyring ring(*store_->keyring());
  auto other = open_beside(ring);
  ASSERT_TRUE(other);
  reconcile::Reconciler r(*store_, nullptr, std::chrono::milliseconds(10'000));
  r.pass();
  const uint64_t before = store_->changes();
  EXPECT_TRUE(r.status().converged());
  r.pass();
  EXPECT_EQ(store_->changes(), before) << "an idle pass drops nothing";
  ASSERT_TRUE(other->spaces().create("cli", "payments", "").ok());
  r.pass();
  EXPECT_GT(store_->changes(), before);
  auto st = r.status();
  EXPECT_TRUE(st.converged());
  EXPECT_EQ(st.applied_seq, st.desired_seq);
  EXPECT_GE(st.desired_seq, 1);
}

TEST_P(LiveKeys, DayTwo_ReconcilerAdoptsTheNewKeyringGenerationAndSealsWithTheNewestKey) {
  crypto::Keyring first(*store_->keyring());
  ASSERT_TRUE(first.create_file(key_file()).ok());
  store_.reset();
  auto server = open_beside(first, key_file());
  ASSERT_TRUE(server);
  reconcile::Reconciler r(*server, nullptr, std::chrono::milliseconds(10'000));
  r.pass();
  crypto::Keyring rotated = first;
  ASSERT_TRUE(rotated.add_generated().ok());
  ASSERT_TRUE(rotated.replace_file(key_file()).ok());
  ASSERT_TRUE(server->backend().bump_change_feed(true, 1).ok());
  r.pass();
  auto st = r.status();
  EXPECT_TRUE(st.converged()) << st.error;
  EXPECT_EQ(st.keyring_ids, "k1,k2");
  EXPECT_EQ(server->keyring()->newest().id, "k2");
}

TEST_P(LiveKeys, DayTwo_ReconcilerRefusesAKeyringFileThatDoesNotMatchTheDataAndKeepsServing) {
  approve_plugins();
  crypto::Keyring first(*store_->keyring());
  ASSERT_TRUE(first.create_file(key_file()).ok());
  store_.reset();
  auto server = open_beside(first, key_file());
  ASSERT_TRUE(server);
  {
    auto sp = server->spaces();
    ASSERT_TRUE(sp.create("test", "payments", "").ok());
    ASSERT_TRUE(sp.connect("test", "payments", to_origin(kOrigin)).ok());
    ASSERT_TRUE(sp.set_token("test", "payments", crypto::SecretString(make_glsa('d'))).ok());
  }
  reconcile::Reconciler r(*server, nullptr, std::chrono::milliseconds(10'000));
  r.pass();
  // Someone replaces the file with another installation's keyring.
  ASSERT_TRUE(generated_keyring(2).replace_file(key_file()).ok());
  ASSERT_TRUE(server->backend().bump_change_feed(true, 1).ok());
  r.pass();
  auto st = r.status();
  EXPECT_FALSE(st.converged());
  EXPECT_NE(st.error.find("[keyring-mismatch]"), std::string::npos) << st.error;
  EXPECT_EQ(st.keyring_ids, "k1");
  EXPECT_TRUE(server->spaces().token_for("payments", kOrigin).ok());
}

VITRINE_ON_EVERY_BACKEND(LiveKeys);

}  // namespace
}  // namespace vitrine::store::testing
