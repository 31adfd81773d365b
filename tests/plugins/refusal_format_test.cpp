// How a loader refusal reads (docs/plugin-abi.md "Loader refusals"): a
// plugin's refusal names the plugin, an unreadable plugins directory names
// the directory and never passes it off as a plugin.
#include <gmock/gmock.h>

#include <filesystem>

#include "plugins/host_table.h"
#include "plugins/loader.h"
#include "plugins/refusal.h"

using ::testing::HasSubstr;
using ::testing::Not;

namespace vitrine::plugins {
namespace {

namespace fs = std::filesystem;

TEST(RefusalFormat, PluginRefusalNamesPluginPathAndRule) {
  const Refusal r{"hello", "/p/hello.so", "manifest-version-mismatch", "versions differ"};
  EXPECT_EQ(format(r), "plugin 'hello' (/p/hello.so): versions differ [manifest-version-mismatch]");
}

TEST(RefusalFormat, plugins_dir_unreadable_NamesTheDirectoryNotAPlugin) {
  const fs::path dir = fs::temp_directory_path() / "vitrine-refusal-test-no-such-dir";
  fs::remove_all(dir);
  auto report = load_plugins_dir(dir, HostTable().abi());
  ASSERT_EQ(report.refused.size(), 1u);
  const Refusal& r = report.refused[0];
  EXPECT_EQ(r.rule, "plugins-dir-unreadable");
  EXPECT_EQ(r.plugin, "");
  const std::string line = format(r);
  EXPECT_THAT(line, Not(HasSubstr("plugin '")));
  EXPECT_THAT(line, HasSubstr("plugins directory " + dir.string() + ": cannot be read ("));
  EXPECT_THAT(line, HasSubstr("[plugins-dir-unreadable]"));
}

}  // namespace
}  // namespace vitrine::plugins
