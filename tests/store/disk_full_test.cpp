// A full disk (docs/security/storage.md, "Locking and disk full"): an admin
// write fails with a message that says the disk is full, nothing of it is
// written (not even its audit row), reads keep working, and once space is
// freed the next write succeeds in the same process, without a restart.
// Needs root to mount a 2 MiB tmpfs; skipped otherwise.
// SQLite only: the database file lives on the small tmpfs.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "store/sqlite/sqlite_backend.h"
#include "test_support.h"

namespace vitrine::store::testing {
namespace {

class DiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs";
    mount_ = make_temp_dir();
    ASSERT_FALSE(mount_.empty());
    if (::mount("tmpfs", mount_.c_str(), "tmpfs", 0, "size=2m,mode=0700") != 0) {
      const std::string why = std::strerror(errno);
      std::filesystem::remove(mount_);
      mount_.clear();
      GTEST_SKIP() << "cannot mount a tmpfs here (" << why << ")";
    }
    mounted_ = true;
  }
  void TearDown() override {
    store_.reset();
    if (mounted_) ::umount2(mount_.c_str(), MNT_DETACH);
    if (!mount_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(mount_, ec);
    }
  }
  // Writes until the file system answers ENOSPC; returns the bytes written.
  std::size_t fill(const std::filesystem::path& file) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    EXPECT_GE(fd, 0);
    std::size_t total = 0;
    const std::string chunk(4096, 'f');
    for (std::size_t size = chunk.size(); size > 0;) {
      const ssize_t n = ::write(fd, chunk.data(), size);
      if (n > 0) {
        total += static_cast<std::size_t>(n);
      } else if (errno == ENOSPC) {
        size /= 2;  // down to the last byte
      } else {
        ADD_FAILURE() << std::strerror(errno);
        break;
      }
    }
    ::close(fd);
    return total;
  }

  std::filesystem::path mount_;
  bool mounted_ = false;
  std::unique_ptr<Store> store_;
};

TEST_F(DiskFullTest, AdminWriteOnAFullDiskFailsSayingSoWritesNothingAndWorksAgainOnceFreed) {
  StoreOptions o;
  o.data_dir = mount_ / "data";
  o.keyring = generated_keyring();
  auto s = Store::open(std::move(o));
  ASSERT_TRUE(s.ok()) << s.error().message;
  store_ = std::move(*s);
  for (const char* key : {"alpha", "beta", "gamma"}) {
    ASSERT_TRUE(store_->spaces().create("test", key, "").ok());
  }
  const auto before = store_->backend().count_audit();
  ASSERT_TRUE(before.ok());

  const auto filler = mount_ / "filler";
  const std::size_t filled = fill(filler);
  std::cout << "[ measured ] filled the 2 MiB tmpfs with " << filled << " bytes\n";

  auto full = store_->spaces().create("test", "delta", "");
  ASSERT_FALSE(full.ok());
  std::cout << "[ measured ] " << full.error().message << "\n";
  EXPECT_EQ(full.error().code, Errc::io);
  EXPECT_NE(full.error().message.find("the disk holding the data directory"), std::string::npos)
      << full.error().message;
  EXPECT_NE(full.error().message.find("is full"), std::string::npos) << full.error().message;
  EXPECT_NE(full.error().message.find("free space"), std::string::npos) << full.error().message;
  EXPECT_EQ(full.error().message.find("check disk space and permissions"), std::string::npos);
  // Nothing half-written: neither the space nor any audit row.
  EXPECT_EQ(store_->spaces().show("delta").error().code, Errc::not_found);
  auto during = store_->backend().count_audit();
  ASSERT_TRUE(during.ok()) << during.error().message;  // reads keep working
  EXPECT_EQ(*during, *before);
  EXPECT_TRUE(store_->spaces().show("alpha").ok());

  std::filesystem::remove(filler);
  auto again = store_->spaces().create("test", "delta", "");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(store_->spaces().show("delta").ok());
  EXPECT_EQ(*store_->backend().count_audit(), *before + 1);
  auto check = store_->backend().integrity_check();
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(*check, "ok");
}

}  // namespace
}  // namespace vitrine::store::testing
