#include "store/migrate.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "digest/sha256.h"
#include "store/crypto/encoding.h"
#include "store/postgres/postgres_backend.h"

namespace vitrine::store {
namespace {

using Rows = std::vector<std::string>;

// One row as length-prefixed fields: no two different rows encode alike.
class Encoder {
 public:
  Encoder& operator<<(const std::string& v) {
    out_ += std::to_string(v.size()) + ":" + v + ";";
    return *this;
  }
  Encoder& operator<<(int64_t v) { return *this << std::to_string(v); }
  Encoder& operator<<(bool v) { return *this << std::string(v ? "1" : "0"); }
  std::string str() const { return out_; }

 private:
  std::string out_;
};

// One table: how to read its rows (encoded, any order) and how to copy them.
struct Table {
  const char* name;
  std::function<Result<Rows>(Backend&)> read;
  std::function<Result<int64_t>(Backend& from, Backend& to)> copy;
};

template <class T>
Result<Rows> encode_all(Result<std::vector<T>> rows,
                        const std::function<std::string(const T&)>& f) {
  if (!rows) return rows.error();
  Rows out;
  for (const auto& r : *rows) out.push_back(f(r));
  return out;
}

Result<std::vector<SpaceRow>> spaces_of(Backend& db) { return db.list_spaces(); }

// Runs `each` for every space of `db`, appending what it returns.
template <class T>
Result<std::vector<T>> per_space(
    Backend& db, const std::function<Result<std::vector<T>>(const SpaceRow&)>& each) {
  auto spaces = db.list_spaces();
  if (!spaces) return spaces.error();
  std::vector<T> out;
  for (const auto& sp : *spaces) {
    auto rows = each(sp);
    if (!rows) return rows.error();
    out.insert(out.end(), rows->begin(), rows->end());
  }
  return out;
}

Result<std::vector<SecretRow>> secrets_of(Backend& db) {
  auto refs = db.list_encrypted();
  if (!refs) return refs.error();
  std::vector<SecretRow> out;
  for (const auto& ref : *refs) {
    if (ref.table != RecordTable::secret) continue;
    auto row = db.get_secret(ref.space, ref.a);
    if (!row) return row.error();
    out.push_back(*row);
  }
  return out;
}

Result<std::vector<CacheRow>> cache_of(Backend& db) {
  auto refs = db.list_encrypted();
  if (!refs) return refs.error();
  std::vector<CacheRow> out;
  for (const auto& ref : *refs) {
    if (ref.table != RecordTable::cache) continue;
    auto row = db.get_cache(ref.space, ref.a, ref.b);
    if (!row) return row.error();
    out.push_back(*row);
  }
  return out;
}

Result<std::vector<AssetRow>> assets_of(Backend& db) {
  return per_space<AssetRow>(db, [&](const SpaceRow& sp) -> Result<std::vector<AssetRow>> {
    auto list = db.list_assets(sp.key);
    if (!list) return list.error();
    std::vector<AssetRow> out;
    for (const auto& a : *list) {
      auto full = db.get_asset(sp.key, a.id);
      if (!full) return full.error();
      out.push_back(*full);
    }
    return out;
  });
}

Result<std::vector<AuditRow>> audit_of(Backend& db) {
  std::vector<AuditRow> out;
  int64_t after = 0;
  for (;;) {
    auto batch = db.audit_rows_after(after, 1000);
    if (!batch) return batch.error();
    if (batch->empty()) return out;
    after = batch->back().id;
    out.insert(out.end(), batch->begin(), batch->end());
  }
}

// Copies the rows `list` returns with `put`; returns how many.
template <class T>
Result<int64_t> copy_rows(Result<std::vector<T>> rows, const std::function<Status(const T&)>& put) {
  if (!rows) return rows.error();
  for (const auto& r : *rows) {
    if (auto st = put(r); !st) return st.error();
  }
  return static_cast<int64_t>(rows->size());
}

// Not copied: render_leases. A lease says which host renders a cache entry
// for the next few seconds; on the target no host holds one yet, and a
// copied lease could only delay the first render there.
// Not copied either: upstream_flights (store/upstream_flights.h). Its rows
// say which host sends an upstream request now and hold that response for
// a few seconds; on the target nothing is in flight.
const std::vector<Table>& tables() {
  static const std::vector<Table> t = {
      {"spaces",
       [](Backend& db) {
         return encode_all<SpaceRow>(spaces_of(db), [](const SpaceRow& r) {
           return (Encoder() << r.key << r.display_name << r.created_at_ms << r.created_by
                             << r.grafana_origin << r.grafana_allow_private << r.connected_at_ms
                             << r.connected_by << r.id)
               .str();
         });
       },
       [](Backend& from, Backend& to) {
         return copy_rows<SpaceRow>(spaces_of(from), [&](const SpaceRow& r) -> Status {
           if (auto st = to.insert_space(r); !st) return st;
           if (r.connected_at_ms == 0 && r.grafana_origin.empty()) return ok_status();
           return to.set_space_origin(r.key, r.grafana_origin, r.grafana_allow_private,
                                      r.connected_at_ms, r.connected_by);
         });
       }},
      {"customer_origins",
       [](Backend& db) {
         return encode_all<CustomerOriginRow>(
             per_space<CustomerOriginRow>(
                 db, [&](const SpaceRow& sp) { return db.list_customer_origins(sp.key); }),
             [](const CustomerOriginRow& r) {
               return (Encoder() << r.space << r.origin << r.plugin_id << r.entry << r.allow_private
                                 << r.approved_at_ms << r.approved_by)
                   .str();
             });
       },
       [](Backend& from, Backend& to) {
         return copy_rows<CustomerOriginRow>(
             per_space<CustomerOriginRow>(
                 from, [&](const SpaceRow& sp) { return from.list_customer_origins(sp.key); }),
             [&](const CustomerOriginRow& r) { return to.upsert_customer_origin(r); });
       }},
      {"secrets",
       [](Backend& db) {
         return encode_all<SecretRow>(secrets_of(db), [](const SecretRow& r) {
           return (Encoder() << r.space << r.name << r.origin << r.record << r.set_at_ms
                             << r.set_by)
               .str();
         });
       },
       [](Backend& from, Backend& to) {
         return copy_rows<SecretRow>(secrets_of(from),
                                     [&](const SecretRow& r) { return to.put_secret(r); });
       }},
      {"plugin_approvals",
       [](Backend& db) {
         return encode_all<ApprovalRow>(db.list_approvals(std::nullopt), [](const ApprovalRow& r) {
           return (Encoder() << r.id << r.plugin_id << r.version << r.permissions_json
                             << r.permissions_hash << r.approved_at_ms << r.approved_by
                             << r.manifest_sha256 << r.library_sha256 << r.withdrawn_at_ms
                             << r.withdrawn_by)
               .str();
         });
       },
       [](Backend& from, Backend& to) {
         return copy_rows<ApprovalRow>(from.list_approvals(std::nullopt),
                                       [&](const ApprovalRow& r) -> Status {
                                         auto id = to.insert_approval(r);
                                         if (!id) return id.error();
                                         if (*id != r.id) {
                                           return make_error(Errc::io,
                                                             "the target did not keep approval "
                                                             "id " +
                                                                 std::to_string(r.id));
                                         }
                                         return ok_status();
                                       });
       }},
      {"plugin_enablement",
       [](Backend& db) {
         return encode_all<EnablementRow>(
             per_space<EnablementRow>(db,
                                      [&](const SpaceRow& sp) { return db.list_enabled(sp.key); }),
             [](const EnablementRow& r) {
               return (Encoder() << r.space << r.plugin_id << r.enabled_at_ms << r.enabled_by)
                   .str();
             });
       },
       [](Backend& from, Backend& to) {
         return copy_rows<EnablementRow>(
             per_space<EnablementRow>(
                 from, [&](const SpaceRow& sp) { return from.list_enabled(sp.key); }),
             [&](const EnablementRow& r) { return to.set_enabled(r); });
       }},
      {"plugin_artifacts",
       [](Backend& db) {
         return encode_all<ArtifactRow>(db.list_artifacts(), [](const ArtifactRow& r) {
           return (Encoder() << r.plugin_id << r.version << r.manifest_sha256 << r.library_sha256
                             << r.manifest_path << r.signer << r.source << r.installed_at_ms
                             << r.installed_by)
               .str();
         });
       },
       [](Backend& from, Backend& to) {
         return copy_rows<ArtifactRow>(from.list_artifacts(),
                                       [&](const ArtifactRow& r) { return to.insert_artifact(r); });
       }},
      {"plugin_pins",
       [](Backend& db) {
         return encode_all<PinRow>(db.list_pins(), [](const PinRow& r) {
           return (Encoder() << r.plugin_id << r.version << r.pinned_at_ms << r.pinned_by).str();
         });
       },
       [](Backend& from, Backend& to) {
         return copy_rows<PinRow>(from.list_pins(), [&](const PinRow& r) { return to.set_pin(r); });
       }},
      {"trusted_publishers",
       [](Backend& db) {
         return encode_all<PublisherRow>(db.list_publishers(), [](const PublisherRow& r) {
           return (Encoder() << r.name << r.public_key << r.added_at_ms << r.added_by).str();
         });
       },
       [](Backend& from, Backend& to) {
         return copy_rows<PublisherRow>(
             from.list_publishers(), [&](const PublisherRow& r) { return to.insert_publisher(r); });
       }},
      {"cache_entries",
       [](Backend& db) {
         return encode_all<CacheRow>(cache_of(db), [](const CacheRow& r) {
           return (Encoder() << r.space << r.plugin_id << r.key_hash << r.record << r.size
                             << r.fetched_at_ms << r.fresh_until_ms << r.stale_until_ms
                             << r.last_access_ms)
               .str();
         });
       },
       [](Backend& from, Backend& to) {
         return copy_rows<CacheRow>(cache_of(from),
                                    [&](const CacheRow& r) { return to.put_cache(r); });
       }},
      {"assets",
       [](Backend& db) {
         return encode_all<AssetRow>(assets_of(db), [](const AssetRow& r) {
           return (Encoder() << r.space << r.id << r.content_type << r.record << r.size
                             << r.created_at_ms)
               .str();
         });
       },
       [](Backend& from, Backend& to) {
         return copy_rows<AssetRow>(assets_of(from),
                                    [&](const AssetRow& r) { return to.put_asset(r); });
       }},
      {"admin_tokens",
       [](Backend& db) {
         return encode_all<AdminTokenRow>(db.list_admin_tokens(), [](const AdminTokenRow& r) {
           return (Encoder() << r.id << r.hash << r.role << r.created_at_ms << r.created_by
                             << r.revoked_at_ms << r.space_id << r.name << r.expires_at_ms
                             << r.last_used_at_ms)
               .str();
         });
       },
       [](Backend& from, Backend& to) {
         return copy_rows<AdminTokenRow>(
             from.list_admin_tokens(), [&](const AdminTokenRow& r) -> Status {
               if (auto st = to.insert_admin_token(r); !st) return st;
               if (r.last_used_at_ms != 0) {
                 auto st = to.touch_admin_token(r.id, r.last_used_at_ms);
                 if (!st) return st;
               }
               if (r.revoked_at_ms == 0) return ok_status();
               return to.revoke_admin_token(r.id, r.revoked_at_ms);
             });
       }},
      {"users",
       [](Backend& db) {
         return encode_all<UserRow>(db.list_users(), [](const UserRow& r) {
           return (Encoder() << r.issuer << r.subject << r.name << r.email << r.first_login_ms
                             << r.last_login_ms)
               .str();
         });
       },
       [](Backend& from, Backend& to) {
         return copy_rows<UserRow>(from.list_users(),
                                   [&](const UserRow& r) { return to.upsert_user(r); });
       }},
      // Browser sessions: the rows as they are (hashes of the cookie ids,
      // token ids, sealed ID tokens), so signed-in browsers stay signed in.
      {"sessions",
       [](Backend& db) {
         return encode_all<SessionRow>(db.list_sessions(), [](const SessionRow& r) {
           return (Encoder() << r.id_hash << r.csrf << r.token_id << r.user_who << r.display_name
                             << r.roles << r.id_token_record << r.created_at_ms << r.last_seen_ms
                             << r.flash)
               .str();
         });
       },
       [](Backend& from, Backend& to) {
         return copy_rows<SessionRow>(from.list_sessions(),
                                      [&](const SessionRow& r) { return to.insert_session(r); });
       }},
      {"embed_origins",
       [](Backend& db) {
         return encode_all<EmbedOriginRow>(
             per_space<EmbedOriginRow>(
                 db, [&](const SpaceRow& sp) { return db.list_embed_origins(sp.key); }),
             [](const EmbedOriginRow& r) {
               return (Encoder() << r.space << r.origin << r.added_at_ms << r.added_by).str();
             });
       },
       [](Backend& from, Backend& to) -> Result<int64_t> {
         auto spaces = from.list_spaces();
         if (!spaces) return spaces.error();
         int64_t n = 0;
         for (const auto& sp : *spaces) {
           auto rows = from.list_embed_origins(sp.key);
           if (!rows) return rows.error();
           if (rows->empty()) continue;
           if (auto st = to.replace_embed_origins(sp.key, *rows); !st) return st.error();
           n += static_cast<int64_t>(rows->size());
         }
         return n;
       }},
      {"warm_schedules",
       [](Backend& db) {
         return encode_all<WarmScheduleRow>(db.list_warm_schedules(), [](const WarmScheduleRow& r) {
           return (Encoder() << r.space << r.mode << r.interval_s << r.next_due_at_ms
                             << r.last_started_at_ms << r.last_finished_at_ms << r.last_refreshed
                             << r.last_failed << r.last_holder << r.updated_at_ms << r.updated_by)
               .str();
         });
       },
       [](Backend& from, Backend& to) {
         return copy_rows<WarmScheduleRow>(
             from.list_warm_schedules(),
             [&](const WarmScheduleRow& r) { return to.put_warm_schedule(r); });
       }},
      {"share_links",
       [](Backend& db) {
         return encode_all<ShareLinkRow>(
             per_space<ShareLinkRow>(
                 db, [&](const SpaceRow& sp) { return db.list_share_links(sp.key); }),
             [](const ShareLinkRow& r) {
               return (Encoder() << r.id << r.space << r.space_id << r.page << r.macro
                                 << r.expires_at_ms << r.created_at_ms << r.created_by
                                 << r.revoked_at_ms << r.revoked_by)
                   .str();
             });
       },
       [](Backend& from, Backend& to) {
         return copy_rows<ShareLinkRow>(
             per_space<ShareLinkRow>(
                 from, [&](const SpaceRow& sp) { return from.list_share_links(sp.key); }),
             [&](const ShareLinkRow& r) -> Status {
               ShareLinkRow active = r;
               active.revoked_at_ms = 0;
               active.revoked_by.clear();
               if (auto st = to.insert_share_link(active); !st) return st;
               if (r.revoked_at_ms == 0) return ok_status();
               return to.revoke_share_link(r.space, r.id, r.revoked_at_ms, r.revoked_by);
             });
       }},
      {"key_checks",
       [](Backend& db) {
         return encode_all<KeyCheckRow>(db.list_key_checks(), [](const KeyCheckRow& r) {
           return (Encoder() << r.key_id << r.record << r.created_at_ms).str();
         });
       },
       [](Backend& from, Backend& to) {
         return copy_rows<KeyCheckRow>(from.list_key_checks(),
                                       [&](const KeyCheckRow& r) { return to.put_key_check(r); });
       }},
      // The anchor before the rows: the genesis can only be set while the
      // target's audit table is empty.
      {"audit_chain",
       [](Backend& db) -> Result<Rows> {
         auto s = db.audit_chain_state();
         if (!s) return s.error();
         return Rows{(Encoder() << s->genesis_after_id << s->pruned_through_id
                                << s->pruned_through_hash << s->pruned_rows)
                         .str()};
       },
       [](Backend& from, Backend& to) -> Result<int64_t> {
         auto s = from.audit_chain_state();
         if (!s) return s.error();
         if (auto st = set_postgres_audit_genesis(to, s->genesis_after_id); !st) return st.error();
         if (s->pruned_through_id != 0 || s->pruned_rows != 0) {
           auto st = to.prune_audit(s->pruned_through_id, s->pruned_through_hash, s->pruned_rows);
           if (!st) return st.error();
         }
         return int64_t{1};
       }},
      {"audit",
       [](Backend& db) {
         return encode_all<AuditRow>(audit_of(db), [](const AuditRow& r) {
           return (Encoder() << r.id << r.at_ms << r.who << r.space << r.action << r.subject
                             << r.verdict << r.detail_json << r.space_id << r.chain)
               .str();
         });
       },
       [](Backend& from, Backend& to) {
         return copy_rows<AuditRow>(audit_of(from), [&](const AuditRow& r) -> Status {
           auto id = to.append_audit(r);
           if (!id) return id.error();
           if (*id != r.id) {
             return make_error(Errc::io,
                               "the target did not keep audit id " + std::to_string(r.id));
           }
           return ok_status();
         });
       }},
  };
  return t;
}

Result<TableDigest> digest_of(Backend& db, const Table& t) {
  auto rows = t.read(db);
  if (!rows) return rows.error();
  std::sort(rows->begin(), rows->end());
  std::string all;
  for (const auto& r : *rows) all += std::to_string(r.size()) + ":" + r + "\n";
  return TableDigest{t.name, static_cast<int64_t>(rows->size()), digest::sha256_hex(all)};
}

}  // namespace

Result<std::vector<TableDigest>> digest_tables(Backend& db) {
  std::vector<TableDigest> out;
  for (const auto& t : tables()) {
    auto d = digest_of(db, t);
    if (!d) return d.error();
    out.push_back(*d);
  }
  return out;
}

Result<std::vector<std::string>> non_empty_tables(Backend& target) {
  std::vector<std::string> out;
  for (const auto& t : tables()) {
    auto d = digest_of(target, t);
    if (!d) return d.error();
    // A fresh database has its one audit chain anchor row and nothing else.
    const int64_t fresh = std::string(t.name) == "audit_chain" ? 1 : 0;
    if (d->rows > fresh) out.push_back(std::string(t.name) + " (" + std::to_string(d->rows) + ")");
  }
  auto feed = target.read_change_feed();
  if (!feed) return feed.error();
  if (out.empty() && feed->seq != 0)
    out.push_back("change_feed (seq " + std::to_string(feed->seq) + ")");
  return out;
}

Result<std::vector<TableDigest>> migrate_store(
    Backend& source, Backend& target, const std::function<void(const std::string&)>& progress) {
  auto say = [&](const std::string& line) {
    if (progress) progress(line);
  };
  std::vector<TableDigest> verified;
  // The source's write lock for the whole copy: one consistent snapshot, and
  // no writer changes it meanwhile. The target commits only when verified.
  Status st = source.transaction([&]() -> Status {
    return target.transaction([&]() -> Status {
      auto used = non_empty_tables(target);
      if (!used) return used.error();
      if (!used->empty()) {
        std::string list;
        for (const auto& u : *used) list += (list.empty() ? "" : ", ") + u;
        return make_error(Errc::conflict,
                          "the target database is not empty (" + list +
                              "); migrate only into a new, empty database (CREATE DATABASE ... "
                              "OWNER ...), nothing was written");
      }
      for (const auto& t : tables()) {
        auto n = t.copy(source, target);
        if (!n) {
          return make_error(n.error().code,
                            "copying " + std::string(t.name) + " failed: " + n.error().message);
        }
        say("copied " + std::string(t.name) + ": " + std::to_string(*n) + " rows");
      }
      for (const auto& t : tables()) {
        auto a = digest_of(source, t);
        if (!a) return a.error();
        auto b = digest_of(target, t);
        if (!b) return b.error();
        if (a->rows != b->rows || a->sha256 != b->sha256) {
          return make_error(Errc::io, "verification failed for " + std::string(t.name) +
                                          ": source has " + std::to_string(a->rows) +
                                          " rows (sha256 " + a->sha256 + "), target " +
                                          std::to_string(b->rows) + " rows (sha256 " + b->sha256 +
                                          "); nothing was committed");
        }
        say("verified " + std::string(t.name) + ": " + std::to_string(a->rows) + " rows, sha256 " +
            a->sha256);
        verified.push_back(*a);
      }
      // Running hosts of the target see one change (reconcile/).
      const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
      return target.bump_change_feed(true, now_ms);
    });
  });
  if (!st) return st.error();
  return verified;
}

}  // namespace vitrine::store
