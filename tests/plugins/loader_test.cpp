// The negotiation matrix through the real loader (dlopen of real libraries
// built from matrix_plugin.c). Failure paths first, as the ABI rules demand.
#include "plugins/loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "plugins/host_table.h"
#include "plugins/invoke.h"

namespace fs = std::filesystem;
using namespace vitrine::plugins;
using ::testing::HasSubstr;

namespace {

LoadReport load_row(const std::string& dir,
                    vitrine_version host_abi = {VITRINE_ABI_MAJOR, VITRINE_ABI_MINOR, 0, 0}) {
  static std::vector<std::unique_ptr<HostTable>> hosts;  // plugins keep the host pointer
  hosts.push_back(std::make_unique<HostTable>(host_abi));
  return load_plugins_dir(fs::path(MATRIX_DIR) / dir, hosts.back()->abi());
}

Refusal only_refusal(const LoadReport& r) {
  EXPECT_TRUE(r.loaded.empty());
  EXPECT_EQ(r.refused.size(), 1u);
  return r.refused.empty() ? Refusal{} : r.refused.front();
}

}  // namespace

TEST(ABI_1_Negotiation, NewerMinorThanHostIsRefusedNamingBothVersions) {
  auto r = only_refusal(load_row("newer_minor"));
  EXPECT_EQ(r.rule, "abi-minor-too-new");
  EXPECT_EQ(r.plugin, "matrix_new");
  EXPECT_THAT(r.message, HasSubstr("ABI 1.1"));
  EXPECT_THAT(r.message, HasSubstr("ABI 1.0"));
  EXPECT_THAT(r.message, HasSubstr("upgrade the host"));
  EXPECT_THAT(format(r), HasSubstr("newer_minor.so"));
}

TEST(ABI_1_Negotiation, OtherMajorIsRefused) {
  auto r = only_refusal(load_row("other_major"));
  EXPECT_EQ(r.rule, "abi-major-mismatch");
  EXPECT_THAT(r.message, HasSubstr("ABI 2.0"));
}

TEST(ABI_2_EntrySymbol, LibraryWithoutEntryIsNotAPlugin) {
  auto r = only_refusal(load_row("missing_symbol"));
  EXPECT_EQ(r.rule, "entry-missing");
  EXPECT_THAT(r.message, HasSubstr("vitrine_entry"));
}

TEST(ABI_3_StructSize, EntryStructSizeTooSmallIsRefused) {
  auto r = only_refusal(load_row("small_struct"));
  EXPECT_EQ(r.rule, "entry-struct-size");
  EXPECT_THAT(r.message, HasSubstr("struct_size is 8"));
}

TEST(ABI_3_StructSize, EntryObjectShorterThanItsStructSizeIsRefused) {
  auto r = only_refusal(load_row("truncated"));
  EXPECT_EQ(r.rule, "entry-truncated");
  EXPECT_THAT(r.message, HasSubstr("only 12 bytes"));
}

TEST(ABI_11_ManifestAgreement, CreateFailingIsRefusedWithThePluginsReason) {
  auto r = only_refusal(load_row("create_fails"));
  EXPECT_EQ(r.rule, "create-failed");
  EXPECT_THAT(r.message, HasSubstr("built to fail in create()"));
}

TEST(ABI_11_ManifestAgreement, IdMismatchIsRefused) {
  auto r = only_refusal(load_row("id_mismatch"));
  EXPECT_EQ(r.rule, "manifest-id-mismatch");
  EXPECT_THAT(r.message, HasSubstr("somebody_else"));
}

TEST(ABI_11_ManifestAgreement, VersionMismatchIsRefused) {
  auto r = only_refusal(load_row("version_mismatch"));
  EXPECT_EQ(r.rule, "manifest-version-mismatch");
}

TEST(ABI_11_ManifestAgreement, MacroKeyMismatchIsRefused) {
  auto r = only_refusal(load_row("macro_mismatch"));
  EXPECT_EQ(r.rule, "manifest-macro-mismatch");
  EXPECT_THAT(r.message, HasSubstr("matrix-other"));
}

TEST(ABI_11_ManifestAgreement, SameMacroKeyInTwoPluginsRefusesTheSecond) {
  auto r = load_row("duplicate_key");
  ASSERT_EQ(r.loaded.size(), 1u);
  EXPECT_EQ(r.loaded[0].manifest.id, "matrix_dup_a");
  ASSERT_EQ(r.refused.size(), 1u);
  EXPECT_EQ(r.refused[0].rule, "macro-key-conflict");
  EXPECT_THAT(r.refused[0].message, HasSubstr("shared-key"));
}

TEST(LoaderBadInput, TextFileNamedLikeALibraryIsRefusedNotCrashed) {
  auto r = only_refusal(load_row("not_a_library"));
  EXPECT_EQ(r.rule, "library-load");
  EXPECT_THAT(r.message, HasSubstr("not_a_library.so"));
}

