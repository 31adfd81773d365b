#include "store/context.h"

namespace vitrine::store {

Result<const crypto::Keyring*> Context::keyring() const {
  if (keys == nullptr || keys->empty()) {
    return make_error(Errc::key,
                      "this operation needs the master key: pass --key-file FILE or set "
                      "VITRINE_MASTER_KEY (create a keyring with 'vitrine keys init')");
  }
  return keys;
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
