// Backup under load and restore through the real `vitrine` binary: while
// another writer keeps appending to the database, `vitrine backup` takes a
// consistent snapshot; `vitrine restore` brings back identical pages, the
// audit log exactly up to the snapshot, and a Grafana token that decrypts
// with the same keyring. A backup with a flipped byte is refused.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "store/backup.h"
#include "test_support.h"

extern char** environ;

namespace vitrine::store::testing {
namespace {

namespace fs = std::filesystem;

struct CliRun {
  int status = -1;
  std::string out;
  std::string err;
};

// posix_spawn, not fork: this process has a writer thread running, and a
// forked child must not touch locks that thread may hold.
CliRun run_cli(const fs::path& scratch, std::vector<std::string> args,
               const std::string& input = "") {
  static std::atomic<int> n{0};
  const std::string tag = std::to_string(n++);
  const fs::path in = scratch / ("in" + tag), out = scratch / ("out" + tag),
                 err = scratch / ("err" + tag);
  std::ofstream(in) << input;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> env_copy;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string(*e).rfind(std::string(crypto::kMasterKeyEnv) + "=", 0) != 0) {
      env_copy.emplace_back(*e);
    }
  }
  std::vector<char*> envp;
  for (auto& e : env_copy) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string bin = VITRINE_CLI;
  std::vector<char*> argv{bin.data()};
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  CliRun r;
  if (posix_spawn(&pid, bin.c_str(), &fa, nullptr, argv.data(), envp.data()) == 0) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  posix_spawn_file_actions_destroy(&fa);
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

class BackupCli : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = make_temp_dir();
    ASSERT_FALSE(root_.empty());
    scratch_ = root_ / "scratch";
    fs::create_directories(scratch_);
    data_ = root_ / "data";
    key_ = root_ / "keyring";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  CliRun vit(const fs::path& data, std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {"--data-dir", data.string(), "--key-file", key_.string()});
    return run_cli(scratch_, args, input);
  }
  std::unique_ptr<Store> open(const fs::path& dir) {
    StoreOptions o;
    o.data_dir = dir;
    auto ring = crypto::Keyring::load_file(key_);
    EXPECT_TRUE(ring.ok());
    if (ring.ok()) o.keyring = std::move(*ring);
    o.key_file = key_;
    auto s = Store::open(std::move(o));
    EXPECT_TRUE(s.ok()) << s.error().message;
    return s.ok() ? std::move(*s) : nullptr;
  }
  fs::path root_, scratch_, data_, key_;
};

