// P4 on the command line: a secret typed as an argument, in any form and to
// any command, never comes back in stdout or stderr, usage errors included
// (the argument parser repeats unexpected arguments). Through the real
// binary.
#include <gtest/gtest.h>

#include <regex>

#include "binary_run.h"

namespace vitrine::store::testing {
namespace {

class NoSecretEchoed : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir();
    data_ = (dir_ / "data").string();
    ASSERT_EQ(run_vitrine(
                  {"--data-dir", data_, "keys", "init", "--key-file", (dir_ / "keyring").string()})
                  .status,
              0);
    ASSERT_EQ(run_vitrine({"--data-dir", data_, "spaces", "create", "team-a"}).status, 0);
  }
  void TearDown() override {
    run_queued();
    std::filesystem::remove_all(dir_);
  }

  // Queues `command` + `form`; TearDown runs every queued case and checks
  // that no secret is in any output.
  void expect_not_echoed(const std::vector<std::string>& command,
                         const std::vector<std::string>& form,
                         const std::vector<std::string>& secrets) {
    std::vector<std::string> args = {"--data-dir", data_, "--key-file",
                                     (dir_ / "keyring").string()};
    args.insert(args.end(), command.begin(), command.end());
    args.insert(args.end(), form.begin(), form.end());
    cases_.push_back({std::move(args), secrets});
  }

  // A few processes at a time: each run is mostly process start-up.
  void run_queued() {
    constexpr std::size_t kParallel = 6;
    for (std::size_t first = 0; first < cases_.size(); first += kParallel) {
      std::vector<std::pair<pid_t, std::filesystem::path>> running;
      for (std::size_t i = first; i < std::min(first + kParallel, cases_.size()); ++i) {
        auto dir = make_temp_dir();
        running.emplace_back(spawn_vitrine(cases_[i].args, dir, "", {}), dir);
      }
      for (std::size_t k = 0; k < running.size(); ++k) {
        const Case& c = cases_[first + k];
        BinaryRun r = collect(running[k].first, running[k].second);
        std::filesystem::remove_all(running[k].second);
        std::string line;
        for (const auto& a : c.args) line += a + " ";
        EXPECT_NE(r.status, 0) << line;
        for (const auto& secret : c.secrets) {
          EXPECT_EQ(r.out.find(secret), std::string::npos) << line << "\nstdout: " << r.out;
          EXPECT_EQ(r.err.find(secret), std::string::npos) << line << "\nstderr: " << r.err;
        }
        // Still a useful message: something was said.
        EXPECT_FALSE(r.out.empty() && r.err.empty()) << line;
      }
    }
    cases_.clear();
  }

  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> secrets;
  };
  std::vector<Case> cases_;
  std::filesystem::path dir_;
  std::string data_;
};

const std::string kGlsa = make_glsa('Q', "ECHOcanary");
const std::string kAdminToken = "vtr_" + std::string("Zx9Kq2Lm8Np4Rs6Tu0Vw3Yb5Cd7Ef1Gh3Ij5Kl7Mn9P");
// No recognisable shape: only the option's name says it is a secret.
const std::string kPlain = "hunter2-plain-secret";

// Every command that handles a secret or a token (grep host/cli for token,
// key and header options).
const std::vector<std::vector<std::string>> kCommands = {
    {"spaces", "token", "set", "team-a"},
    {"spaces", "token", "rotate", "team-a"},
    {"tokens", "create", "--role", "platform-admin"},
    {"tokens", "revoke"},
    {"keys", "init"},
    {"keys", "rotate"},
    {"egress", "check", "--manifest", "m.yml"},
};

TEST_F(NoSecretEchoed, GrafanaTokenInEveryFlagFormAndCommand) {
  for (const auto& cmd : kCommands) {
    for (const auto& form : std::vector<std::vector<std::string>>{{"--token=" + kGlsa},
                                                                  {"--token", kGlsa},
                                                                  {kGlsa},
                                                                  {"--grafana-token=" + kGlsa},
                                                                  {"--header=Bearer " + kGlsa}}) {
      // Neither the token nor its secret part alone.
      expect_not_echoed(cmd, form, {kGlsa, kGlsa.substr(5, 32)});
    }
  }
}

// The commands that handle admin tokens.
TEST_F(NoSecretEchoed, AdminTokenInEveryFlagForm) {
  for (const auto& cmd : {kCommands[2], kCommands[3]}) {
    for (const auto& form : std::vector<std::vector<std::string>>{
             {"--token=" + kAdminToken}, {"--token", kAdminToken}, {kAdminToken}}) {
      expect_not_echoed(cmd, form, {kAdminToken, kAdminToken.substr(4)});
    }
  }
}

// The masking happens before parsing, for every command alike; one
// command stands for all here.
TEST_F(NoSecretEchoed, ValuesOfSecretNamedOptions) {
  for (const auto& cmd : {kCommands[0]}) {
    for (const std::string opt : {"--token", "--password", "--secret", "--key", "--api-key"}) {
      expect_not_echoed(cmd, {opt + "=" + kPlain}, {kPlain});
      expect_not_echoed(cmd, {opt, kPlain}, {kPlain});
    }
  }
}

// A token pasted where a name belongs: error messages that repeat the
// argument mask it too.
TEST_F(NoSecretEchoed, TokensPastedIntoOtherCommands) {
  for (const auto& cmd : std::vector<std::vector<std::string>>{
           {"spaces", "create"}, {"spaces", "show"}, {"serve"}, {"store", "check"}}) {
    expect_not_echoed(cmd, {kGlsa}, {kGlsa});
    expect_not_echoed(cmd, {kAdminToken}, {kAdminToken});
  }
  expect_not_echoed({"egress", "check", "--manifest", "m.yml"},
                    {"--header", "Authorization: Bearer " + kPlain, "https://g.example.com/"},
                    {kPlain});
}

TEST_F(NoSecretEchoed, KeyMaterialLookingArguments) {
  const std::string key = "dGVzdC1rZXktMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY=";
  for (const auto& cmd : {kCommands[4], kCommands[5]}) expect_not_echoed(cmd, {key}, {key});
}

// The usage error still says what was wrong, with the secret masked.
TEST_F(NoSecretEchoed, UsageErrorKeepsItsMeaning) {
  auto r = run_vitrine({"--data-dir", data_, "spaces", "list", "--token=" + kGlsa});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--token=[redacted]"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not expected"), std::string::npos) << r.err;
}

// Only argument values are masked: a token the command itself prints (shown
// once on creation) still comes out whole, even beside a masked argument.
TEST_F(NoSecretEchoed, OutputThatIsNotAnArgumentIsUntouched) {
  auto r = run_vitrine({"--data-dir", data_, "tokens", "create", "--role", "platform-admin"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("vtr_[A-Za-z0-9_-]{43}"))) << r.out;
  EXPECT_EQ(r.out.find("[redacted]"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace vitrine::store::testing
