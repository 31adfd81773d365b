// Signed plugin bundles (docs/security/bundles.md): a bundle packed from the
// real hello plugin verifies, and every way a bundle can be wrong is refused
// with its rule id. Malformed bundles are forged part by part and signed with
// the trusted key, so each case fails only the rule it names.
#include "bundle/bundle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>

#include "bundle/format.h"
#include "bundle/index.h"
#include "bundle/keys.h"
#include "digest/sha256.h"
#include "license/verifier.h"

namespace fs = std::filesystem;
using namespace vitrine::bundle;
using ::testing::HasSubstr;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void spit(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

SigningKey new_key() {
  SigningKey k;
  EXPECT_TRUE(vitrine::license::ed25519_generate(k.private_key, k.public_key));
  return k;
}

std::string replace_once(std::string s, const std::string& from, const std::string& to) {
  auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

// Everything a case needs: the real hello plugin in a scratch directory, a
// trusted key ("acme"), an untrusted one, and a correctly packed bundle.
struct Kit {
  fs::path dir;
  fs::path plugin;  // dir/hello: hello.yml + hello.so
  std::string manifest;
  std::string library;
  SigningKey trusted_key = new_key();
  SigningKey other_key = new_key();
  TrustedKeys trusted;
  std::string good;  // pack(plugin, trusted_key)

  Kit() {
    char tmpl[] = "/tmp/vitrine-bundle-XXXXXX";
    dir = ::mkdtemp(tmpl);
    plugin = dir / "hello";
    fs::create_directories(plugin);
    fs::copy_file(fs::path(VITRINE_PLUGINS_DIR) / "hello.yml", plugin / "hello.yml");
    fs::copy_file(fs::path(VITRINE_PLUGINS_DIR) / "hello.so", plugin / "hello.so");
    manifest = slurp(plugin / "hello.yml");
    library = slurp(plugin / "hello.so");
    trusted["acme"] = trusted_key.public_key;
    auto packed = pack(plugin, &trusted_key);
    EXPECT_TRUE(packed.ok) << packed.refusal.text();
    good = packed.bytes;
  }
  ~Kit() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  // The index pack() writes, as a value to change.
  Index index(const SigningKey* signer = nullptr) const {
    Index i;
    i.plugin = "hello";
    i.version = "1.0.0";
    i.key_id = key_id((signer != nullptr ? *signer : trusted_key).public_key);
    i.entries = {{"hello.yml", "file", manifest.size(), vitrine::digest::sha256_hex(manifest)},
                 {"hello.so", "file", library.size(), vitrine::digest::sha256_hex(library)}};
    return i;
  }

  // A bundle from parts, signed by `signer` (null: unsigned), its key line
  // naming index.key_id.
  std::string forge(const Index& i, const std::vector<std::string>& payloads,
                    const SigningKey* signer) const {
    const std::string json = to_json(i);
    std::string sig;
    if (signer != nullptr) {
      sig = vitrine::license::ed25519_sign(signer->private_key, signing_message(json));
    }
    std::vector<std::string_view> views(payloads.begin(), payloads.end());
    return encode(i.key_id, json, sig, views);
  }
  std::string forge(const Index& i, const std::vector<std::string>& payloads) const {
    return forge(i, payloads, &trusted_key);
  }
  std::string forge(const Index& i) const { return forge(i, {manifest, library}); }

  // Byte offsets of the parts of `good`.
  struct Offsets {
    size_t key_line, index_line, index, signature, manifest, library, end;
  };
  Offsets offsets() const {
    Frame f;
    Refusal r;
    EXPECT_TRUE(decode(good, f, r)) << r.text();
    Offsets o{};
    o.key_line = kMagic.size() + 1;
    o.index_line = good.find("\nindex: ") + 1;
    o.index = static_cast<size_t>(f.index.data() - good.data());
    o.signature = static_cast<size_t>(f.signature.data() - good.data());
    o.manifest = static_cast<size_t>(f.payload.data() - good.data());
    o.library = o.manifest + manifest.size();
    o.end = good.size();
    return o;
  }
  std::string flipped(size_t at) const {
    std::string b = good;
    b[at] = static_cast<char>(b[at] ^ 0x01);
    return b;
  }
};

Kit& kit() {
  static Kit* k = new Kit();
  return *k;
}

struct Case {
  std::string name;
  std::function<std::string(const Kit&)> bundle;
  std::string rule;
  bool allow_unsigned = false;
};

std::vector<Case> refusal_cases() {
  using O = Kit::Offsets;
  std::vector<Case> cases = {
      // A flipped byte anywhere in what the signature covers.
      {"FlippedByteInIndex",
       [](const Kit& k) {
         O o = k.offsets();
         return k.flipped(o.index + (o.signature - o.index) / 2);
       },
       "bundle-signature"},
      {"FlippedByteInSignature", [](const Kit& k) { return k.flipped(k.offsets().signature + 10); },
       "bundle-signature"},
      {"FlippedByteInManifest",
       [](const Kit& k) { return k.flipped(k.offsets().manifest + k.manifest.size() / 2); },
       "bundle-digest"},
      {"FlippedByteInLibrary",
       [](const Kit& k) { return k.flipped(k.offsets().library + k.library.size() / 2); },
       "bundle-digest"},
      {"FlippedLastByteOfLibrary", [](const Kit& k) { return k.flipped(k.offsets().end - 1); },
       "bundle-digest"},
      // Keys: signed by another key while naming the trusted one; signed by a
      // key the host does not trust.
      {"WrongKey",
       [](const Kit& k) {
         return k.forge(k.index(&k.trusted_key), {k.manifest, k.library}, &k.other_key);
       },
       "bundle-signature"},
      {"UntrustedKey",
       [](const Kit& k) {
         return k.forge(k.index(&k.other_key), {k.manifest, k.library}, &k.other_key);
       },
       "bundle-untrusted-key"},
      {"UnsignedWithoutAllow",
       [](const Kit& k) {
         Index i = k.index();
         i.key_id.clear();
         return k.forge(i, {k.manifest, k.library}, nullptr);
       },
       "bundle-unsigned"},
      {"SignatureStripped",
       [](const Kit& k) {
         // The signed index still names its key; only the signature is gone.
         std::string b = replace_once(k.good, "key: " + k.index().key_id + "\n", "key: none\n");
         O o = k.offsets();
         const size_t shift = k.index().key_id.size() - 4;
         return b.erase(o.signature - shift, kSignatureBytes);
       },
       "bundle-signature", true},
      // Truncation at every part of the file.
      {"TruncatedEmpty", [](const Kit&) { return std::string(); }, "bundle-truncated"},
      {"TruncatedInMagic", [](const Kit& k) { return k.good.substr(0, 5); }, "bundle-truncated"},
      {"TruncatedInKeyLine",
       [](const Kit& k) { return k.good.substr(0, k.offsets().key_line + 12); },
       "bundle-truncated"},
      {"TruncatedInIndexLine",
       [](const Kit& k) { return k.good.substr(0, k.offsets().index_line + 8); },
       "bundle-truncated"},
      {"TruncatedInIndex", [](const Kit& k) { return k.good.substr(0, k.offsets().index + 40); },
       "bundle-truncated"},
      {"TruncatedInSignature",
       [](const Kit& k) { return k.good.substr(0, k.offsets().signature + 30); },
       "bundle-truncated"},
      {"TruncatedInManifest",
       [](const Kit& k) { return k.good.substr(0, k.offsets().manifest + 20); },
       "bundle-truncated"},
      {"TruncatedInLibrary",
       [](const Kit& k) { return k.good.substr(0, k.offsets().library + k.library.size() / 2); },
       "bundle-truncated"},
      {"TruncatedLastByte", [](const Kit& k) { return k.good.substr(0, k.good.size() - 1); },
       "bundle-truncated"},
      // Entry names and types.
      {"DotDotEntry",
       [](const Kit& k) {
         Index i = k.index();
         i.entries[1].name = "../x";
         return k.forge(i);
       },
       "bundle-path"},
      {"NestedDotDotEntry",
       [](const Kit& k) {
         Index i = k.index();
         i.entries[1].name = "lib/../../hello.so";
         return k.forge(i);
       },
       "bundle-path"},
      {"AbsoluteEntry",
       [](const Kit& k) {
         Index i = k.index();
         i.entries[1].name = "/abs";
         return k.forge(i);
       },
       "bundle-path"},
      {"HiddenEntry",
       [](const Kit& k) {
         Index i = k.index();
         i.entries[1].name = ".hello.so";
         return k.forge(i);
       },
       "bundle-path"},
      {"SymlinkEntry",
       [](const Kit& k) {
         Index i = k.index();
         i.entries[1].type = "symlink";
         return k.forge(i);
       },
       "bundle-path"},
      {"DuplicateEntry",
       [](const Kit& k) {
         Index i = k.index();
         i.entries.push_back(i.entries[1]);
         return k.forge(i, {k.manifest, k.library, k.library});
       },
       "bundle-duplicate"},
      {"DuplicateManifestEntry",
       [](const Kit& k) {
         Index i = k.index();
         i.entries[1] = i.entries[0];
         return k.forge(i, {k.manifest, k.manifest});
       },
       "bundle-duplicate"},
      // Size limits are judged from the signed index, before any byte of the
      // entry is needed.
      {"ManifestOverSizeLimit",
       [](const Kit& k) {
         Index i = k.index();
         i.entries[0].size = kMaxManifestBytes + 1;
         return k.forge(i);
       },
       "bundle-too-large"},
      {"LibraryOverSizeLimit",
       [](const Kit& k) {
         Index i = k.index();
         i.entries[1].size = kMaxLibraryBytes + 1;
         return k.forge(i);
       },
       "bundle-too-large"},
      {"IndexOverSizeLimit",
       [](const Kit& k) {
         std::string b = k.good;
         const size_t at = k.offsets().index_line;
         return b.replace(at, b.find('\n', at) - at, "index: 999999");
       },
       "bundle-too-large"},
      // Manifest, index and library must describe one plugin.
      {"ManifestVersionDiffersFromIndex",
       [](const Kit& k) {
         const std::string m = replace_once(k.manifest, "version: 1.0.0", "version: 1.0.1");
         Index i = k.index();
         i.entries[0] = {"hello.yml", "file", m.size(), vitrine::digest::sha256_hex(m)};
         return k.forge(i, {m, k.library});
       },
       "bundle-mismatch"},
      {"LibraryNameDiffersFromManifest",
       [](const Kit& k) {
         Index i = k.index();
         i.entries[1].name = "other.so";
         return k.forge(i);
       },
       "bundle-mismatch"},
      {"ManifestIdDiffersFromIndex",
       [](const Kit& k) {
         Index i = k.index();
         i.plugin = "hello_two";
         i.entries[0].name = "hello_two.yml";
         return k.forge(i);
       },
       "bundle-mismatch"},
      {"ManifestEntryNotNamedAfterPlugin",
       [](const Kit& k) {
         Index i = k.index();
         i.entries[0].name = "manifest.yml";
         return k.forge(i);
       },
       "bundle-mismatch"},
      {"LibraryIsNotASharedObject",
       [](const Kit& k) {
         const std::string lib = "#!/bin/sh\necho not a library\n";
         Index i = k.index();
         i.entries[1] = {"hello.so", "file", lib.size(), vitrine::digest::sha256_hex(lib)};
         return k.forge(i, {k.manifest, lib});
       },
       "bundle-mismatch"},
      {"ManifestInvalid",
       [](const Kit& k) {
         const std::string m = replace_once(k.manifest, "abi: \"1.0\"", "abi: 1.0\nextra: x");
         Index i = k.index();
         i.entries[0] = {"hello.yml", "file", m.size(), vitrine::digest::sha256_hex(m)};
         return k.forge(i, {m, k.library});
       },
       "bundle-manifest"},
      // Framing.
      {"NotABundle", [](const Kit&) { return std::string("PK\x03\x04 a zip file\n"); },
       "bundle-format"},
      {"NewerFormatVersion",
       [](const Kit& k) {
         return replace_once(k.good, "vitrine-plugin/1\n", "vitrine-plugin/2\n");
       },
       "bundle-format"},
      {"TrailingBytes", [](const Kit& k) { return k.good + "extra"; }, "bundle-format"},
      {"IndexNotJson",
       [](const Kit& k) {
         return encode(
             k.index().key_id, "not json",
             vitrine::license::ed25519_sign(k.trusted_key.private_key, signing_message("not json")),
             {k.manifest, k.library});
       },
       "bundle-format"},
      {"IndexUnknownKey",
       [](const Kit& k) {
         const std::string json =
             replace_once(to_json(k.index()), "\"entries\"", "\"x\":1,\"entries\"");
         return encode(
             k.index().key_id, json,
             vitrine::license::ed25519_sign(k.trusted_key.private_key, signing_message(json)),
             {k.manifest, k.library});
       },
       "bundle-format"},
      // Parsed only after the signature check, but an unsigned bundle reaches
      // the parser with whatever index it carries.
      {"UnsignedIndexDeeplyNested",
       [](const Kit& k) {
         const std::string json(kMaxIndexBytes, '[');
         return encode("", json, "", {k.manifest, k.library});
       },
       "bundle-format", true},
      {"ThreeEntries",
       [](const Kit& k) {
         Index i = k.index();
         i.entries.push_back({"README", "file", 2, vitrine::digest::sha256_hex("hi")});
         return k.forge(i, {k.manifest, k.library, "hi"});
       },
       "bundle-format"},
  };
  return cases;
}

// Readable test output: a case prints as its name.
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class BundleRefusal : public ::testing::TestWithParam<Case> {};

TEST_P(BundleRefusal, RefusedWithItsRule) {
  const Case& c = GetParam();
  const std::string bytes = c.bundle(kit());
  auto r = verify(bytes, kit().trusted, c.allow_unsigned);
  ASSERT_FALSE(r.ok()) << c.name << " was accepted";
  EXPECT_EQ(r.refusal.rule, c.rule) << r.refusal.text();
  EXPECT_FALSE(r.refusal.reason.empty());
}

INSTANTIATE_TEST_SUITE_P(Rules, BundleRefusal, ::testing::ValuesIn(refusal_cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace

// The forging helper builds exactly what pack() builds, so each refusal case
// differs from an accepted bundle only in what it names.
TEST(Bundle, ForgedBaselineIsByteIdenticalToPack) {
  EXPECT_EQ(kit().forge(kit().index()), kit().good);
}

TEST(Bundle, PackedRealPluginVerifiesWithTrustedKey) {
  auto r = verify(kit().good, kit().trusted, false);
  ASSERT_TRUE(r.ok()) << r.refusal.text();
  const Verified& v = *r.verified;
  EXPECT_EQ(v.plugin_id, "hello");
  EXPECT_EQ(v.version, "1.0.0");
  EXPECT_EQ(v.library_name, "hello.so");
  EXPECT_EQ(v.manifest_bytes, kit().manifest);
  EXPECT_EQ(v.library_bytes, kit().library);
  EXPECT_EQ(v.manifest_sha256, vitrine::digest::sha256_hex(kit().manifest));
  EXPECT_EQ(v.library_sha256, vitrine::digest::sha256_hex(kit().library));
  EXPECT_EQ(v.key_id, key_id(kit().trusted_key.public_key));
  EXPECT_EQ(v.signer, "acme");
  EXPECT_TRUE(v.is_signed());
  EXPECT_EQ(v.manifest.id, "hello");
  EXPECT_EQ(v.manifest.library, "hello.so");
}

TEST(Bundle, SignerIsTheTrustedNameAmongSeveralKeys) {
  TrustedKeys keys{{"other", kit().other_key.public_key},
                   {"zz-acme", kit().trusted_key.public_key}};
  auto r = verify(kit().good, keys, false);
  ASSERT_TRUE(r.ok()) << r.refusal.text();
  EXPECT_EQ(r.verified->signer, "zz-acme");
}

TEST(Bundle, PackIsReproducible) {
  auto again = pack(kit().plugin, &kit().trusted_key);
  ASSERT_TRUE(again.ok) << again.refusal.text();
  EXPECT_EQ(again.bytes, kit().good);
  EXPECT_EQ(again.file_name, "hello-1.0.0.vitrine-plugin");
}

TEST(Bundle, PackAcceptsTheManifestFileAndManifestYml) {
  auto from_file = pack(kit().plugin / "hello.yml", &kit().trusted_key);
  ASSERT_TRUE(from_file.ok) << from_file.refusal.text();
  EXPECT_EQ(from_file.bytes, kit().good);
  // An author's source layout: manifest.yml beside the library. The bundle
  // still names the manifest entry hello.yml.
  const fs::path src = kit().dir / "src";
  fs::create_directories(src);
  spit(src / "manifest.yml", kit().manifest);
  spit(src / "hello.so", kit().library);
  auto from_src = pack(src, &kit().trusted_key);
  ASSERT_TRUE(from_src.ok) << from_src.refusal.text();
  EXPECT_EQ(from_src.bytes, kit().good);
}

TEST(Bundle, UnsignedBundleIsAcceptedOnlyWithAllowUnsigned) {
  auto packed = pack(kit().plugin, nullptr);
  ASSERT_TRUE(packed.ok) << packed.refusal.text();
  EXPECT_EQ(verify(packed.bytes, kit().trusted, false).refusal.rule, "bundle-unsigned");
  auto r = verify(packed.bytes, kit().trusted, true);
  ASSERT_TRUE(r.ok()) << r.refusal.text();
  EXPECT_FALSE(r.verified->is_signed());
  EXPECT_EQ(r.verified->signer, "");
  EXPECT_EQ(r.verified->library_sha256, vitrine::digest::sha256_hex(kit().library));
}

// A flipped byte in an unsigned bundle's entry is still caught by the digests.
TEST(Bundle, UnsignedBundleEntriesAreStillDigestChecked) {
  auto packed = pack(kit().plugin, nullptr);
  ASSERT_TRUE(packed.ok);
  std::string b = packed.bytes;
  b[b.size() - 100] = static_cast<char>(b[b.size() - 100] ^ 0x40);
  EXPECT_EQ(verify(b, kit().trusted, true).refusal.rule, "bundle-digest");
}

// A license signature can never be replayed as a bundle signature: the
// signed messages carry different domain labels.
TEST(Bundle, SigningMessageIsDomainSeparated) {
  const std::string m = signing_message("{}");
  EXPECT_EQ(m.substr(0, m.find('\0')), "vitrine-plugin/1 index");
  EXPECT_EQ(m.substr(m.find('\0') + 1), "{}");
}

TEST(Bundle, ReadBundleFileRefusesOversizedFileWithoutReadingIt) {
  const fs::path big = kit().dir / "big.vitrine-plugin";
  spit(big, "");
  fs::resize_file(big, kMaxBundleBytes + 1);  // sparse: no disk, no memory
  std::string bytes;
  auto r = read_bundle_file(big, bytes);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->rule, "bundle-too-large");
  EXPECT_TRUE(bytes.empty());
  fs::remove(big);

  const fs::path ok = kit().dir / "ok.vitrine-plugin";
  spit(ok, kit().good);
  EXPECT_FALSE(read_bundle_file(ok, bytes).has_value());
  EXPECT_EQ(bytes, kit().good);
}

// --- unsigned plugin directories ---------------------------------------

TEST(BundleDirectory, RefusedWithoutAllowUnsigned) {
  auto r = read_directory(kit().plugin, false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.refusal.rule, "bundle-unsigned");
  EXPECT_THAT(r.refusal.reason, HasSubstr("--allow-unsigned"));
}

TEST(BundleDirectory, SameShapeAsABundleWithSignerEmpty) {
  auto r = read_directory(kit().plugin, true);
  ASSERT_TRUE(r.ok()) << r.refusal.text();
  auto b = verify(kit().good, kit().trusted, false);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(r.verified->plugin_id, b.verified->plugin_id);
  EXPECT_EQ(r.verified->version, b.verified->version);
  EXPECT_EQ(r.verified->library_name, b.verified->library_name);
  EXPECT_EQ(r.verified->manifest_sha256, b.verified->manifest_sha256);
  EXPECT_EQ(r.verified->library_sha256, b.verified->library_sha256);
  EXPECT_EQ(r.verified->library_bytes, b.verified->library_bytes);
  EXPECT_EQ(r.verified->signer, "");
  EXPECT_EQ(r.verified->key_id, "");
}

struct DirCase {
  std::string name;
  std::function<void(const fs::path&)> arrange;  // given an empty directory
  std::string rule;
};

void PrintTo(const DirCase& c, std::ostream* os) { *os << c.name; }

class BundleDirectoryRefusal : public ::testing::TestWithParam<DirCase> {};

TEST_P(BundleDirectoryRefusal, RefusedWithItsRule) {
  const DirCase& c = GetParam();
  const fs::path d = kit().dir / ("dir-" + c.name);
  fs::create_directories(d);
  c.arrange(d);
  auto r = read_directory(d, true);
  ASSERT_FALSE(r.ok()) << c.name << " was accepted";
  EXPECT_EQ(r.refusal.rule, c.rule) << r.refusal.text();
  // pack() reads directories the same way, so it refuses the same.
  auto p = pack(d, &kit().trusted_key);
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.refusal.rule, c.rule) << p.refusal.text();
  EXPECT_TRUE(p.bytes.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Rules, BundleDirectoryRefusal,
    ::testing::Values(
        DirCase{"SymlinkedLibrary",
                [](const fs::path& d) {
                  spit(d / "hello.yml", kit().manifest);
                  fs::create_symlink(kit().plugin / "hello.so", d / "hello.so");
                },
                "bundle-path"},
        DirCase{"SymlinkedManifest",
                [](const fs::path& d) {
                  fs::create_symlink(kit().plugin / "hello.yml", d / "hello.yml");
                  spit(d / "hello.so", kit().library);
                },
                "bundle-path"},
        DirCase{"LibraryOverSizeLimit",
                [](const fs::path& d) {
                  spit(d / "hello.yml", kit().manifest);
                  spit(d / "hello.so", "");
                  fs::resize_file(d / "hello.so", kMaxLibraryBytes + 1);  // sparse
                },
                "bundle-too-large"},
        DirCase{"ManifestOverSizeLimit",
                [](const fs::path& d) {
                  spit(d / "hello.yml", kit().manifest + "#" + std::string(kMaxManifestBytes, 'x'));
                  spit(d / "hello.so", kit().library);
                },
                "bundle-too-large"},
        DirCase{"LibraryIsNotASharedObject",
                [](const fs::path& d) {
                  spit(d / "hello.yml", kit().manifest);
                  spit(d / "hello.so", "not an ELF file, but long enough to have a header......");
                },
                "bundle-mismatch"},
        DirCase{"LibraryMissing", [](const fs::path& d) { spit(d / "hello.yml", kit().manifest); },
                "bundle-unreadable"},
        DirCase{"ManifestInvalid",
                [](const fs::path& d) {
                  spit(d / "hello.yml", "plugin:\n  id: Hello\n");
                  spit(d / "hello.so", kit().library);
                },
                "bundle-manifest"},
        DirCase{"NoManifest", [](const fs::path& d) { spit(d / "hello.so", kit().library); },
                "bundle-format"},
        DirCase{"SeveralManifests",
                [](const fs::path& d) {
                  spit(d / "hello.yml", kit().manifest);
                  spit(d / "other.yml", kit().manifest);
                  spit(d / "hello.so", kit().library);
                },
                "bundle-format"}),
    [](const auto& info) { return info.param.name; });

// --- key files ---------------------------------------------------------

TEST(BundleKeys, KeygenWritesPrivate0600AndPublicAndNeverOverwrites) {
  const std::string prefix = (kit().dir / "publisher").string();
  std::string id;
  ASSERT_EQ(write_key_files(prefix, id), "");
  struct stat st {};
  ASSERT_EQ(::stat((prefix + ".key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  SigningKey key;
  ASSERT_EQ(read_signing_key(prefix + ".key", key), "");
  std::string pub;
  ASSERT_EQ(parse_public_key(slurp(prefix + ".pub"), pub), "");
  EXPECT_EQ(pub, key.public_key);
  EXPECT_EQ(key_id(pub), id);
  EXPECT_TRUE(valid_key_id(id));

  const std::string before = slurp(prefix + ".key");
  std::string id2;
  EXPECT_THAT(write_key_files(prefix, id2), HasSubstr("never overwrites"));
  EXPECT_EQ(slurp(prefix + ".key"), before);
}

TEST(BundleKeys, KeygenLeavesNothingWhenThePublicFileExists) {
  const std::string prefix = (kit().dir / "half").string();
  spit(prefix + ".pub", "someone else's\n");
  std::string id;
  EXPECT_NE(write_key_files(prefix, id), "");
  EXPECT_FALSE(fs::exists(prefix + ".key"));
  EXPECT_EQ(slurp(prefix + ".pub"), "someone else's\n");
}

TEST(BundleKeys, KeyFileReadableByOthersIsRefused) {
  const std::string prefix = (kit().dir / "loose").string();
  std::string id;
  ASSERT_EQ(write_key_files(prefix, id), "");
  fs::permissions(prefix + ".key", fs::perms::others_read, fs::perm_options::add);
  SigningKey key;
  EXPECT_THAT(read_signing_key(prefix + ".key", key), HasSubstr("chmod 600"));
}

TEST(BundleKeys, KeyFileWithMismatchedHalvesIsRefused) {
  const fs::path file = kit().dir / "mixed.key";
  spit(file,
       base64(kit().trusted_key.private_key) + " " + base64(kit().other_key.public_key) + "\n");
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
  SigningKey key;
  EXPECT_THAT(read_signing_key(file, key), HasSubstr("do not belong together"));
}

TEST(BundleKeys, PublicKeyMustBeOneLineOf32Bytes) {
  std::string raw;
  EXPECT_EQ(parse_public_key("  " + base64(kit().trusted_key.public_key) + "\n", raw), "");
  EXPECT_EQ(raw, kit().trusted_key.public_key);
  EXPECT_NE(parse_public_key(base64("short"), raw), "");
  EXPECT_NE(parse_public_key("not base64!", raw), "");
  EXPECT_NE(parse_public_key("", raw), "");
}
