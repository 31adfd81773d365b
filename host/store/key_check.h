// Proof that the keyring is the one the data was written with (fail closed
// at start, P5 under change).
//
// Without it, a host started with the wrong keyring file runs "ready" and
// every page blames the Grafana token ("refused (HTTP 401)") because the
// token cannot be decrypted. So the store keeps, per key id, one known value
// sealed with that key (table key_checks), and a host refuses to start when:
//   * a key in its keyring opens no check of the same id: same id, other
//     bytes [keyring-mismatch];
//   * records name a key id its keyring does not hold [keyring-missing-key].
// Keys without a check yet (a new key, or data from before checks existed)
// get one sealed now: the first host to hold a key vouches for it.
#pragma once

#include <string>
#include <vector>

#include "store/context.h"

namespace vitrine::store {

struct KeyringProof {
  std::vector<std::string> verified;  // key ids whose check opened
  std::vector<std::string> sealed;    // key ids that got a check now
};

// `source` names the keyring in messages (its file, or VITRINE_MASTER_KEY).
// Errc::key with a rule id when the keyring does not match the data.
Result<KeyringProof> prove_keyring(const Context& ctx, const crypto::Keyring& ring,
                                   const std::string& source);

}  // namespace vitrine::store
