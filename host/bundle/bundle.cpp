#include "bundle/bundle.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "bundle/format.h"
#include "bundle/index.h"
#include "bundle/plugin_files.h"
#include "digest/sha256.h"
#include "license/verifier.h"

namespace vitrine::bundle {
namespace {

VerifyResult refused(std::string rule, std::string reason) {
  VerifyResult r;
  r.refusal = Refusal{std::move(rule), std::move(reason)};
  return r;
}

VerifyResult refused(const Refusal& refusal) { return refused(refusal.rule, refusal.reason); }

// The trusted key whose id the bundle names, or null.
const TrustedKeys::value_type* find_key(const TrustedKeys& trusted, const std::string& id) {
  for (const auto& entry : trusted) {
    if (entry.second.size() == 32 && key_id(entry.second) == id) return &entry;
  }
  return nullptr;
}

// Checks the signature over the index. Runs before the index is parsed, so
// any change to the index is a signature failure, never a parse error.
std::optional<Refusal> check_signature(const Frame& frame, const TrustedKeys& trusted,
                                       bool allow_unsigned, std::string& signer) {
  if (frame.key_id.empty()) {
    if (allow_unsigned) return std::nullopt;
    return Refusal{"bundle-unsigned",
                   "the bundle is not signed; ask the publisher for a signed bundle, or install "
                   "it with --allow-unsigned if you trust its source (it is then marked "
                   "unsigned in every listing and audit record)"};
  }
  const auto* key = find_key(trusted, frame.key_id);
  if (key == nullptr) {
    return Refusal{"bundle-untrusted-key",
                   "the bundle is signed by key " + frame.key_id +
                       ", which this host does not trust; if you trust the publisher, add "
                       "their public key with 'vitrine plugins trust add PUBKEY --name NAME'"};
  }
  if (!license::ed25519_verify(key->second, signing_message(frame.index), frame.signature)) {
    return Refusal{"bundle-signature",
                   "the bundle's signature does not verify with trusted key '" + key->first +
                       "' (" + frame.key_id +
                       "): the bundle was changed after it was signed, or signed with another "
                       "key; do not install it, get it again from the publisher"};
  }
  signer = key->first;
  return std::nullopt;
}

// Entry names, types, duplicates, count and sizes: everything about the
// entries that the index alone can tell.
std::optional<Refusal> check_entries(const Index& index) {
  Refusal r;
  std::set<std::string> seen;
  for (const auto& e : index.entries) {
    if (!check_entry_name(e.name, r)) return r;
    if (e.type != "file") {
      return Refusal{"bundle-path",
                     "the entry '" + e.name + "' is a " +
                         (e.type.empty() ? std::string("entry of no type") : "'" + e.type + "'") +
                         ", not a regular file; a bundle holds only regular files, "
                         "so do not install it"};
    }
    if (!seen.insert(e.name).second) {
      return Refusal{"bundle-duplicate",
                     "the entry '" + e.name +
                         "' appears twice; which copy would be installed is ambiguous, so the "
                         "bundle is refused; pack the plugin again"};
    }
  }
  if (index.entries.size() != 2) {
    return Refusal{"bundle-format", "the bundle has " + std::to_string(index.entries.size()) +
                                        " entries; it must hold exactly the manifest and the "
                                        "library, so pack the plugin again"};
  }
  const auto& manifest = index.entries[0];
  const auto& library = index.entries[1];
  if (manifest.name != index.plugin + ".yml") {
    return Refusal{"bundle-mismatch", "the first entry is '" + manifest.name +
                                          "' but the manifest of plugin '" + index.plugin +
                                          "' must be '" + index.plugin +
                                          ".yml'; pack the plugin again"};
  }
  if (manifest.size > kMaxManifestBytes) {
    return Refusal{"bundle-too-large", "the manifest entry is " + std::to_string(manifest.size) +
                                           " bytes, over the " + std::to_string(kMaxManifestBytes) +
                                           "-byte limit"};
  }
  if (library.size > kMaxLibraryBytes) {
    return Refusal{"bundle-too-large",
                   "the library entry '" + library.name + "' is " + std::to_string(library.size) +
                       " bytes, over the " + std::to_string(kMaxLibraryBytes) +
                       "-byte limit; strip the library (e.g. -s) or split the plugin"};
  }
  return std::nullopt;
}

// The manifest, index and library must describe the same plugin.
std::optional<Refusal> check_agreement(const Index& index, const manifest::Manifest& m) {
  auto mismatch = [](const std::string& what) {
    return Refusal{"bundle-mismatch",
                   what +
                       "; the bundle's parts do not describe one plugin, so do not install "
                       "it and pack the plugin again"};
  };
  if (m.id != index.plugin) {
    return mismatch("the manifest's plugin id is '" + m.id + "' but the index says '" +
                    index.plugin + "'");
  }
  if (m.version != index.version) {
    return mismatch("the manifest's version is " + m.version + " but the index says " +
                    index.version);
  }
  if (m.library != index.entries[1].name) {
    return mismatch("the manifest names library '" + m.library + "' but the bundle holds '" +
                    index.entries[1].name + "'");
  }
  return std::nullopt;
}

}  // namespace

VerifyResult verify(std::string_view bytes, const TrustedKeys& trusted, bool allow_unsigned) {
  Frame frame;
  Refusal r;
  if (!decode(bytes, frame, r)) return refused(r);
  std::string signer;
  if (auto bad = check_signature(frame, trusted, allow_unsigned, signer)) return refused(*bad);

  Index index;
  if (!parse_index(frame.index, index, r)) return refused(r);
  if (index.key_id != frame.key_id) {
    if (frame.key_id.empty()) {
      return refused("bundle-signature",
                     "the index names signing key " + index.key_id +
                         " but the bundle carries no signature: it was removed; do not install "
                         "it, get the signed bundle from the publisher");
    }
    return refused("bundle-format", "the signed index names key '" + index.key_id +
                                        "' but the bundle's key line names " + frame.key_id +
                                        "; pack the plugin again");
  }
  if (auto bad = check_entries(index)) return refused(*bad);

  const auto& me = index.entries[0];
  const auto& le = index.entries[1];
  const uint64_t expected = me.size + le.size;
  if (frame.payload.size() < expected) {
    return refused("bundle-truncated",
                   "the bundle ends " + std::to_string(expected - frame.payload.size()) +
                       " bytes short of its entries; the file was cut short, so copy or "
                       "download it again");
  }
  if (frame.payload.size() > expected) {
    return refused("bundle-format", "the bundle has " +
                                        std::to_string(frame.payload.size() - expected) +
                                        " bytes after its last entry; pack the plugin again");
  }
  Verified v;
  v.manifest_bytes.assign(frame.payload.substr(0, me.size));
  v.library_bytes.assign(frame.payload.substr(me.size, le.size));
  v.manifest_sha256 = digest::sha256_hex(v.manifest_bytes);
  v.library_sha256 = digest::sha256_hex(v.library_bytes);
  for (const auto* pair : {&me, &le}) {
    const auto& actual = pair == &me ? v.manifest_sha256 : v.library_sha256;
    if (actual != pair->sha256) {
      return refused("bundle-digest",
                     "the entry '" + pair->name + "' does not match the SHA-256 in the " +
                         (frame.key_id.empty() ? "index" : "signed index") +
                         ": it was changed or damaged after packing; do not install it, get the "
                         "bundle again");
    }
  }
  if (!check_manifest(v.manifest_bytes, me.name, v.manifest, r)) return refused(r);
  if (auto bad = check_agreement(index, v.manifest)) return refused(*bad);
  if (!check_library(v.library_bytes, le.name, r)) return refused(r);

  v.plugin_id = index.plugin;
  v.version = index.version;
  v.library_name = le.name;
  v.key_id = frame.key_id;
  v.signer = signer;
  VerifyResult out;
  out.verified = std::move(v);
  return out;
}

VerifyResult read_directory(const std::filesystem::path& source, bool allow_unsigned) {
  if (!allow_unsigned) {
    return refused("bundle-unsigned",
                   source.string() +
                       " is a plugin directory, which carries no signature; install a signed "
                       "bundle ('vitrine plugins pack DIR --key KEY' makes one), or pass "
                       "--allow-unsigned if you trust its source (it is then marked unsigned "
                       "in every listing and audit record)");
  }
  PluginFiles files;
  Refusal r;
  if (!read_plugin_files(source, files, r)) return refused(r);
  Verified v;
  v.plugin_id = files.manifest.id;
  v.version = files.manifest.version;
  v.library_name = files.manifest.library;
  v.manifest_sha256 = digest::sha256_hex(files.manifest_bytes);
  v.library_sha256 = digest::sha256_hex(files.library_bytes);
  v.manifest_bytes = std::move(files.manifest_bytes);
  v.library_bytes = std::move(files.library_bytes);
  v.manifest = std::move(files.manifest);
  VerifyResult out;
  out.verified = std::move(v);
  return out;
}

std::optional<Refusal> read_bundle_file(const std::filesystem::path& file, std::string& out) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return Refusal{"bundle-unreadable", "cannot open " + file.string() + " (" +
                                            std::strerror(errno) +
                                            "); check the path and its permissions"};
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Refusal{"bundle-unreadable", file.string() + " is not a regular file"};
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxBundleBytes) {
    ::close(fd);
    return Refusal{"bundle-too-large", file.string() + " is " + std::to_string(st.st_size) +
                                           " bytes, over the " + std::to_string(kMaxBundleBytes) +
                                           "-byte bundle limit; it is not a plugin bundle"};
  }
  out.assign(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  if (done != out.size()) {
    return Refusal{"bundle-unreadable",
                   "cannot read all of " + file.string() + "; it changed while being read"};
  }
  return std::nullopt;
}

