// The embedded SQLite backend (the default): one database file under the data
// directory, WAL journal, foreign keys on, a busy timeout, versioned
// migrations, BEGIN IMMEDIATE write transactions, periodic WAL checkpoints
// and storage errors that name their cause (disk full, busy, permissions,
// damage). All SQL of this backend lives in sqlite_backend.cpp.
//
// No change announcements: wait_for_change() is the Backend default (sleep,
// false), so the reconciler polls the change feed. Several processes on one
// file (a server beside the CLI) are supported, and SQLite has no channel
// by which one process's commit could wake another; the feed read is a
// cheap local SELECT.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>

#include "store/backend.h"

namespace vitrine::store {

inline constexpr const char* kSqliteFileName = "vitrine.db";

// How long a writer waits for another process's write lock before it fails
// with "the database is busy: ..." naming the likely holder (the server's
// pid from <data_dir>/serve.lock). The server keeps this documented 5 s;
// the CLI sets a longer deadline (cmd_store_common.cpp). Process-wide, read
// when a backend opens.
inline constexpr std::chrono::milliseconds kDefaultBusyTimeout{5000};
void set_busy_timeout(std::chrono::milliseconds timeout);
std::chrono::milliseconds busy_timeout();

// True for that "database is busy" error: retrying later may succeed.
bool is_busy_error(const Error& e);

// Opens (creating when missing) `db_path`, applies pending migrations, and
// sets the file mode to 0600.
Result<std::unique_ptr<Backend>> open_sqlite_backend(const std::filesystem::path& db_path);

}  // namespace vitrine::store
