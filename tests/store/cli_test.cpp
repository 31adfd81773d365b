// P4 P5 P9 through the command line: the token is accepted only from stdin
// or a file, never shown, never in any output; key-file rules refuse to
// start; every admin action is audited.
#include <sys/stat.h>
#include <sys/wait.h>

#include <array>
#include <map>

#include "test_support.h"

namespace vitrine::store::testing {
namespace {

struct CliRun {
  int status = -1;
  std::string out;
  std::string err;
};

CliRun run_cli(const std::vector<std::string>& args, const std::string& input = "",
               const std::map<std::string, std::string>& env = {}) {
  auto dir = make_temp_dir();
  auto out_path = dir / "out", err_path = dir / "err", in_path = dir / "in";
  std::ofstream(in_path) << input;
  pid_t pid = ::fork();
  if (pid == 0) {
    FILE* in = std::freopen(in_path.c_str(), "r", stdin);
    FILE* out = std::freopen(out_path.c_str(), "w", stdout);
    FILE* err = std::freopen(err_path.c_str(), "w", stderr);
    if (!in || !out || !err) _exit(127);
    ::unsetenv(crypto::kMasterKeyEnv);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    std::string bin = VITRINE_STORE_CLI;
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
  std::filesystem::remove_all(dir);
  return r;
}

class P4_Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir();
    key_ = (dir_ / "keyring").string();
    data_ = (dir_ / "data").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  CliRun vit(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {"--data-dir", data_, "--key-file", key_});
    CliRun r = run_cli(args, input);
    all_output_ += r.out + r.err;
    return r;
  }
  std::filesystem::path dir_;
  std::string key_, data_, all_output_;
};

TEST_F(P4_Cli, CanaryTokenNeverAppearsInAnyOutputAndEveryActionIsAudited) {
  const std::string canary = make_glsa('K', "CLIcanary");
  ASSERT_EQ(vit({"keys", "init"}).status, 0);
  EXPECT_EQ(vit({"keys", "init"}).status, 1);  // refuses to overwrite
  CliRun approve =
      vit({"plugins", "approve", "alert_list", "--plugins-dir", PLUGINS_DIR, "--show-diff"});
  ASSERT_EQ(approve.status, 0) << approve.err;
  EXPECT_NE(approve.out.find("+ egress https://*.grafana.net"), std::string::npos) << approve.out;
  ASSERT_EQ(vit({"spaces", "create", "team-a"}).status, 0);
  CliRun bad_origin = vit({"spaces", "connect", "team-a", "--origin", "https://grafana.corp"});
  EXPECT_EQ(bad_origin.status, 1);
  EXPECT_NE(bad_origin.err.find("--customer-managed"), std::string::npos);
  ASSERT_EQ(vit({"spaces", "connect", "team-a", "--origin", "https://team-a.grafana.net"}).status,
            0);
  // Never from argv: there is no option that takes the token.
  EXPECT_EQ(vit({"spaces", "token", "set", "team-a", canary}).status, 2);
  EXPECT_EQ(vit({"spaces", "token", "set", "team-a"}).status, 1);  // neither source
  CliRun bad = vit({"spaces", "token", "set", "team-a", "--stdin"}, canary.substr(0, 40) + "\n");
  EXPECT_EQ(bad.status, 1);
  CliRun set = vit({"spaces", "token", "set", "team-a", "--stdin"}, canary + "\n");
  ASSERT_EQ(set.status, 0) << set.err;
  auto token_file = dir_ / "token.txt";
  std::ofstream(token_file) << canary << "\n";
  ASSERT_EQ(vit({"spaces", "token", "rotate", "team-a", "--from-file", token_file.string()}).status,
            0);
  CliRun show = vit({"spaces", "show", "team-a"});
  ASSERT_EQ(show.status, 0);
  EXPECT_NE(show.out.find("token:    configured"), std::string::npos) << show.out;
  EXPECT_NE(vit({"spaces", "show", "team-a", "--format", "json"}).out.find("\"configured\":true"),
            std::string::npos);
  CliRun rotate = vit({"keys", "rotate"});
  ASSERT_EQ(rotate.status, 0) << rotate.err;
  EXPECT_NE(rotate.err.find("re-wrapping records: 1/1"), std::string::npos) << rotate.err;
  EXPECT_NE(rotate.out.find("re-wrapped 1 of 1"), std::string::npos) << rotate.out;
  EXPECT_EQ(vit({"tokens", "create", "--role", "viewer:team-a"}).status, 0);
  EXPECT_EQ(vit({"tokens", "create", "--role", "viewer:nope"}).status, 1);
  CliRun tokens = vit({"tokens", "list"});
  EXPECT_NE(tokens.out.find("viewer:team-a"), std::string::npos);
  ASSERT_EQ(vit({"plugins", "enable", "--space", "team-a", "alert_list"}).status, 0);
  CliRun text = vit({"audit"});
  CliRun json = vit({"audit", "--format", "json", "--space", "team-a"});
  CliRun md = vit({"audit", "--format", "md", "--since", "1d"});
  ASSERT_EQ(md.status, 0) << md.err;
  EXPECT_NE(md.out.find("## Plugin `alert_list`"), std::string::npos) << md.out;
  for (const char* action :
       {"space.create", "space.connect", "token.set", "token.rotate", "keys.rotate",
        "plugin.approve", "plugin.enable", "admin-token.create", "keys.init"}) {
    EXPECT_NE(text.out.find(action), std::string::npos) << action;
  }
  CliRun revoke = vit({"spaces", "token", "revoke", "team-a"});
  EXPECT_EQ(revoke.status, 0);
  ASSERT_EQ(vit({"--log-json", "spaces", "token", "set", "team-a", "--stdin"}, canary).status, 0);

  const std::string secret = canary.substr(5, 32);
  EXPECT_EQ(all_output_.find(secret), std::string::npos);
  EXPECT_EQ(all_output_.find(crypto::hex_encode(crypto::as_bytes(canary))), std::string::npos);
  EXPECT_EQ(all_output_.find(crypto::base64_encode(crypto::as_bytes(canary)).substr(0, 40)),
            std::string::npos);
  EXPECT_EQ(read_file(std::filesystem::path(data_) / "vitrine.db").find(secret), std::string::npos);
  EXPECT_EQ(read_file(std::filesystem::path(data_) / "vitrine.db-wal").find(secret),
            std::string::npos);
}

TEST_F(P4_Cli, P5_KeyFileRulesRefuseToStartWithoutPrintingKeyMaterial) {
  ASSERT_EQ(vit({"keys", "init"}).status, 0);
  std::string keyring = read_file(key_);
  std::string b64 = keyring.substr(keyring.rfind("k1 ") + 3, 44);
  ::chmod(key_.c_str(), 0644);
  CliRun loose = vit({"spaces", "token", "set", "team-a", "--stdin"}, make_glsa('a'));
  EXPECT_EQ(loose.status, 1);
  EXPECT_NE(loose.err.find("mode 0644"), std::string::npos) << loose.err;
  EXPECT_EQ(loose.err.find(b64.substr(0, 16)), std::string::npos);
  ::chmod(key_.c_str(), 0600);
  auto link = dir_ / "link";
  ASSERT_EQ(::symlink(key_.c_str(), link.c_str()), 0);
  CliRun via_link = run_cli({"--data-dir", data_, "--key-file", link.string(), "keys", "list"});
  EXPECT_EQ(via_link.status, 1);
  EXPECT_NE(via_link.err.find("symbolic link"), std::string::npos);
  CliRun none = run_cli({"--data-dir", data_, "keys", "list"});
  EXPECT_EQ(none.status, 1);
  EXPECT_NE(none.err.find("VITRINE_MASTER_KEY"), std::string::npos);
  CliRun env = run_cli({"--data-dir", data_, "keys", "list"}, "", {{"VITRINE_MASTER_KEY", b64}});
  EXPECT_EQ(env.status, 0) << env.err;
  EXPECT_EQ(env.out.find(b64.substr(0, 16)), std::string::npos);
}

}  // namespace
}  // namespace vitrine::store::testing
