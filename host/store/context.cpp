#include "store/context.h"

#include "store/crypto/secret_box.h"

namespace vitrine::store {

namespace {

Error no_keyring() {
  return make_error(Errc::key,
                    "this operation needs the master key: pass --key-file FILE or set "
                    "VITRINE_MASTER_KEY (create a keyring with 'vitrine keys init')");
}

}  // namespace

Result<std::shared_ptr<const crypto::Keyring>> Context::keyring() const {
  auto ring = keys != nullptr ? keys->current() : nullptr;
  if (!ring || ring->empty()) return no_keyring();
  return ring;
}

Result<std::shared_ptr<const crypto::Keyring>> Context::keyring_for(std::string_view record) const {
  if (keys == nullptr || !keys->current()) return no_keyring();
  const std::string id = crypto::record_key_id(record);
  auto ring = keys->for_key(id);
  if (ring) return ring;
  auto held = keys->current()->ids();
  std::string list;
  for (const auto& k : held) list += (list.empty() ? "" : ", ") + k;
  return make_error(Errc::key,
                    "a stored record is sealed with key '" + id +
                        "', which this host's keyring does not hold (it holds " + list +
                        "); start the host with the keyring file the data was written with "
                        "[keyring-missing-key]");
}

bool valid_space_key(std::string_view key) {
  if (key.size() < 2 || key.size() > 32) return false;
  for (char c : key) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

Status check_space_key(std::string_view key) {
  if (valid_space_key(key)) return ok_status();
  return make_error(Errc::invalid, "space key '" + std::string(key.substr(0, 64)) +
                                       "' is invalid; use 2-32 characters of a-z, 0-9 and '-'");
}

std::string_view to_string(Errc code) {
  switch (code) {
    case Errc::invalid:
      return "invalid";
    case Errc::not_found:
      return "not-found";
    case Errc::conflict:
      return "conflict";
    case Errc::denied:
      return "denied";
    case Errc::crypto:
      return "crypto";
    case Errc::key:
      return "key";
    case Errc::io:
      return "io";
  }
  return "unknown";
}

}  // namespace vitrine::store
