// Moving an installation from one backend to another (`vitrine store
// migrate --to postgres://...`): every table is copied row for row through
// the Backend interface, records as sealed text (ciphertext and AAD stay
// identical, so the same keyring opens them), audit rows with their ids and
// chain links, and the chain anchor. Then each table is read back from both
// sides and compared by row count and a SHA-256 digest over its rows; only
// when all match does the target's transaction commit. A target that holds
// any data is refused, and the source is only read.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "store/backend.h"

namespace vitrine::store {

struct TableDigest {
  std::string table;
  int64_t rows = 0;
  std::string sha256;  // hex, over the table's rows in key order
};

// Every table's rows and digest, read through `db` (the same on both
// backends when the data is the same).
Result<std::vector<TableDigest>> digest_tables(Backend& db);

// Rows in `target` that make it not a fresh database; empty when it is.
Result<std::vector<std::string>> non_empty_tables(Backend& target);

// Copies `source` into the empty `target` and verifies it (see above).
// `progress` gets one line per table as it is copied and verified.
Result<std::vector<TableDigest>> migrate_store(
    Backend& source, Backend& target, const std::function<void(const std::string&)>& progress);

}  // namespace vitrine::store
