// The PostgreSQL backend: several hosts share one database (docs/deploy.md).
//
// Written against libpq directly rather than Poco::Data::PostgreSQL: libpq
// gives the SQLSTATE of every failure (a unique violation is a conflict, a
// lock timeout is "busy", a lost connection is reported and retried, never
// confused with a bad query), takes the connection URL and TLS options
// (sslmode, sslrootcert) exactly as PostgreSQL documents them, and is what
// Debian ships as libpq-dev. Every query is parameterised (PQexecParams);
// no value is ever spliced into SQL text.
//
// Semantics match the SQLite backend (sqlite_backend.h):
//   * transaction() takes one cluster-wide write lock
//     (pg_advisory_xact_lock) before running `fn`, so writers of every host
//     run one after another exactly as SQLite's BEGIN IMMEDIATE orders the
//     writers of every process; waiting longer than busy_timeout() fails with
//     "the database is busy: ..." (is_busy_error). transaction_on(keys)
//     takes one advisory lock per key instead (in another lock space), for
//     rate-limit buckets that no other writer touches.
//   * Versioned migrations in schema_migrations, applied under that lock; a
//     database whose schema is newer than this binary knows is refused.
//   * The audit table is append-only (triggers refuse UPDATE, TRUNCATE and any
//     DELETE of a row the chain anchor does not cover).
//   * Records are stored as the text crypto::seal produced: ciphertext and AAD
//     are identical on both backends.
//   * bump_change_feed() also sends NOTIFY vitrine_change_feed (payload: the
//     new seq) inside the writer's transaction, so PostgreSQL delivers it at
//     commit and never for a rollback. wait_for_change() LISTENs on a second
//     connection of its own (application_name vitrine-listen), opened on
//     first use and again after it was lost, so a waiting thread never holds
//     the main connection or its mutex.
// All SQL of this backend lives in postgres_backend.cpp.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "store/backend.h"

namespace vitrine::store {

struct PostgresOptions {
  // postgres://user@host:port/db?sslmode=verify-full&sslrootcert=/path
  // (libpq's URI syntax, without a password).
  std::string url;
  std::string password;  // empty: none (peer/trust/certificate authentication)
  // False: a database without Vitrine's schema is refused instead of being
  // initialised (the data directory says this installation has data).
  bool allow_create = true;
  // store.notify: LISTEN for change feed announcements on a second
  // connection, so wait_for_change() wakes at a commit of another host.
  // False (a pooler in transaction mode, which cannot keep a LISTEN) leaves
  // the reconciler polling. Every bump still sends NOTIFY either way.
  bool listen = true;
};

// The url with any password removed, safe for messages and logs.
std::string redact_postgres_url(const std::string& url);

// The password in `file` (store.password_file), checked by the keyring
// file's rules (crypto/private_file.h); one trailing newline is dropped.
Result<std::string> read_postgres_password(const std::filesystem::path& file);

// Connects, applies pending migrations and checks the schema version.
Result<std::unique_ptr<Backend>> open_postgres_backend(const PostgresOptions& options);

// Sets where the audit chain starts (AuditChainState::genesis_after_id) on
// a PostgreSQL backend whose audit table is still empty: a copied
// installation keeps its pre-chain rows unchained (`vitrine store migrate`).
Status set_postgres_audit_genesis(Backend& postgres, int64_t genesis_after_id);

// The number of migrations this binary knows (the schema version it writes).
int postgres_schema_version_known();

}  // namespace vitrine::store