PackResult pack(const std::filesystem::path& source, const SigningKey* key) {
  PackResult result;
  PluginFiles files;
  if (!read_plugin_files(source, files, result.refusal)) return result;
  const auto& m = files.manifest;

  Index index;
  index.plugin = m.id;
  index.version = m.version;
  index.key_id = key != nullptr ? key_id(key->public_key) : std::string();
  index.entries.push_back(Entry{m.id + ".yml", "file", files.manifest_bytes.size(),
                                digest::sha256_hex(files.manifest_bytes)});
  index.entries.push_back(Entry{m.library, "file", files.library_bytes.size(),
                                digest::sha256_hex(files.library_bytes)});
  const std::string index_bytes = to_json(index);
  if (index_bytes.size() > kMaxIndexBytes) {
    result.refusal = Refusal{"bundle-too-large", "the index would exceed its size limit"};
    return result;
  }
  std::string signature;
  if (key != nullptr) {
    signature = license::ed25519_sign(key->private_key, signing_message(index_bytes));
    if (signature.size() != kSignatureBytes) {
      result.refusal =
          Refusal{"bundle-signature", "signing failed (OpenSSL); check the key file and try again"};
      return result;
    }
  }
  std::string bytes =
      encode(index.key_id, index_bytes, signature, {files.manifest_bytes, files.library_bytes});

  // Read the bundle back exactly as a host would; a bundle that would be
  // refused is never handed out.
  TrustedKeys self;
  if (key != nullptr) self["publisher"] = key->public_key;
  auto check = verify(bytes, self, key == nullptr);
  if (!check.ok()) {
    result.refusal = check.refusal;
    return result;
  }
  result.bytes = std::move(bytes);
  result.file_name = m.id + "-" + m.version + std::string(kFileSuffix);
  result.contents = std::move(*check.verified);
  result.contents.signer.clear();  // "publisher" was this check's own name, not a host's
  result.ok = true;
  return result;
}

}  // namespace vitrine::bundle
