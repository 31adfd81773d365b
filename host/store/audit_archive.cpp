#include "store/audit_archive.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "store/json_log.h"

namespace vitrine::store {
namespace {

constexpr int64_t kBatch = 2000;

std::string row_json(const AuditRow& r) {
  return "{\"id\":" + std::to_string(r.id) + ",\"at\":" + std::to_string(r.at_ms) +
         ",\"who\":" + json_quote(r.who) + ",\"space\":" + json_quote(r.space) +
         ",\"space_id\":" + json_quote(r.space_id) + ",\"action\":" + json_quote(r.action) +
         ",\"subject\":" + json_quote(r.subject) + ",\"verdict\":" + json_quote(r.verdict) +
         ",\"detail\":" + (r.detail_json.empty() ? std::string("{}") : r.detail_json) +
         ",\"chain\":" + json_quote(r.chain) + "}\n";
}

Status write_all(int fd, const std::string& data, const std::filesystem::path& out) {
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return make_error(Errc::io, "writing " + out.string() + " failed: " + std::strerror(errno) +
                                      "; nothing was pruned; free space and run the archive again "
                                      "with a new --out");
    }
    off += static_cast<std::size_t>(n);
  }
  return ok_status();
}

}  // namespace

Result<ArchiveResult> archive_audit(Backend& db, const crypto::Keyring& keyring, int64_t before_ms,
                                    const std::filesystem::path& out, int64_t now_ms,
                                    const std::function<void(int64_t, int64_t)>& progress) {
  if (keyring.empty()) {
    return make_error(Errc::key,
                      "archiving the audit log signs a checkpoint with the keyring; "
                      "pass --key-file or set " +
                          std::string(crypto::kMasterKeyEnv));
  }
  auto state = db.audit_chain_state();
  if (!state) return state.error();
  // O_EXCL: an existing archive is never overwritten.
  const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return make_error(Errc::conflict, "[audit-archive-exists] " + out.string() +
                                            " already exists; archives are never overwritten: "
                                            "choose a new --out");
    }
    return make_error(Errc::io, "cannot create " + out.string() + ": " + std::strerror(errno));
  }
  auto abandon = [&](Error e) -> Result<ArchiveResult> {
    ::close(fd);
    std::error_code ec;
    std::filesystem::remove(out, ec);
    return e;
  };

  ArchiveResult res;
  const int64_t genesis = state->genesis_after_id;
  std::string prev =
      state->pruned_through_id > genesis ? state->pruned_through_hash : audit_genesis_link(genesis);
  int64_t after = state->pruned_through_id;
  bool done = false;
  while (!done) {
    auto rows = db.audit_rows_after(after, kBatch);
    if (!rows) return abandon(rows.error());
    if (rows->empty()) break;
    std::string chunk;
    for (const auto& r : *rows) {
      if (r.at_ms >= before_ms) {
        done = true;
        break;
      }
      if (r.id > genesis) {
        // Archiving a broken chain would replace the evidence with a clean
        // anchor: refuse and point at verify.
        if (r.chain != audit_link(prev, r)) {
          return abandon(make_error(Errc::invalid,
                                    "[audit-chain-broken] row " + std::to_string(r.id) +
                                        " does not match its chain link; nothing was archived or "
                                        "pruned; run 'vitrine audit verify' and keep this database "
                                        "as evidence"));
        }
        prev = r.chain;
      }
      chunk += row_json(r);
      res.rows++;
      res.last_id = r.id;
      res.last_link = r.id > genesis ? r.chain : std::string();
    }
    if (auto st = write_all(fd, chunk, out); !st) return abandon(st.error());
    after = rows->back().id;
    if (progress) progress(res.rows, res.last_id);
  }
  if (res.rows == 0) {
    return abandon(make_error(Errc::not_found,
                              "no audit rows before the given time (or all were archived "
                              "already); nothing was archived"));
  }
  AuditCheckpoint cp;
  cp.last_id = res.last_id;
  cp.hash = res.last_link;
  cp.count = res.rows;
  cp.created_at_ms = now_ms;
  auto line = sign_checkpoint(cp, keyring);
  if (!line) return abandon(line.error());
  if (auto st = write_all(fd, *line + "\n", out); !st) return abandon(st.error());
  // The archive is on disk before a single row goes.
  if (::fsync(fd) != 0) {
    return abandon(make_error(Errc::io, "syncing " + out.string() + " failed: " +
                                            std::strerror(errno) + "; nothing was pruned"));
  }
  ::close(fd);
  Status st = db.transaction([&]() -> Status {
    auto again = db.audit_chain_state();
    if (!again) return again.error();
    if (again->pruned_through_id != state->pruned_through_id) {
      return make_error(Errc::conflict,
                        "another archive ran at the same time; nothing was pruned by this one; "
                        "delete " +
                            out.string() + " and run the archive again");
    }
    return db.prune_audit(res.last_id, res.last_link, res.rows);
  });
  if (!st) {
    Error e = st.error();
    e.message += " (the archive " + out.string() + " was written, but its rows were not pruned)";
    return e;
  }
  return res;
}

Result<std::string> checkpoint_audit(Backend& db, const crypto::Keyring& keyring, int64_t now_ms) {
  auto last = db.last_audit_row();
  if (!last) return last.error();
  auto state = db.audit_chain_state();
  if (!state) return state.error();
  AuditCheckpoint cp;
  if (last->id == 0) {
    // Everything was pruned: the anchor is the newest link.
    cp.last_id = state->pruned_through_id;
    cp.hash = state->pruned_through_hash;
  } else {
    cp.last_id = last->id;
    cp.hash = last->chain;
  }
  cp.created_at_ms = now_ms;
  return sign_checkpoint(cp, keyring);
}

}  // namespace vitrine::store
