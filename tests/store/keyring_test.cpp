// P5: master-key file rules. Refusals are clear and never print key bytes.
#include <sys/stat.h>
#include <unistd.h>

#include "store/crypto/secret_box.h"
#include "test_support.h"

namespace vitrine::store::testing {
namespace {

class KeyFile : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path write(const std::string& name, const std::string& text, mode_t mode) {
    auto p = dir_ / name;
    std::ofstream(p) << text;
    ::chmod(p.c_str(), mode);
    return p;
  }
  // The base64 of a key, and the key's raw bytes, must not be in `message`.
  void expect_no_key_material(const std::string& message, const crypto::Keyring& ring) {
    for (const auto& id : ring.ids()) {
      const auto* k = ring.find(id);
      std::string b64 = crypto::base64_encode({k->bytes.data(), k->bytes.size()});
      EXPECT_EQ(message.find(b64.substr(0, 12)), std::string::npos) << message;
      EXPECT_EQ(message.find(std::string(k->bytes.view().substr(0, 8))), std::string::npos);
      EXPECT_EQ(message.find(crypto::hex_encode({k->bytes.data(), 8})), std::string::npos);
    }
  }
  std::string key_line(const crypto::Keyring& ring) {
    const auto& k = ring.newest();
    return k.id + " " + crypto::base64_encode({k.bytes.data(), k.bytes.size()}) + "\n";
  }
  std::filesystem::path dir_;
};

TEST_F(KeyFile, P5_Mode0600FileLoads) {
  auto ring = generated_keyring();
  auto p = write("keys", key_line(ring), 0600);
  auto r = crypto::Keyring::load_file(p);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->newest().id, "k1");
  EXPECT_EQ(r->newest().bytes.view(), ring.newest().bytes.view());
}

TEST_F(KeyFile, P5_LooserModesAreRefused) {
  auto ring = generated_keyring();
  for (mode_t mode : {0644, 0640, 0604, 0660, 0666, 0601}) {
    auto p = write("keys", key_line(ring), mode);
    auto r = crypto::Keyring::load_file(p);
    ASSERT_FALSE(r.ok()) << std::oct << mode;
    EXPECT_EQ(r.error().code, Errc::key);
    EXPECT_NE(r.error().message.find("chmod 600"), std::string::npos) << r.error().message;
    expect_no_key_material(r.error().message, ring);
  }
}

TEST_F(KeyFile, P5_SymlinkIsRefusedEvenToAGoodFile) {
  auto ring = generated_keyring();
  auto real = write("real", key_line(ring), 0600);
  auto link = dir_ / "link";
  ASSERT_EQ(::symlink(real.c_str(), link.c_str()), 0);
  auto r = crypto::Keyring::load_file(link);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("symbolic link"), std::string::npos) << r.error().message;
  expect_no_key_material(r.error().message, ring);
}

TEST_F(KeyFile, P5_WrongLengthIsRefused) {
  for (std::size_t n : {0u, 16u, 31u, 33u, 64u}) {
    crypto::SecretBytes b(n);
    if (n) {
      ASSERT_TRUE(crypto::random_bytes({b.data(), n}));
    }
    std::string text = "k1 " + crypto::base64_encode({b.data(), n}) + "\n";
    auto p = write("keys", text, 0600);
    auto r = crypto::Keyring::load_file(p);
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error().code, Errc::key);
    if (n) {
      EXPECT_EQ(r.error().message.find(crypto::base64_encode({b.data(), n}).substr(0, 12)),
                std::string::npos);
    }
  }
}

TEST_F(KeyFile, P5_MissingFileIsRefusedWithHowToCreateOne) {
  auto r = crypto::Keyring::load_file(dir_ / "absent");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("vitrine keys init"), std::string::npos);
}

TEST_F(KeyFile, P5_DirectoryAndBadBase64AreRefused) {
  EXPECT_FALSE(crypto::Keyring::load_file(dir_).ok());
  auto p = write("keys", "k1 not*base64\n", 0600);
  auto r = crypto::Keyring::load_file(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find("not*base64"), std::string::npos);
}

TEST_F(KeyFile, P5_DuplicateIdsAreRefused) {
  auto ring = generated_keyring();
  auto p = write("keys", key_line(ring) + key_line(ring), 0600);
  EXPECT_FALSE(crypto::Keyring::load_file(p).ok());
}

TEST_F(KeyFile, P5_NoKeyAtAllSaysHowToProvideOne) {
  ::unsetenv(crypto::kMasterKeyEnv);
  auto r = crypto::Keyring::load(std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("VITRINE_MASTER_KEY"), std::string::npos);
}

TEST_F(KeyFile, P5_EnvironmentVariableBareKeyAndKeyringForms) {
  auto ring = generated_keyring(2);
  const auto& k = ring.newest();
  std::string b64 = crypto::base64_encode({k.bytes.data(), k.bytes.size()});
  ::setenv(crypto::kMasterKeyEnv, b64.c_str(), 1);
  auto r = crypto::Keyring::load(std::nullopt);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->newest().id, "k1");
  std::string multi = "a1 " + b64 + ";a2 " + b64;
  ::setenv(crypto::kMasterKeyEnv, multi.c_str(), 1);
  r = crypto::Keyring::load(std::nullopt);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->newest().id, "a2");
  ::setenv(crypto::kMasterKeyEnv, "c2hvcnQ=", 1);
  r = crypto::Keyring::load(std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("32"), std::string::npos);
  ::unsetenv(crypto::kMasterKeyEnv);
}

TEST_F(KeyFile, P5_CreateFileIsMode0600AndRefusesToOverwrite) {
  auto ring = generated_keyring();
  auto p = dir_ / "new.keys";
  ASSERT_TRUE(ring.create_file(p).ok());
  struct stat st {};
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = ring.create_file(p);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::conflict);
  auto loaded = crypto::Keyring::load_file(p);
  ASSERT_TRUE(loaded.ok());
  ASSERT_TRUE(loaded->add_generated().ok());
  ASSERT_TRUE(loaded->replace_file(p).ok());
  auto two = crypto::Keyring::load_file(p);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->size(), 2u);
  EXPECT_EQ(two->newest().id, "k2");
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

}  // namespace
}  // namespace vitrine::store::testing
