// Where licenses live in the data directory, and the development-license
// flow. Files (all 0600):
//   license.json        the installed license (copied by `license install`)
//   license-clock       the clock high-water mark (ClockGuard)
//   dev-license.key     a locally generated development signing key
//   dev-license.json    a development license signed with it
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "license/verifier.h"

namespace vitrine::license {

struct LoadResult {
  bool ok = false;
  bool present = false;  // a license file exists
  License license;
  std::string rule;
  std::string reason;
};

// The trusted keys for this host: the vendor keys, plus the local
// development key when `dev_mode` and one exists in `data_dir`.
std::vector<TrustedKey> trusted_keys(const std::filesystem::path& data_dir, bool dev_mode);

// Verifies `file` (clock guard included when data_dir is not empty).
LoadResult verify_file(const std::filesystem::path& file, const std::filesystem::path& data_dir,
                       bool dev_mode, int64_t now);

// Loads the installed license: dev-license.json in dev mode when present,
// else license.json.
LoadResult load_installed(const std::filesystem::path& data_dir, bool dev_mode, int64_t now);

// Verifies and copies `file` to data_dir/license.json. Returns the result.
LoadResult install(const std::filesystem::path& file, const std::filesystem::path& data_dir,
                   bool dev_mode, int64_t now);

// Creates (or reuses) the development key and writes dev-license.json for
// `features`, valid for `days`. Returns an error text, or empty on success.
std::string write_dev_license(const std::filesystem::path& data_dir,
                              const std::vector<std::string>& features, const std::string& licensee,
                              int days, int64_t now);

}  // namespace vitrine::license
