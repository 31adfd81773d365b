// P4: a credential that reaches a log call by mistake is never written.
#include "log/log.h"

#include <gtest/gtest.h>

#include <vector>

using vitrine::log::redact;

TEST(P4_LogsNeverContainSecrets, CredentialShapesAreRedacted) {
  struct Row {
    const char* in;
    const char* out;
  } rows[] = {
      {"token glsa_ABCDEFGHIJKLMNOPQRSTUVWXYZ012345_1a2b3c4d end", "token [REDACTED] end"},
      {"Authorization: Bearer abc.def-ghi", "Authorization: Bearer [REDACTED]"},
      {"key eyJrIjoiT0tTcG1pUlY2RnVKZTFVaDFsNFZXdE9ZWmNrMkZYbk", "key [REDACTED]"},
      {"admin vtr_0123456789abcdef", "admin [REDACTED]"},
      {"Basic dXNlcjpwYXNz", "Basic [REDACTED]"},
      {"no secrets here", "no secrets here"},
      {"glsa_", "glsa_"},
  };
  for (const auto& r : rows) EXPECT_EQ(redact(r.in), r.out) << r.in;
}

TEST(P4_LogsNeverContainSecrets, LinesAreJsonAndRedacted) {
  std::vector<std::string> lines;
  vitrine::log::set_sink([&](const std::string& l) { lines.push_back(l); });
  vitrine::log::info("space.token.set",
                     {{"space", "ops"},
                      {"detail", "glsa_ABCDEFGHIJKLMNOPQRSTUVWXYZ012345_1a2b3c4d"},
                      {"note", "line\nbreak \"quoted\""}});
  vitrine::log::set_sink(nullptr);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].find("glsa_ABC"), std::string::npos);
  EXPECT_NE(lines[0].find("\"event\":\"space.token.set\""), std::string::npos);
  EXPECT_NE(lines[0].find("line\\nbreak \\\"quoted\\\""), std::string::npos);
  EXPECT_EQ(lines[0].find('\n'), std::string::npos);
}

TEST(StructuredLogs, LevelFilter) {
  std::vector<std::string> lines;
  vitrine::log::set_sink([&](const std::string& l) { lines.push_back(l); });
  vitrine::log::set_min_level(vitrine::log::Level::warn);
  vitrine::log::info("dropped");
  vitrine::log::warn("kept");
  vitrine::log::set_min_level(vitrine::log::Level::info);
  vitrine::log::set_sink(nullptr);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("kept"), std::string::npos);
}
