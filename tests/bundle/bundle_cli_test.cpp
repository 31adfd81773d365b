// `vitrine plugins keygen` and `vitrine plugins pack`, run as the real
// binary: the bundle it writes is one verify() accepts with the public key
// keygen wrote, and what it refuses it refuses with the rule and exit 1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "bundle/bundle.h"
#include "bundle/keys.h"
#include "digest/sha256.h"
#include "support/shell_run.h"

namespace fs = std::filesystem;
using namespace vitrine::bundle;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

using vitrine::test_support::Run;
using vitrine::test_support::run;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class BundleCli : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vitrine-bundle-cli-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    plugin_ = dir_ / "hello";
    fs::create_directories(plugin_);
    fs::copy_file(fs::path(VITRINE_PLUGINS_DIR) / "hello.yml", plugin_ / "hello.yml");
    fs::copy_file(fs::path(VITRINE_PLUGINS_DIR) / "hello.so", plugin_ / "hello.so");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string cli() const { return std::string(VITRINE_CLI_PATH) + " plugins "; }
  std::string in_dir() const { return "cd " + dir_.string() + " && "; }

  fs::path dir_;
  fs::path plugin_;
};

TEST_F(BundleCli, KeygenThenPackWritesABundleVerifyAccepts) {
  auto keygen = run(cli() + "keygen --out " + (dir_ / "acme").string());
  ASSERT_EQ(keygen.status, 0) << keygen.output;
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "acme.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string pub;
  ASSERT_EQ(parse_public_key(slurp(dir_ / "acme.pub"), pub), "");
  EXPECT_THAT(keygen.output, HasSubstr("key id " + key_id(pub)));
  // The private key never appears in the output.
  const std::string key_text = slurp(dir_ / "acme.key");
  EXPECT_THAT(keygen.output, Not(HasSubstr(key_text.substr(0, key_text.find(' ')))));

  auto packed = run(in_dir() + cli() + "pack hello --key acme.key");
  ASSERT_EQ(packed.status, 0) << packed.output;
  EXPECT_THAT(packed.output, HasSubstr("wrote hello-1.0.0.vitrine-plugin"));
  EXPECT_THAT(packed.output, HasSubstr("signed with key " + key_id(pub)));
  const std::string library = slurp(plugin_ / "hello.so");
  EXPECT_THAT(packed.output, HasSubstr("sha256 " + vitrine::digest::sha256_hex(library)));

  std::string bytes;
  ASSERT_FALSE(read_bundle_file(dir_ / "hello-1.0.0.vitrine-plugin", bytes).has_value());
  auto r = verify(bytes, {{"acme", pub}}, false);
  ASSERT_TRUE(r.ok()) << r.refusal.text();
  EXPECT_EQ(r.verified->plugin_id, "hello");
  EXPECT_EQ(r.verified->signer, "acme");
  EXPECT_EQ(r.verified->library_bytes, library);
  // Nothing but the key files and the bundle was left (no temporary file).
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir_)) names.insert(e.path().filename().string());
  EXPECT_EQ(names,
            (std::set<std::string>{"acme.key", "acme.pub", "hello", "hello-1.0.0.vitrine-plugin"}));
}

TEST_F(BundleCli, PackWithOutAndUnsigned) {
  auto r = run(cli() + "pack " + plugin_.string() + " --unsigned --out " +
               (dir_ / "x.vitrine-plugin").string());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("UNSIGNED"));
  std::string bytes;
  ASSERT_FALSE(read_bundle_file(dir_ / "x.vitrine-plugin", bytes).has_value());
  EXPECT_EQ(verify(bytes, {}, false).refusal.rule, "bundle-unsigned");
  EXPECT_TRUE(verify(bytes, {}, true).ok());
}

TEST_F(BundleCli, PackNeedsExactlyOneOfKeyAndUnsigned) {
  auto r = run(in_dir() + cli() + "pack hello");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--key"));
  EXPECT_FALSE(fs::exists(dir_ / "hello-1.0.0.vitrine-plugin"));
}

TEST_F(BundleCli, PackRefusesASymlinkedLibraryWithItsRule) {
  ASSERT_EQ(run(cli() + "keygen --out " + (dir_ / "k").string()).status, 0);
  fs::rename(plugin_ / "hello.so", dir_ / "real.so");
  fs::create_symlink(dir_ / "real.so", plugin_ / "hello.so");
  auto r = run(in_dir() + cli() + "pack hello --key k.key");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("[bundle-path]"));
  EXPECT_FALSE(fs::exists(dir_ / "hello-1.0.0.vitrine-plugin"));
}

TEST_F(BundleCli, KeygenNeverOverwritesAKey) {
  const std::string prefix = (dir_ / "acme").string();
  ASSERT_EQ(run(cli() + "keygen --out " + prefix).status, 0);
  const std::string before = slurp(prefix + ".key");
  auto again = run(cli() + "keygen --out " + prefix);
  EXPECT_EQ(again.status, 2) << again.output;
  EXPECT_THAT(again.output, HasSubstr("never overwrites"));
  EXPECT_EQ(slurp(prefix + ".key"), before);
}

}  // namespace
