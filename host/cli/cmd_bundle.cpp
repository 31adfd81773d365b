// `vitrine plugins keygen` and `vitrine plugins pack`: what a plugin author
// runs to make a signed bundle (docs/writing-a-plugin.md). Output names key
// ids and digests, never key material.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "bundle/bundle.h"
#include "bundle/keys.h"
#include "cli/commands.h"

namespace vitrine::cli {
namespace {

namespace fs = std::filesystem;

// Writes `bytes` to `file` through a temporary beside it and a rename, so a
// reader never sees a half-written bundle. Returns an error text or empty.
std::string write_atomically(const fs::path& file, const std::string& bytes) {
  const fs::path tmp = file.string() + ".tmp-" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return "cannot create " + tmp.string() + " (" + std::strerror(errno) + ")";
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  bool ok = done == bytes.size() && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), file.c_str()) != 0) {
    const std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    return "cannot write " + file.string() + " (" + err + "); check the directory and free space";
  }
  return {};
}

int pack_command(const std::string& source, const std::string& key_file, bool unsigned_bundle,
                 const std::string& out) {
  if (key_file.empty() == !unsigned_bundle) {
    std::cerr << "error: give --key KEYFILE to sign the bundle, or --unsigned for an unsigned "
                 "one (hosts install it only with --allow-unsigned)\n";
    return 2;
  }
  bundle::SigningKey key;
  if (!unsigned_bundle) {
    if (auto err = bundle::read_signing_key(key_file, key); !err.empty()) {
      std::cerr << "error: " << err << "\n";
      return 2;
    }
  }
  std::cout << "packing " << source << "\n";
  auto packed = bundle::pack(source, unsigned_bundle ? nullptr : &key);
  if (!packed.ok) {
    std::cerr << "error: " << packed.refusal.text() << "\n";
    return packed.refusal.rule == "bundle-unreadable" ? 2 : 1;
  }
  const auto& c = packed.contents;
  const fs::path target = out.empty() ? fs::path(packed.file_name) : fs::path(out);
  if (auto err = write_atomically(target, packed.bytes); !err.empty()) {
    std::cerr << "error: " << err << "\n";
    return 2;
  }
  std::cout << "  " << c.plugin_id << ".yml  " << c.manifest_bytes.size() << " bytes  sha256 "
            << c.manifest_sha256 << "\n"
            << "  " << c.library_name << "  " << c.library_bytes.size() << " bytes  sha256 "
            << c.library_sha256 << "\n"
            << "wrote " << target.string() << " (" << c.plugin_id << " " << c.version << ", "
            << packed.bytes.size() << " bytes, "
            << (c.is_signed() ? "signed with key " + c.key_id : std::string("UNSIGNED")) << ")\n";
  return 0;
}

}  // namespace

void add_bundle_commands(CLI::App& plugins_group, int& exit_code) {
  struct Options {
    std::string source;
    std::string key_file;
    bool unsigned_bundle = false;
    std::string out;
    std::string prefix;
  };
  auto o = std::make_shared<Options>();

  auto* pack = plugins_group.add_subcommand(
      "pack",
      "Pack a plugin (manifest and library) into a signed ID-VERSION.vitrine-plugin bundle; "
      "exit 1 if the plugin is refused");
  pack->add_option("source", o->source, "Plugin directory, or its manifest file")->required();
  pack->add_option("--key", o->key_file, "Private key file from 'vitrine plugins keygen'");
  pack->add_flag("--unsigned", o->unsigned_bundle,
                 "Make an unsigned bundle (hosts install it only with --allow-unsigned)");
  pack->add_option("--out", o->out, "Bundle file to write (default: ./ID-VERSION.vitrine-plugin)");
  pack->callback([o, &exit_code] {
    exit_code = pack_command(o->source, o->key_file, o->unsigned_bundle, o->out);
  });

  auto* keygen = plugins_group.add_subcommand(
      "keygen", "Generate a publisher signing key: PREFIX.key (private, 0600) and PREFIX.pub");
  keygen->add_option("--out", o->prefix, "File name prefix, e.g. keys/acme")->required();
  keygen->callback([o, &exit_code] {
    std::string id;
    if (auto err = bundle::write_key_files(o->prefix, id); !err.empty()) {
      std::cerr << "error: " << err << "\n";
      exit_code = 2;
      return;
    }
    std::cout << "wrote " << o->prefix << ".key (private: keep it secret, never commit it)\n"
              << "wrote " << o->prefix << ".pub (public: give it to the hosts that install "
              << "your plugins)\n"
              << "key id " << id << "\n";
    exit_code = 0;
  });
}

}  // namespace vitrine::cli