TEST(LoaderBadInput, MissingLibraryIsRefused) {
  auto r = only_refusal(load_row("library_missing"));
  EXPECT_EQ(r.rule, "library-missing");
  EXPECT_THAT(r.message, HasSubstr("gone.so"));
}

TEST(LoaderBadInput, MissingDirectoryIsReported) {
  auto r = load_plugins_dir(fs::path(MATRIX_DIR) / "no_such_dir", HostTable().abi());
  ASSERT_EQ(r.refused.size(), 1u);
  EXPECT_EQ(r.refused[0].rule, "plugins-dir-unreadable");
}

TEST(ABI_1_Negotiation, CompatiblePluginLoads) {
  auto r = load_row("compatible");
  ASSERT_EQ(r.loaded.size(), 1u) << (r.refused.empty() ? "" : format(r.refused[0]));
  EXPECT_EQ(r.loaded[0].manifest.id, "matrix_ok");
  EXPECT_NE(r.loaded[0].instance, nullptr);
}

TEST(ABI_1_Negotiation, OlderMinorThanHostLoads) {
  auto r = load_row("compatible", {VITRINE_ABI_MAJOR, VITRINE_ABI_MINOR + 2, 0, 0});
  ASSERT_EQ(r.loaded.size(), 1u) << (r.refused.empty() ? "" : format(r.refused[0]));
}

TEST(ABI_4_Capabilities, UnknownCapabilityIdIsNull) {
  HostTable host;
  static const int table = 7;
  host.offer("vitrine.test/1", &table);
  EXPECT_EQ(host.abi()->get_capability(host.abi(), "vitrine.test/1"), &table);
  EXPECT_EQ(host.abi()->get_capability(host.abi(), "vitrine.test/2"), nullptr);
  EXPECT_EQ(host.abi()->get_capability(host.abi(), nullptr), nullptr);
}

TEST(ABI_12_TypedParams, RenderReceivesBoundTypedParameters) {
  auto r = load_row("compatible");
  ASSERT_EQ(r.loaded.size(), 1u);
  RenderInput in;
  in.macro_key = "matrix-ok";
  in.params = {{"label", "hi"}, {"window", "5m"}, {"states", "firing, pending"}};
  auto out = render_macro(r.loaded[0], in);
  ASSERT_EQ(out.status, VITRINE_OK) << out.error;
  EXPECT_THAT(out.html, HasSubstr("count=3/3"));  // default applied
  EXPECT_THAT(out.html, HasSubstr("label=hi/0"));
  EXPECT_THAT(out.html, HasSubstr("window=5m/300000"));  // duration in ms
  EXPECT_THAT(out.html, HasSubstr("compact=false/0"));
  EXPECT_EQ(out.cache_ttl_s, 60u);
}

TEST(ABI_12_TypedParams, OutOfRangeParameterNeverReachesThePlugin) {
  auto r = load_row("compatible");
  ASSERT_EQ(r.loaded.size(), 1u);
  RenderInput in;
  in.macro_key = "matrix-ok";
  in.params = {{"count", "11"}};
  auto out = render_macro(r.loaded[0], in);
  EXPECT_EQ(out.status, VITRINE_E_INVALID);
  EXPECT_EQ(out.rule, "param-range");
  EXPECT_TRUE(out.html.empty());
}

TEST(ABI_5_Statuses, StatusOutsideTheClosedSetBecomesInternal) {
  auto r = load_row("bad_status");
  ASSERT_EQ(r.loaded.size(), 1u);
  RenderInput in;
  in.macro_key = "matrix-bad";
  auto out = render_macro(r.loaded[0], in);
  EXPECT_EQ(out.status, VITRINE_E_INTERNAL);
  EXPECT_THAT(out.error, HasSubstr("unknown status 42"));
}

TEST(ABI_9_HostOwnedSinks, HtmlSinkStopsAtItsLimit) {
  auto r = load_row("flood");
  ASSERT_EQ(r.loaded.size(), 1u);
  RenderInput in;
  in.macro_key = "matrix-flood";
  auto out = render_macro(r.loaded[0], in);
  EXPECT_TRUE(out.html_truncated);
  EXPECT_EQ(out.html.size(), kMaxHtmlBytes);
}

TEST(BundledPlugins, HelloLoadsAndRendersEscapedHtml) {
  HostTable host;
  auto r = load_plugins_dir(BUNDLED_PLUGINS_DIR, host.abi());
  const LoadedPlugin* hello = nullptr;
  for (const auto& p : r.loaded) {
    if (p.manifest.id == "hello") hello = &p;
  }
  ASSERT_NE(hello, nullptr);
  RenderInput in;
  in.macro_key = "hello";
  in.params = {{"name", "<Ada & Bob>"}};
  auto out = render_macro(*hello, in);
  ASSERT_EQ(out.status, VITRINE_OK) << out.error;
  EXPECT_EQ(out.html, "<p class=\"vitrine-hello\">Hello, &lt;Ada &amp; Bob&gt;!</p>");
}
