// `vitrine spaces delete` through the real binary: the space's admin tokens
// are revoked, its pages go to <data-dir>/trash (or away with --purge), and
// `spaces create` with the same key makes a new space (new id) that the old
// token cannot use; `vitrine audit --space` shows both generations by id.
#include <sys/wait.h>

#include <map>

#include "test_support.h"

namespace vitrine::store::testing {
namespace {

namespace fs = std::filesystem;

struct CliRun {
  int status = -1;
  std::string out;
  std::string err;
};

CliRun run_cli(const std::vector<std::string>& args) {
  auto dir = make_temp_dir();
  auto out_path = dir / "out", err_path = dir / "err";
  pid_t pid = ::fork();
  if (pid == 0) {
    FILE* in = std::freopen("/dev/null", "r", stdin);
    FILE* out = std::freopen(out_path.c_str(), "w", stdout);
    FILE* err = std::freopen(err_path.c_str(), "w", stderr);
    if (!in || !out || !err) _exit(127);
    ::unsetenv(crypto::kMasterKeyEnv);
    std::vector<char*> argv;
#ifdef VITRINE_REAL_CLI
    std::string bin = VITRINE_REAL_CLI;
#else
    std::string bin = VITRINE_STORE_CLI;  // the same command sources, when `vitrine` is not built
#endif
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  CliRun r;
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(out_path);
  r.err = read_file(err_path);
  fs::remove_all(dir);
  return r;
}

class SpaceDeleteCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir();
    data_ = dir_ / "data";
  }
  void TearDown() override { fs::remove_all(dir_); }
  CliRun vit(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data-dir", data_.string()});
    return run_cli(args);
  }
  std::string id_of(const std::string& key) {
    CliRun show = vit({"spaces", "show", key, "--format", "json"});
    EXPECT_EQ(show.status, 0) << show.err;
    const std::string marker = "\"id\":\"";
    auto at = show.out.find(marker);
    if (at == std::string::npos) return {};
    return show.out.substr(at + marker.size(), 32);
  }
  // The server's own check of a token (what every API request and browser
  // session runs), against the database the binary wrote.
  Verdict verdict(const std::string& token, const std::string& space) {
    StoreOptions o;
    o.data_dir = data_;
    auto s = Store::open(std::move(o));
    EXPECT_TRUE(s.ok());
    if (!s.ok()) return Verdict::unauthenticated;
    return (*s)->admin_tokens().authorize(token, Action::space_show, space).verdict;
  }
  std::vector<fs::path> trash() const {
    std::vector<fs::path> out;
    std::error_code ec;
    for (fs::directory_iterator it(data_ / "trash", ec), end; !ec && it != end; ++it) {
      out.push_back(it->path());
    }
    return out;
  }
  fs::path dir_, data_;
};

TEST_F(SpaceDeleteCli, DeleteRevokesTokensTrashesPagesAndTheSameKeyIsANewSpace) {
  ASSERT_EQ(vit({"spaces", "create", "platform"}).status, 0);
  const std::string old_id = id_of("platform");
  ASSERT_EQ(old_id.size(), 32u);
  CliRun tok = vit({"tokens", "create", "--role", "space-admin:platform"});
  ASSERT_EQ(tok.status, 0) << tok.err;
  const std::string old_token = tok.out.substr(0, tok.out.find('\n'));
  ASSERT_EQ(verdict(old_token, "platform"), Verdict::allow);
  fs::create_directories(data_ / "pages" / "platform");
  std::ofstream(data_ / "pages" / "platform" / "home.md") << "# Old home\n";

  CliRun unconfirmed = vit({"spaces", "delete", "platform"});
  EXPECT_EQ(unconfirmed.status, 1);
  EXPECT_EQ(verdict(old_token, "platform"), Verdict::allow);

  CliRun del = vit({"spaces", "delete", "platform", "--yes"});
  ASSERT_EQ(del.status, 0) << del.err;
  EXPECT_NE(del.out.find("id " + old_id), std::string::npos) << del.out;
  EXPECT_NE(del.out.find("revoked 1 admin token(s)"), std::string::npos) << del.out;
  EXPECT_NE(del.out.find("pages moved to"), std::string::npos) << del.out;
  EXPECT_EQ(verdict(old_token, "platform"), Verdict::unauthenticated);
  EXPECT_FALSE(fs::exists(data_ / "pages" / "platform"));
  auto trashed = trash();
  ASSERT_EQ(trashed.size(), 1u);
  EXPECT_EQ(trashed[0].filename().string().rfind("platform-" + old_id + "-", 0), 0u);
  EXPECT_EQ(read_file(trashed[0] / "home.md"), "# Old home\n");
  CliRun tokens = vit({"tokens", "list"});
  EXPECT_NE(tokens.out.find("space-admin:platform (space id " + old_id + ")"), std::string::npos)
      << tokens.out;
  EXPECT_NE(tokens.out.find("revoked"), std::string::npos) << tokens.out;

  ASSERT_EQ(vit({"spaces", "create", "platform"}).status, 0);
  const std::string new_id = id_of("platform");
  ASSERT_EQ(new_id.size(), 32u);
  EXPECT_NE(new_id, old_id);
  EXPECT_EQ(verdict(old_token, "platform"), Verdict::unauthenticated);
  EXPECT_FALSE(fs::exists(data_ / "pages" / "platform"));

  CliRun all = vit({"audit", "--space", "platform", "--format", "json"});
  ASSERT_EQ(all.status, 0) << all.err;
  EXPECT_NE(all.out.find("\"space_id\":\"" + old_id + "\""), std::string::npos) << all.out;
  EXPECT_NE(all.out.find("\"space_id\":\"" + new_id + "\""), std::string::npos) << all.out;
  EXPECT_NE(all.out.find("\"action\":\"space.delete\""), std::string::npos);
  EXPECT_NE(all.err.find("current one has id " + new_id), std::string::npos) << all.err;
  CliRun text = vit({"audit", "--space", "platform"});
  EXPECT_NE(text.out.find("platform@" + old_id), std::string::npos) << text.out;
  CliRun current = vit({"audit", "--space", "platform", "--space-id", new_id, "--format", "json"});
  ASSERT_EQ(current.status, 0) << current.err;
  EXPECT_EQ(current.out.find(old_id), std::string::npos) << current.out;
  EXPECT_NE(current.out.find("space.create"), std::string::npos) << current.out;

  // --purge: the second generation's pages are removed, the first stays in the trash.
  fs::create_directories(data_ / "pages" / "platform");
  std::ofstream(data_ / "pages" / "platform" / "home.md") << "# New home\n";
  CliRun purge = vit({"spaces", "delete", "platform", "--yes", "--purge"});
  ASSERT_EQ(purge.status, 0) << purge.err;
  EXPECT_NE(purge.out.find("pages removed for good"), std::string::npos) << purge.out;
  EXPECT_FALSE(fs::exists(data_ / "pages" / "platform"));
  EXPECT_EQ(trash(), trashed);
}

}  // namespace
}  // namespace vitrine::store::testing
