#include "manifest/manifest.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "manifest/rules.h"

namespace fs = std::filesystem;
using namespace vitrine::manifest;

namespace {

const fs::path kManifests = VITRINE_MANIFESTS_DIR;

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> rules_of(const CheckResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics) out.push_back(d.rule);
  return out;
}

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("vitrine-manifest-test-" +
             std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(Manifest, HelloManifestIsExactlyWhatTheSdkExampleExpects) {
  CheckResult r = check_file(kManifests / "hello.yml");
  ASSERT_TRUE(r.ok());
  const Manifest& m = *r.manifest;
  EXPECT_EQ(m.id, "hello");
  EXPECT_EQ(m.version, "1.0.0");
  EXPECT_EQ(m.abi.major, 1);
  EXPECT_EQ(m.abi.minor, 0);
  EXPECT_EQ(m.library, "hello.so");
  EXPECT_EQ(m.path, kManifests / "hello.yml");
  ASSERT_EQ(m.macros.size(), 1u);
  EXPECT_EQ(m.macros[0].key, "hello");
  ASSERT_EQ(m.macros[0].parameters.size(), 1u);
  const Parameter& p = m.macros[0].parameters[0];
  EXPECT_EQ(p.name, "name");
  EXPECT_EQ(p.type, ParamType::string);
  EXPECT_EQ(p.max_length, 64u);
  EXPECT_EQ(p.default_text, "world");
  EXPECT_FALSE(p.required);
  EXPECT_TRUE(m.scopes.empty());
  EXPECT_TRUE(m.egress.empty());
}

TEST(Manifest, AlertListCarriesLicensingEgressAndEnumDefaults) {
  CheckResult r = check_file(kManifests / "alert_list.yml");
  ASSERT_TRUE(r.ok());
  const Manifest& m = *r.manifest;
  EXPECT_EQ(m.scopes, (std::vector<std::string>{"grafana:read:alerts"}));
  ASSERT_EQ(m.egress.size(), 1u);
  EXPECT_TRUE(m.egress[0].wildcard);
  EXPECT_TRUE(m.egress[0].customer_managed);
  EXPECT_EQ(m.egress[0].host, "grafana.net");
  EXPECT_EQ(m.egress[0].port, 443);
  EXPECT_EQ(m.egress[0].text, "https://*.grafana.net");
  ASSERT_EQ(m.license_features.size(), 1u);
  EXPECT_EQ(m.license_features[0].key, "alert-badges");
  ASSERT_EQ(m.macros.size(), 2u);
  EXPECT_EQ(m.macros[1].license_feature, "alert-badges");
  const Parameter& states = m.macros[0].parameters[0];
  EXPECT_EQ(states.type, ParamType::enum_list);
  EXPECT_EQ(states.values.size(), 6u);
  EXPECT_EQ(states.default_items,
            (std::vector<std::string>{"firing", "pending", "recovering", "nodata", "error"}));
  const Parameter& max_items = m.macros[0].parameters[4];
  EXPECT_EQ(max_items.min, 1);
  EXPECT_EQ(max_items.max, 500);
}

TEST(Manifest, P3_BundledRenderersRequestOnlyTheScopesTheyUse) {
  // The host owns rendered-content caching and staleness (P8), so no
  // bundled renderer asks for storage:cache; panel_image stores its PNGs.
  const std::vector<std::pair<std::string, std::vector<std::string>>> want = {
      {"dashboard.yml", {"grafana:read:dashboards"}},
      {"alert_list.yml", {"grafana:read:alerts"}},
      {"annotation_timeline.yml", {"grafana:read:annotations"}},
      {"panel_image.yml", {"grafana:render", "storage:assets"}},
  };
  for (const auto& [file, scopes] : want) {
    CheckResult r = check_file(kManifests / file);
    ASSERT_TRUE(r.ok()) << file;
    EXPECT_EQ(rules_of(r), std::vector<std::string>{}) << file;  // not even a warning
    EXPECT_EQ(r.manifest->scopes, scopes) << file;
  }
}

TEST(Manifest, ParamTypeSpellingsRoundTrip) {
  EXPECT_EQ(to_string(ParamType::enumeration), "enum");
  EXPECT_EQ(to_string(ParamType::enum_list), "enum_list");
  EXPECT_EQ(to_string(ParamType::uid), "uid");
}

TEST(Manifest, DiagnosticFormatIsCompilerStyle) {
  Diagnostic d{"m.yml", {12, 7}, Severity::error, "bad thing", "egress-public-suffix"};
  EXPECT_EQ(format(d), "m.yml:12:7: error: bad thing [egress-public-suffix]");
  d.pos = {3, 0};
  d.severity = Severity::warning;
  EXPECT_EQ(format(d), "m.yml:3: warning: bad thing [egress-public-suffix]");
  d.pos = {};
  EXPECT_EQ(format(d), "m.yml: warning: bad thing [egress-public-suffix]");
}

TEST(Manifest, FileUnreadableForMissingFile) {
  CheckResult r = check_file("/nonexistent/dir/manifest.yml");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(rules_of(r), std::vector<std::string>{"file-unreadable"});
  EXPECT_EQ(r.diagnostics[0].file, "/nonexistent/dir/manifest.yml");
}

TEST(Manifest, FileUnreadableForDirectory) {
  TempDir dir;
  CheckResult r = check_file(dir.path());
  EXPECT_EQ(rules_of(r), std::vector<std::string>{"file-unreadable"});
  EXPECT_NE(r.diagnostics[0].message.find("directory"), std::string::npos);
}

TEST(Manifest, FileTooLargeForTenMegabytes) {
  TempDir dir;
  fs::path big = dir.path() / "big.yml";
  {
    std::ofstream out(big, std::ios::binary);
    std::string line(1023, '#');
    line += '\n';
    for (int i = 0; i < 10 * 1024; ++i) out << line;
  }
  CheckResult r = check_file(big);
  EXPECT_EQ(rules_of(r), std::vector<std::string>{"file-too-large"});
  // The same limit holds for text handed over directly.
  CheckResult t = check_text(read_all(big), "big.yml");
  EXPECT_EQ(rules_of(t), std::vector<std::string>{"file-too-large"});
}

TEST(Manifest, FileBinaryForAnElfHeader) {
  TempDir dir;
  fs::path bin = dir.path() / "plugin.so";
  {
    std::ofstream out(bin, std::ios::binary);
    const char elf[] = {'\x7f', 'E', 'L', 'F', '\x02', '\x01', '\x01', '\0', '\0'};
    out.write(elf, sizeof elf);
  }
  CheckResult r = check_file(bin);
  EXPECT_EQ(rules_of(r), std::vector<std::string>{"file-binary"});
}

TEST(Manifest, WarningsAloneLeaveTheManifestUsable) {
  std::string text = read_all(kManifests / "hello.yml");
  text += "licensing:\n  features:\n    - key: spare-feature\n";
  CheckResult r = check_text(text, "hello.yml");
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(rules_of(r), std::vector<std::string>{"license-feature-unused"});
  EXPECT_EQ(r.diagnostics[0].severity, Severity::warning);
}

TEST(Manifest, NeverThrowsOnAnyPrefixOfARealManifest) {
  // Truncated files are what editors save mid-keystroke; every prefix must
  // yield diagnostics, not an exception or a crash.
  std::string text = read_all(kManifests / "alert_list.yml");
  for (std::size_t n = 0; n <= text.size(); n += 3) {
    CheckResult r;
    ASSERT_NO_THROW(r = check_text(std::string_view(text).substr(0, n), "x.yml")) << n;
    if (n < text.size() / 2) {
      EXPECT_FALSE(r.ok()) << n;
    }
  }
}

TEST(Manifest, DeepNestingIsASyntaxErrorNotACrash) {
  std::string deep(200000, '[');
  CheckResult r = check_text(deep, "deep.yml");
  EXPECT_FALSE(r.ok());
  ASSERT_FALSE(r.diagnostics.empty());
  EXPECT_EQ(r.diagnostics[0].rule, "yaml-syntax");
}

TEST(Manifest, MarksAreOneBased) {
  CheckResult r = check_text("plugin:\n  id: X\n", "m.yml");
  bool found = false;
  for (const auto& d : r.diagnostics) {
    if (d.rule == "plugin-id-format") {
      EXPECT_EQ(d.pos.line, 2);
      EXPECT_EQ(d.pos.column, 7);
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

TEST(Manifest, DuplicateKeysAreFoundAtEveryDepth) {
  std::string text = read_all(kManifests / "hello.yml");
  // Repeat the parameter's type inside the nested mapping.
  auto at = text.find("        type: string\n");
  ASSERT_NE(at, std::string::npos);
  text.insert(at, "        type: string\n");
  CheckResult r = check_text(text, "hello.yml");
  EXPECT_EQ(rules_of(r), std::vector<std::string>{"yaml-duplicate-key"});
}

TEST(Manifest, CheckTextIsSafeToCallFromManyThreads) {
  std::string text = read_all(kManifests / "panel_image.yml");
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < 20; ++k) ok += check_text(text, "p.yml").ok() ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 80);
}

TEST(ManifestRules, IdsAreUniqueKebabCase) {
  std::set<std::string_view> seen;
  for (const auto& rule : all_rules()) {
    EXPECT_TRUE(seen.insert(rule.id).second) << rule.id;
    for (char c : rule.id) {
      EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '-') << rule.id;
    }
    EXPECT_FALSE(rule.summary.empty());
  }
  EXPECT_EQ(find_rule("egress-public-suffix")->severity, Severity::error);
  EXPECT_EQ(find_rule("egress-without-scope")->severity, Severity::warning);
  EXPECT_EQ(find_rule("no-such-rule"), nullptr);
}

}  // namespace
