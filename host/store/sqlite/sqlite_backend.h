// The embedded SQLite backend (the default): one database file under the data
// directory, WAL journal, foreign keys on, a busy timeout, versioned
// migrations. All SQL of this backend lives in sqlite_backend.cpp.
#pragma once

#include <filesystem>
#include <memory>

#include "store/backend.h"

namespace vitrine::store {

inline constexpr const char* kSqliteFileName = "vitrine.db";

// Opens (creating when missing) `db_path`, applies pending migrations, and
// sets the file mode to 0600.
Result<std::unique_ptr<Backend>> open_sqlite_backend(const std::filesystem::path& db_path);

}  // namespace vitrine::store
