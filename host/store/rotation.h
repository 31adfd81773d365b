// `vitrine keys rotate`: re-wraps every encrypted record (secrets, cache,
// assets) with the keyring's newest key. Each record is decrypted with the
// key it names, re-encrypted with the same binding (AAD) under the newest
// key, and replaced with a compare-and-swap update, so a record changed
// concurrently is left alone and counted. Old keys stay in the keyring so
// backups remain readable; remove them only after every backup that needs
// them is gone.
#pragma once

#include <functional>

#include "store/context.h"

namespace vitrine::store {

struct RotationReport {
  int64_t total = 0;
  int64_t rewrapped = 0;
  int64_t already_current = 0;
  int64_t failed = 0;   // could not decrypt (damaged or moved); left untouched
  int64_t skipped = 0;  // changed concurrently
};

using Progress = std::function<void(int64_t done, int64_t total)>;

Result<RotationReport> rewrap_all(const Context& ctx, const std::string& who,
                                  const Progress& progress = {});

}  // namespace vitrine::store
