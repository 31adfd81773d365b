// check_entry() on hand-made entries: the rules the matrix cannot reach with
// a real library (a NULL create, a symbol smaller than a uint32).
#include "plugins/negotiate.h"

#include <gtest/gtest.h>

using namespace vitrine::plugins;

namespace {

vitrine_status create_ok(const vitrine_host*, const vitrine_plugin**, vitrine_sink*) {
  return VITRINE_OK;
}
const char* const kKeys[] = {"m", nullptr};
constexpr vitrine_version kHost{1, 0, 0, 0};

vitrine::manifest::Manifest manifest() {
  vitrine::manifest::Manifest m;
  m.id = "p";
  m.version = "1.0.0";
  m.abi = {1, 0};
  m.macros.push_back({});
  m.macros.back().key = "m";
  return m;
}

}  // namespace

TEST(ABI_3_StructSize, GoodEntryPasses) {
  vitrine_plugin_entry e = VITRINE_ENTRY_INIT("p", "1.0.0", kKeys, create_ok);
  EXPECT_EQ(e.struct_size, sizeof(vitrine_plugin_entry));
  EXPECT_FALSE(check_entry(e, sizeof e, manifest(), "p.so", kHost).has_value());
}

TEST(ABI_3_StructSize, SymbolTooSmallForStructSizeField) {
  vitrine_plugin_entry e = VITRINE_ENTRY_INIT("p", "1.0.0", kKeys, create_ok);
  auto r = check_entry(e, 2, manifest(), "p.so", kHost);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rule, "entry-truncated");
}

TEST(ABI_2_EntrySymbol, NullCreateIsRefused) {
  vitrine_plugin_entry e = VITRINE_ENTRY_INIT("p", "1.0.0", kKeys, nullptr);
  auto r = check_entry(e, sizeof e, manifest(), "p.so", kHost);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rule, "entry-no-create");
}

TEST(ABI_11_ManifestAgreement, ManifestAbiMustMatchTheLibrary) {
  vitrine_plugin_entry e = VITRINE_ENTRY_INIT("p", "1.0.0", kKeys, create_ok);
  auto m = manifest();
  m.abi = {1, 1};
  auto r = check_entry(e, sizeof e, m, "p.so", vitrine_version{1, 3, 0, 0});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rule, "manifest-abi-mismatch");
}

TEST(ABI_11_ManifestAgreement, UnterminatedIdIsBoundedNotOverread) {
  static const char long_id[300] = {'a'};  // rest zero: terminated at 1, fine
  vitrine_plugin_entry e = VITRINE_ENTRY_INIT(long_id, "1.0.0", kKeys, create_ok);
  auto r = check_entry(e, sizeof e, manifest(), "p.so", kHost);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rule, "manifest-id-mismatch");
}
