#include "store/store.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "store/sqlite/sqlite_backend.h"

namespace vitrine::store {

Result<std::unique_ptr<Store>> Store::open(StoreOptions options) {
  const auto& dir = options.data_dir;
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return make_error(Errc::io, "cannot create data directory " + dir.string() + ": " +
                                    std::strerror(errno) + "; pass --data-dir DIR");
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return make_error(Errc::io, "data directory " + dir.string() + " is not a directory");
  }
  std::unique_ptr<Store> s(new Store());
  if (options.backend == "sqlite") {
    auto b = open_sqlite_backend(dir / kSqliteFileName);
    if (!b) return b.error();
    s->backend_ = std::move(*b);
  } else {
    return make_error(Errc::invalid, "storage backend '" + options.backend +
                                         "' is not available in this build; use sqlite");
  }
  s->audit_ = std::make_unique<AuditLog>(*s->backend_, options.now);
  if (options.log) s->log_ = std::make_unique<JsonLog>(*options.log);
  s->keyring_ = std::move(options.keyring);
  s->ctx_ = std::make_unique<Context>(Context{*s->backend_, *s->audit_,
                                              s->keyring_ ? &*s->keyring_ : nullptr, options.now,
                                              s->log_.get(), &s->changes_});
  s->cache_limits_ = options.cache_limits;
  s->asset_limits_ = options.asset_limits;
  return s;
}

}  // namespace vitrine::store
