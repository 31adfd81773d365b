// Installing and showing the license, shared by `vitrine license
// install|show`, PUT/GET /api/v1/license and the console's License page.
// The license file lives in the data directory (license/license_files.h);
// an install is audited ("license.install") and bumps the change feed, so
// every running host applies it within a second.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "license/license_files.h"
#include "store/store.h"

namespace vitrine::reconcile {

// Verifies `file` and copies it to <data_dir>/license.json. On refusal the
// result carries the rule and the reason, nothing is installed and nothing
// is audited. `store` may be null (no database yet: no server to tell).
license::LoadResult install_license(store::Store* store, const std::string& who,
                                    const std::filesystem::path& file,
                                    const std::filesystem::path& data_dir, bool dev_mode,
                                    int64_t now_s);

// The same for license text received over HTTP (at most kMaxLicenseBytes):
// written to a private temporary file in data_dir first.
inline constexpr std::size_t kMaxLicenseBytes = 64 * 1024;
license::LoadResult install_license_text(store::Store* store, const std::string& who,
                                         const std::string& text,
                                         const std::filesystem::path& data_dir, bool dev_mode,
                                         int64_t now_s);

// Whole days until `expires` (seconds since the epoch), rounded down;
// negative once expired. The console warns at kLicenseWarnDays or fewer.
inline constexpr int64_t kLicenseWarnDays = 14;
int64_t days_left(int64_t expires_s, int64_t now_s);

}  // namespace vitrine::reconcile
