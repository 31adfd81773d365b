#include "store/key_check.h"

#include <set>

#include "store/crypto/secret_box.h"

namespace vitrine::store {
namespace {

constexpr std::string_view kCheckValue = "vitrine key check v1";

crypto::Binding check_binding(const std::string& key_id) { return {"key-check", "", key_id, ""}; }

}  // namespace

Result<KeyringProof> prove_keyring(const Context& ctx, const crypto::Keyring& ring,
                                   const std::string& source) {
  KeyringProof proof;
  auto checks = ctx.db.list_key_checks();
  if (!checks) return checks.error();
  std::set<std::string> checked;
  for (const auto& c : *checks) {
    checked.insert(c.key_id);
    if (ring.find(c.key_id) == nullptr) continue;  // a retired key, or one this host lacks
    auto plain = crypto::open(ring, check_binding(c.key_id), c.record);
    if (!plain || plain->view() != kCheckValue) {
      return make_error(Errc::key,
                        "key '" + c.key_id + "' in " + source + " is not the key '" + c.key_id +
                            "' this data was written with; start with the keyring file that "
                            "belongs to this data directory (a keyring from another "
                            "installation cannot decrypt its tokens) [keyring-mismatch]");
    }
    proof.verified.push_back(c.key_id);
  }
  auto used = ctx.db.record_key_ids();
  if (!used) return used.error();
  for (const auto& [id, count] : *used) {
    if (ring.find(id) != nullptr) continue;
    return make_error(Errc::key, std::to_string(count) + " stored records are sealed with key '" +
                                     id + "', which " + source +
                                     " does not hold; start with the keyring file that belongs "
                                     "to this data directory, or the newest copy of it after "
                                     "'vitrine keys rotate' [keyring-missing-key]");
  }
  for (const auto& id : ring.ids()) {
    if (checked.count(id) != 0) continue;
    crypto::Keyring one;
    const crypto::Key* key = ring.find(id);
    if (auto st = one.add(crypto::Key{key->id, key->bytes}); !st) return st.error();
    auto record = crypto::seal(one, check_binding(id), kCheckValue);
    if (!record) return record.error();
    if (auto st = ctx.db.put_key_check(KeyCheckRow{id, *record, ctx.now()}); !st) {
      return st.error();
    }
    proof.sealed.push_back(id);
  }
  return proof;
}

}  // namespace vitrine::store
