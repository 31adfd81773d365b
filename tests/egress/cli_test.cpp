// `vitrine egress check` end to end: the built binary, a YAML manifest
// fixture, and the exit-code contract (0 allow, 3 deny, 2 usage).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>
#include <vector>

namespace {

struct CliRun {
  int exit_code = -1;
  std::string out;
};

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

CliRun run(const std::vector<std::string>& args) {
  std::string cmd = quote(VITRINE_BIN);
  for (const auto& a : args) cmd += " " + quote(a);
  cmd += " 2>/dev/null";
  CliRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

const std::string kManifest = std::string(EGRESS_FIXTURES) + "/alert_list.yml";
const std::string kRules = "https://acme.grafana.net/api/prometheus/grafana/api/v1/rules";

TEST(EgressCli, AllowExitsZero) {
  const CliRun r = run({"egress", "check", "--manifest", kManifest, kRules});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, "allow\n");
}

TEST(EgressCli, AllowWithOriginAndAllowedHeader) {
  const CliRun r =
      run({"egress", "check", "--manifest", kManifest, "--origin", "https://acme.grafana.net",
           "--header", "Accept: application/json", kRules});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, "allow\n");
}

TEST(EgressCli, EgressHostNotDeclaredExitsThree) {
  const CliRun r =
      run({"egress", "check", "--manifest", kManifest, "https://grafana.net.evil.com/api/x"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out.rfind("deny egress-host-not-declared: ", 0), 0u) << r.out;
}

TEST(EgressCli, EgressOriginNotApprovedOnlyWithOrigin) {
  const std::string other = "https://other.grafana.net/api/prometheus/grafana/api/v1/rules";
  EXPECT_EQ(run({"egress", "check", "--manifest", kManifest, other}).exit_code, 0)
      << "without --origin the space narrowing is skipped";
  const CliRun r = run(
      {"egress", "check", "--manifest", kManifest, "--origin", "https://acme.grafana.net", other});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out.rfind("deny egress-origin-not-approved: ", 0), 0u) << r.out;
}

TEST(EgressCli, P3EgressScopePath) {
  const CliRun r = run({"egress", "check", "--manifest", kManifest,
                        "https://acme.grafana.net/api/dashboards/uid/abc"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out.rfind("deny egress-scope-path: ", 0), 0u) << r.out;
}

TEST(EgressCli, P2EgressMethod) {
  const CliRun r = run({"egress", "check", "--manifest", kManifest, "--method", "POST", kRules});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out.rfind("deny egress-method: ", 0), 0u) << r.out;
}

TEST(EgressCli, HeaderForbidden) {
  const CliRun r = run(
      {"egress", "check", "--manifest", kManifest, "--header", "Authorization: Bearer x", kRules});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out.rfind("deny header-forbidden: ", 0), 0u) << r.out;
}

TEST(EgressCli, EgressUrlIpLiteral) {
  const CliRun r = run({"egress", "check", "--manifest", kManifest, "https://0x7f.1/"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out.rfind("deny egress-url-ip-literal: ", 0), 0u) << r.out;
}

TEST(EgressCli, UsageErrorsExitTwo) {
  EXPECT_EQ(run({"egress", "check", "--manifest", kManifest}).exit_code, 2) << "no URL";
  EXPECT_EQ(run({"egress", "check", kRules}).exit_code, 2) << "no manifest";
  EXPECT_EQ(run({"egress", "check", "--manifest", "/nonexistent.yml", kRules}).exit_code, 2);
  EXPECT_EQ(
      run({"egress", "check", "--manifest", kManifest, "--origin", "http://x.example", kRules})
          .exit_code,
      2)
      << "bad origin";
  EXPECT_EQ(
      run({"egress", "check", "--manifest", kManifest, "--header", "NoColon", kRules}).exit_code, 2)
      << "bad header syntax";
  EXPECT_EQ(
      run({"egress", "check", "--manifest", std::string(EGRESS_FIXTURES) + "/broken.yml", kRules})
          .exit_code,
      2)
      << "invalid manifest";
}

}  // namespace
