// Runs the manifest conformance corpus. Each case is one test named after
// its file, so a failure names the rule it was written for.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "manifest/manifest.h"
#include "manifest/rules.h"

namespace fs = std::filesystem;
using vitrine::manifest::check_file;
using vitrine::manifest::CheckResult;
using vitrine::manifest::Severity;

namespace {

const fs::path kCorpus = VITRINE_CORPUS_DIR;
const fs::path kGenerated = VITRINE_GENERATED_CORPUS_DIR;

std::vector<std::string> case_names(const fs::path& dir, const std::string& ext) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ext) names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> expected_lines(const fs::path& p) {
  std::vector<std::string> lines;
  std::istringstream in(read_all(p));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> actual_lines(const CheckResult& r) {
  std::vector<std::string> lines;
  for (const auto& d : r.diagnostics) {
    lines.push_back(std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column) + " " + d.rule);
  }
  return lines;
}

std::string dump(const CheckResult& r) {
  std::string out;
  for (const auto& d : r.diagnostics) out += "  " + vitrine::manifest::format(d) + "\n";
  return out;
}

std::string test_name(const testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

// The input of an invalid case sits beside its .expected, or for inputs git
// cannot hold, in the generated corpus (which may deliberately lack it).
fs::path invalid_input(const std::string& name) {
  fs::path beside = kCorpus / "invalid" / (name + ".yml");
  return fs::exists(beside) ? beside : kGenerated / (name + ".yml");
}

class ValidManifest : public testing::TestWithParam<std::string> {};
class InvalidManifest : public testing::TestWithParam<std::string> {};

TEST_P(ValidManifest, PassesWithoutDiagnostics) {
  fs::path path = kCorpus / "valid" / (GetParam() + ".yml");
  CheckResult r = check_file(path);
  EXPECT_TRUE(r.ok()) << dump(r);
  EXPECT_TRUE(r.diagnostics.empty()) << dump(r);
}

TEST_P(InvalidManifest, ReportsExactlyTheExpectedDiagnostics) {
  const std::string& name = GetParam();
  CheckResult r = check_file(invalid_input(name));
  auto expected = expected_lines(kCorpus / "invalid" / (name + ".expected"));
  EXPECT_EQ(actual_lines(r), expected) << "actual diagnostics:\n" << dump(r);
  bool expects_error = false;
  for (const std::string& line : expected) {
    auto rule = vitrine::manifest::find_rule(line.substr(line.find(' ') + 1));
    ASSERT_NE(rule, nullptr) << "unknown rule in " << name << ".expected: " << line;
    expects_error = expects_error || rule->severity == Severity::error;
  }
  EXPECT_NE(r.ok(), expects_error) << dump(r);
  // Diagnostics come sorted by position, so editors and people read them in
  // file order.
  EXPECT_TRUE(
      std::is_sorted(r.diagnostics.begin(), r.diagnostics.end(), [](const auto& a, const auto& b) {
        return std::pair(a.pos.line, a.pos.column) < std::pair(b.pos.line, b.pos.column);
      }));
}

INSTANTIATE_TEST_SUITE_P(Corpus, ValidManifest,
                         testing::ValuesIn(case_names(kCorpus / "valid", ".yml")), test_name);
INSTANTIATE_TEST_SUITE_P(Corpus, InvalidManifest,
                         testing::ValuesIn(case_names(kCorpus / "invalid", ".expected")),
                         test_name);

TEST(ManifestCorpus, EveryInvalidInputHasAnExpectation) {
  for (const std::string& name : case_names(kCorpus / "invalid", ".yml")) {
    EXPECT_TRUE(fs::exists(kCorpus / "invalid" / (name + ".expected"))) << name;
  }
}

TEST(ManifestCorpus, HasAtLeastSixtyCases) {
  auto valid = case_names(kCorpus / "valid", ".yml").size();
  auto invalid = case_names(kCorpus / "invalid", ".expected").size();
  EXPECT_GE(valid + invalid, 60u);
}

TEST(ManifestCorpus, EveryRuleHasAnInvalidCaseAndADocEntry) {
  std::set<std::string> covered;
  for (const std::string& name : case_names(kCorpus / "invalid", ".expected")) {
    for (const std::string& line : expected_lines(kCorpus / "invalid" / (name + ".expected"))) {
      covered.insert(line.substr(line.find(' ') + 1));
    }
  }
  const std::string doc = read_all(VITRINE_MANIFEST_DOC);
  ASSERT_FALSE(doc.empty()) << "docs/manifest.md is missing";
  for (const auto& rule : vitrine::manifest::all_rules()) {
    std::string id(rule.id);
    EXPECT_TRUE(covered.contains(id)) << "no invalid corpus case for rule " << id;
    EXPECT_NE(doc.find("`" + id + "`"), std::string::npos)
        << "docs/manifest.md does not document rule " << id;
  }
}

TEST(ManifestCorpus, ShippedManifestsAreValid) {
  for (const auto& entry : fs::directory_iterator(VITRINE_MANIFESTS_DIR)) {
    if (entry.path().extension() != ".yml" || entry.path().filename() == "scopes.yml") continue;
    CheckResult r = check_file(entry.path());
    EXPECT_TRUE(r.ok()) << entry.path() << "\n" << dump(r);
    EXPECT_TRUE(r.diagnostics.empty()) << entry.path() << "\n" << dump(r);
  }
}

}  // namespace