TEST_F(BackupCli, BackupUnderLoadRestoresIdenticalPagesAuditPrefixAndDecryptableToken) {
  const std::string canary = make_glsa('Q', "backupcli");
  const std::string origin = "https://team-a.grafana.net";
  ASSERT_EQ(vit(data_, {"keys", "init"}).status, 0);
  CliRun approve = vit(data_, {"plugins", "approve", "alert_list", "--plugins-dir", PLUGINS_DIR});
  ASSERT_EQ(approve.status, 0) << approve.err;
  ASSERT_EQ(vit(data_, {"spaces", "create", "team-a"}).status, 0);
  ASSERT_EQ(vit(data_, {"spaces", "connect", "team-a", "--origin", origin}).status, 0);
  CliRun set = vit(data_, {"spaces", "token", "set", "team-a", "--stdin"}, canary + "\n");
  ASSERT_EQ(set.status, 0) << set.err;
  const std::vector<std::string> pages = {"pages/team-a/home.md", "pages/team-a/runbook.md",
                                          "pages/team-b/index.md"};
  for (std::size_t i = 0; i < pages.size(); ++i) {
    fs::create_directories((data_ / pages[i]).parent_path());
    std::ofstream(data_ / pages[i], std::ios::binary)
        << "# Page " << i << "\n\n| a | b |\n|---|---|\n| " << i << " | ~~old~~ |\n\n"
        << "- [x] done\n\n```yaml\nkey: value\n```\n\n"
        << std::string(1000 * (i + 1), static_cast<char>('a' + i)) << "\n";
  }

  auto writer_store = open(data_);
  ASSERT_TRUE(writer_store);
  // A few megabytes of audit rows, so the copy takes many steps.
  ASSERT_TRUE(writer_store->backend()
                  .transaction([&]() -> Status {
                    for (int i = 0; i < 8000; ++i) {
                      auto r = writer_store->audit().record(
                          AuditEvent{"seed", "team-a", "load.seed", std::to_string(i), "ok",
                                     Detail{{"filler", std::string(600, 'f'), false}}});
                      if (!r) return r.error();
                    }
                    return ok_status();
                  })
                  .ok());

  // The load: one audited write after another, from this process, while
  // the `vitrine backup` process runs.
  std::atomic<bool> stop{false};
  std::atomic<int64_t> writes{0};
  std::thread writer([&] {
    while (!stop.load()) {
      auto r = writer_store->audit().record(
          AuditEvent{"load", "team-a", "load.write", std::to_string(writes.load()), "ok", {}});
      if (r) ++writes;
    }
  });
  while (writes.load() < 5) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const int64_t writes_before = writes.load();
  const auto t0 = std::chrono::steady_clock::now();
  const fs::path file = root_ / "vitrine.backup";
  CliRun b = vit(data_, {"backup", "--out", file.string()});
  const auto backup_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  const int64_t writes_during = writes.load() - writes_before;
  stop = true;
  writer.join();
  ASSERT_EQ(b.status, 0) << b.err;
  EXPECT_NE(b.err.find("database pages: "), std::string::npos) << b.err;
  EXPECT_NE(b.out.find("sha256 "), std::string::npos) << b.out;
  EXPECT_GT(writes_during, 0) << "the writer made no write while the backup ran";
  std::cerr << "backup took " << backup_ms << " ms with " << writes_during
            << " concurrent audited writes\n";

  auto verified = backup::verify_backup(file);
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  const int64_t snapshot_rows = verified->manifest.database.audit_rows;

  const fs::path restored = root_ / "restored";
  CliRun r = vit(restored, {"restore", file.string()});
  ASSERT_EQ(r.status, 0) << r.err;

  // Pages: byte for byte.
  for (const auto& p : pages) EXPECT_EQ(read_file(restored / p), read_file(data_ / p)) << p;
  EXPECT_FALSE(fs::exists(restored / "keyring"));

  // Audit: the restored log is exactly the original up to the snapshot
  // (a prefix, with nothing torn or missing), plus the restore's own row.
  auto original_rows = writer_store->audit().query({});
  ASSERT_TRUE(original_rows.ok());
  auto restored_store = open(restored);
  ASSERT_TRUE(restored_store);
  auto restored_rows = restored_store->audit().query({});
  ASSERT_TRUE(restored_rows.ok());
  ASSERT_EQ(static_cast<int64_t>(restored_rows->size()), snapshot_rows + 1);
  ASSERT_GT(original_rows->size(), restored_rows->size());
  for (int64_t i = 0; i < snapshot_rows; ++i) {
    const auto& a = (*original_rows)[static_cast<std::size_t>(i)];
    const auto& c = (*restored_rows)[static_cast<std::size_t>(i)];
    ASSERT_EQ(std::tie(a.id, a.at_ms, a.who, a.action, a.subject, a.verdict, a.detail_json),
              std::tie(c.id, c.at_ms, c.who, c.action, c.subject, c.verdict, c.detail_json))
        << "row " << i;
  }
  EXPECT_EQ(restored_rows->back().action, "backup.restore");
  bool audited_backup = false;
  for (const auto& row : *original_rows) {
    audited_backup =
        audited_backup || (row.action == "backup.create" && row.verdict == "ok" &&
                           row.detail_json.find(verified->sha256) != std::string::npos);
  }
  EXPECT_TRUE(audited_backup);

  // The token: configured, and it decrypts with the same keyring.
  CliRun show = vit(restored, {"spaces", "show", "team-a"});
  ASSERT_EQ(show.status, 0) << show.err;
  EXPECT_NE(show.out.find("token:    configured"), std::string::npos) << show.out;
  auto token = restored_store->spaces().token_for("team-a", origin);
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(token->view(), canary);
  EXPECT_EQ(read_file(file).find(canary), std::string::npos) << "token in clear in the backup";

  // Rendered from either data directory (static export, same keyring),
  // every page is the same HTML.
  fs::create_directories(root_ / "no-plugins");
  for (const fs::path& dir : {data_, restored}) {
    const std::string name = dir.filename().string();
    std::ofstream(root_ / (name + ".yml"))
        << "data_dir: " << dir.string() << "\nplugins_dir: " << (root_ / "no-plugins").string()
        << "\nkey_file: " << key_.string() << "\nplugins:\n  mode: in-process\n";
    std::vector<std::string> args = {
        "render", "--config", (root_ / (name + ".yml")).string(), "--space",
        "team-a", "--out",    (root_ / ("html-" + name)).string()};
    for (const auto& p : pages) args.push_back((dir / p).string());
    CliRun render = run_cli(scratch_, args);
    ASSERT_EQ(render.status, 0) << render.err;
  }
  int html_pages = 0;
  for (const auto& e : fs::directory_iterator(root_ / "html-data")) {
    if (e.path().extension() != ".html") continue;
    ++html_pages;
    EXPECT_EQ(read_file(e.path()), read_file(root_ / "html-restored" / e.path().filename()))
        << e.path();
  }
  EXPECT_EQ(html_pages, 3);

  // A flipped byte: refused, nothing written.
  std::string bytes = read_file(file);
  bytes[bytes.size() / 3] = static_cast<char>(bytes[bytes.size() / 3] ^ 0x20);
  std::ofstream(root_ / "flipped.backup", std::ios::binary) << bytes;
  CliRun bad = vit(root_ / "from-flipped", {"restore", (root_ / "flipped.backup").string()});
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("[backup-checksum]"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(root_ / "from-flipped"));
  for (const auto& e : fs::directory_iterator(root_)) {
    EXPECT_EQ(e.path().filename().string().find(".restore-"), std::string::npos) << e.path();
  }
  CliRun verify_bad =
      vit(root_ / "x", {"restore", "--verify-only", (root_ / "flipped.backup").string()});
  EXPECT_EQ(verify_bad.status, 1);

  // Another installation's keyring does not open the restored data.
  crypto::Keyring other;
  ASSERT_TRUE(other.add_generated().ok());
  ASSERT_TRUE(other.create_file(root_ / "other-keyring").ok());
  CliRun wrong = run_cli(scratch_, {"--data-dir", (root_ / "other").string(), "--key-file",
                                    (root_ / "other-keyring").string(), "restore", file.string()});
  EXPECT_EQ(wrong.status, 1);
  EXPECT_NE(wrong.err.find("does not open with this keyring"), std::string::npos) << wrong.err;

  // Never over existing data.
  CliRun over = vit(data_, {"restore", file.string()});
  EXPECT_EQ(over.status, 1);
  EXPECT_NE(over.err.find("[restore-target-not-empty]"), std::string::npos) << over.err;
}

}  // namespace
}  // namespace vitrine::store::testing
