// Audit retention (docs/admin.md, "Audit"): `vitrine audit archive` exports
// the oldest rows to a JSON-lines file that ends with a signed checkpoint,
// then prunes exactly those rows in one transaction. The pruned-through
// anchor (last id, its link) stays in the database, so the rest of the chain
// still verifies; the archive's checkpoint proves that anchor was not moved.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "store/audit_chain.h"
#include "store/backend.h"
#include "store/crypto/keyring.h"

namespace vitrine::store {

struct ArchiveResult {
  int64_t rows = 0;
  int64_t last_id = 0;  // 0 when nothing was before the cut
  std::string last_link;
};

// Archives the rows from the start of the log up to (not including) the
// first row written at or after `before_ms`. Refuses when `out` exists, and
// refuses (archiving nothing) when the rows to archive do not verify.
// `progress` gets the rows exported so far.
Result<ArchiveResult> archive_audit(Backend& db, const crypto::Keyring& keyring, int64_t before_ms,
                                    const std::filesystem::path& out, int64_t now_ms,
                                    const std::function<void(int64_t, int64_t)>& progress = {});

// A signed checkpoint of the newest row (one JSON line), for keeping
// outside the host: `vitrine audit verify --checkpoint FILE` then detects a
// log rolled back to before it.
Result<std::string> checkpoint_audit(Backend& db, const crypto::Keyring& keyring, int64_t now_ms);

}  // namespace vitrine::store
