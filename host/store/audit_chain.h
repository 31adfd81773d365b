// The tamper-evident audit chain (docs/security/storage.md, "Audit").
//
// Every audit row written since migration 5 carries a link:
//   link(row) = SHA-256 hex of  "vitrine-audit-v1\n" + link(previous row) + "\n" + canonical(row)
// where canonical(row) is each of id, at, who, space, action, subject,
// verdict, detail, space_id as "<byte length>:<bytes>\n" (length prefixes
// make the encoding injective). The first chained row links to the genesis
// value genesis_link(G), G being the last row id written before the
// migration (those older rows stay unchained). Editing a row breaks its own
// link; deleting or reordering rows breaks the next row's link. Deleting the
// newest rows (a rolled-back log) keeps a valid chain, so it is detected only
// against a checkpoint kept outside the database (audit_archive.h).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/backend.h"
#include "store/crypto/keyring.h"

namespace vitrine::store {

namespace rules {
constexpr const char* kAuditChainBroken = "audit-chain-broken";  // a row does not match its link
constexpr const char* kAuditCheckpoint = "audit-checkpoint";     // checkpoint unreadable or forged
constexpr const char* kAuditArchiveExists =
    "audit-archive-exists";  // --out exists: never overwritten
}  // namespace rules

std::string audit_canonical(const AuditRow& row);
std::string audit_link(const std::string& previous_link, const AuditRow& row);
std::string audit_genesis_link(int64_t genesis_after_id);

// The link the next row chains to, given the chain state and the newest row.
std::string audit_previous_link(const AuditChainState& state, const AuditRow& last);

// A signed statement "the chain had row `last_id` with link `hash`": written
// by `vitrine audit archive` (into the archive) and `vitrine audit checkpoint`.
// The signature is an HMAC-SHA-256 under a key derived from a keyring key
// (named by key_id), so only a holder of the keyring can make one.
struct AuditCheckpoint {
  int64_t last_id = 0;
  std::string hash;
  int64_t count = 0;  // rows the archive holds (0 for a plain checkpoint)
  int64_t created_at_ms = 0;
  std::string key_id;
  std::string mac;  // lowercase hex
};

// One JSON line: {"checkpoint":{...},"mac":"..."}.
Result<std::string> sign_checkpoint(AuditCheckpoint cp, const crypto::Keyring& keyring);
// Reads the last non-empty line of `text` as a checkpoint and checks its
// signature; a wrong or unknown key is refused with the reason.
Result<AuditCheckpoint> read_checkpoint(const std::string& text, const crypto::Keyring& keyring);

struct AuditVerifyReport {
  bool ok = true;
  int64_t rows_checked = 0;
  int64_t unchained_rows = 0;  // written before the chain existed
  int64_t first_id = 0;        // first and last row seen
  int64_t last_id = 0;
  std::string last_link;
  int64_t bad_id = 0;              // the first row that does not match (0: none)
  std::string problem;             // what is wrong and what it means; empty when ok
  std::vector<std::string> notes;  // what the run did not or could not check
};

// Walks the whole chain, by id, in batches. `checkpoints` are already
// signature-checked; each must match the chain (or its pruned anchor).
// `progress` (may be empty) gets the rows checked so far.
Result<AuditVerifyReport> verify_audit_chain(Backend& db,
                                             const std::vector<AuditCheckpoint>& checkpoints,
                                             const std::function<void(int64_t)>& progress = {});

}  // namespace vitrine::store
