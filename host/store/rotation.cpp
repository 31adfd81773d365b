#include "store/rotation.h"

#include "store/audit.h"
#include "store/crypto/secret_box.h"

namespace vitrine::store {
namespace {

crypto::Binding binding_of(const EncryptedRef& r) {
  switch (r.table) {
    case RecordTable::secret:
      return {"secret", r.space, r.a, r.b};
    case RecordTable::cache:
      return {"cache", r.space, r.a, r.b};
    case RecordTable::asset:
      return {"asset", r.space, r.a, r.b};
    case RecordTable::session:
      // A user's ID token (store/sessions.cpp id_token_binding).
      return {"session", r.space, r.a, r.b};
  }
  return {"secret", r.space, r.a, r.b};
}

}  // namespace

Result<RotationReport> rewrap_all(const Context& ctx, const std::string& who,
                                  const Progress& progress) {
  auto ring = ctx.keyring();
  if (!ring) return ring.error();
  auto refs = ctx.db.list_encrypted();
  if (!refs) return refs.error();
  RotationReport rep;
  rep.total = static_cast<int64_t>(refs->size());
  const std::string& newest = (*ring)->newest().id;
  int64_t done = 0;
  for (const auto& ref : *refs) {
    ++done;
    if (crypto::record_key_id(ref.record) == newest) {
      ++rep.already_current;
    } else {
      auto opener = ctx.keyring_for(ref.record);
      auto plain = opener ? crypto::open(**opener, binding_of(ref), ref.record)
                          : Result<crypto::SecretBytes>(opener.error());
      if (!plain) {
        ++rep.failed;
      } else {
        auto sealed = crypto::seal(**ring, binding_of(ref),
                                   std::span<const uint8_t>(plain->data(), plain->size()));
        if (!sealed) return sealed.error();
        auto st = ctx.db.update_encrypted(ref, *sealed);
        if (st) {
          ++rep.rewrapped;
        } else if (st.error().code == Errc::not_found) {
          ++rep.skipped;
        } else {
          return st.error();
        }
      }
    }
    if (progress) progress(done, rep.total);
  }
  (void)ctx.audit.record(AuditEvent{who,
                                    "",
                                    "keys.rotate",
                                    newest,
                                    rep.failed == 0 ? "ok" : "error",
                                    {{"total", std::to_string(rep.total), true},
                                     {"rewrapped", std::to_string(rep.rewrapped), true},
                                     {"failed", std::to_string(rep.failed), true},
                                     {"skipped", std::to_string(rep.skipped), true}}});
  return rep;
}

}  // namespace vitrine::store
