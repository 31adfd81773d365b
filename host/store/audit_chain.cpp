#include "store/audit_chain.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

#include "digest/sha256.h"
#include "store/crypto/encoding.h"
#include "store/json_log.h"

namespace vitrine::store {
namespace {

constexpr const char* kLinkPrefix = "vitrine-audit-v1\n";
constexpr const char* kCheckpointLabel = "vitrine audit checkpoint v1";
constexpr int64_t kBatch = 2000;

void field(std::string& out, const std::string& v) {
  out += std::to_string(v.size());
  out += ':';
  out += v;
  out += '\n';
}

std::string hmac_hex(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), md.data(),
           &len) == nullptr) {
    return {};
  }
  return crypto::hex_encode({md.data(), len});
}

// A key of its own for checkpoints, derived from a keyring key, so a MAC
// never uses the key that seals records.
std::string checkpoint_mac(const AuditCheckpoint& cp, const crypto::Key& key) {
  const std::string derived_hex = hmac_hex(key.bytes.view(), kCheckpointLabel);
  const std::string msg = std::string(kCheckpointLabel) + "\n" + std::to_string(cp.last_id) + "\n" +
                          cp.hash + "\n" + std::to_string(cp.count) + "\n" +
                          std::to_string(cp.created_at_ms) + "\n" + cp.key_id;
  return hmac_hex(derived_hex, msg);
}

Error bad_checkpoint(const std::string& why) {
  return make_error(Errc::invalid, "[audit-checkpoint] " + why);
}

}  // namespace

std::string audit_canonical(const AuditRow& r) {
  std::string out;
  field(out, std::to_string(r.id));
  field(out, std::to_string(r.at_ms));
  field(out, r.who);
  field(out, r.space);
  field(out, r.action);
  field(out, r.subject);
  field(out, r.verdict);
  field(out, r.detail_json);
  field(out, r.space_id);
  return out;
}

std::string audit_link(const std::string& previous_link, const AuditRow& row) {
  return digest::sha256_hex(kLinkPrefix + previous_link + "\n" + audit_canonical(row));
}

std::string audit_genesis_link(int64_t genesis_after_id) {
  return digest::sha256_hex("vitrine-audit-genesis:" + std::to_string(genesis_after_id));
}

std::string audit_previous_link(const AuditChainState& state, const AuditRow& last) {
  if (last.id > state.genesis_after_id && last.id > state.pruned_through_id) return last.chain;
  if (state.pruned_through_id > state.genesis_after_id) return state.pruned_through_hash;
  return audit_genesis_link(state.genesis_after_id);
}

Result<std::string> sign_checkpoint(AuditCheckpoint cp, const crypto::Keyring& keyring) {
  if (keyring.empty()) {
    return make_error(Errc::key,
                      "signing an audit checkpoint needs the keyring; pass --key-file or set " +
                          std::string(crypto::kMasterKeyEnv));
  }
  const crypto::Key& key = keyring.newest();
  cp.key_id = key.id;
  cp.mac = checkpoint_mac(cp, key);
  if (cp.mac.empty()) return make_error(Errc::io, "computing the checkpoint signature failed");
  return std::string("{\"checkpoint\":{\"last_id\":") + std::to_string(cp.last_id) +
         ",\"hash\":" + json_quote(cp.hash) + ",\"count\":" + std::to_string(cp.count) +
         ",\"created_at\":" + std::to_string(cp.created_at_ms) +
         ",\"key\":" + json_quote(cp.key_id) + "},\"mac\":" + json_quote(cp.mac) + "}";
}

Result<AuditCheckpoint> read_checkpoint(const std::string& text, const crypto::Keyring& keyring) {
  std::size_t end = text.find_last_not_of(" \n\r\t");
  if (end == std::string::npos) return bad_checkpoint("the checkpoint file is empty");
  std::size_t begin = text.rfind('\n', end);
  begin = begin == std::string::npos ? 0 : begin + 1;
  const std::string line = text.substr(begin, end - begin + 1);
  AuditCheckpoint cp;
  try {
    Poco::JSON::Parser parser;
    auto root = parser.parse(line).extract<Poco::JSON::Object::Ptr>();
    auto c = root->getObject("checkpoint");
    if (!c || !root->has("mac")) throw std::invalid_argument("checkpoint");
    cp.last_id = c->getValue<int64_t>("last_id");
    cp.hash = c->getValue<std::string>("hash");
    cp.count = c->getValue<int64_t>("count");
    cp.created_at_ms = c->getValue<int64_t>("created_at");
    cp.key_id = c->getValue<std::string>("key");
    cp.mac = root->getValue<std::string>("mac");
  } catch (const std::exception&) {  // Poco::Exception too
    return bad_checkpoint(
        "the last line is not a checkpoint written by `vitrine audit archive` or `vitrine "
        "audit checkpoint`");
  }
  const crypto::Key* key = keyring.find(cp.key_id);
  if (key == nullptr) {
    return bad_checkpoint("the checkpoint was signed with key '" + cp.key_id +
                          "', which this keyring does not hold; use the keyring it was made with");
  }
  const std::string want = checkpoint_mac(cp, *key);
  if (want.size() != cp.mac.size() || CRYPTO_memcmp(want.data(), cp.mac.data(), want.size()) != 0) {
    return bad_checkpoint("the checkpoint's signature does not match: it was changed or forged");
  }
  return cp;
}

Result<AuditVerifyReport> verify_audit_chain(Backend& db,
                                             const std::vector<AuditCheckpoint>& checkpoints,
                                             const std::function<void(int64_t)>& progress) {
  auto state = db.audit_chain_state();
  if (!state) return state.error();
  AuditVerifyReport rep;
  const int64_t genesis = state->genesis_after_id;
  const int64_t anchor = state->pruned_through_id;
  std::string prev = anchor > genesis ? state->pruned_through_hash : audit_genesis_link(genesis);
  int64_t prev_id = std::max(anchor, genesis);
  auto fail = [&](int64_t id, std::string why) {
    if (!rep.ok) return;
    rep.ok = false;
    rep.bad_id = id;
    rep.problem = std::move(why);
  };
  // (id -> link) of rows a checkpoint names, checked as the walk passes them.
  std::vector<bool> matched(checkpoints.size(), false);
  int64_t after = anchor;
  for (;;) {
    auto rows = db.audit_rows_after(after, kBatch);
    if (!rows) return rows.error();
    if (rows->empty()) break;
    for (const auto& r : *rows) {
      if (rep.first_id == 0) rep.first_id = r.id;
      rep.last_id = r.id;
      ++rep.rows_checked;
      if (r.id <= genesis) {
        ++rep.unchained_rows;
        continue;
      }
      const std::string want = audit_link(prev, r);
      if (r.chain != want) {
        fail(r.id, r.chain.empty()
                       ? "row " + std::to_string(r.id) +
                             " has no chain link although it was "
                             "written after the chain started"
                       : "row " + std::to_string(r.id) + " does not match its chain link: it " +
                             "was edited, or a row before it (after row " +
                             std::to_string(prev_id) + ") was deleted, inserted or reordered");
      }
      // Continue from the stored link, so one edit reports once.
      prev = r.chain;
      prev_id = r.id;
      for (std::size_t i = 0; i < checkpoints.size(); ++i) {
        if (checkpoints[i].last_id != r.id) continue;
        matched[i] = true;
        if (checkpoints[i].hash != r.chain) {
          fail(r.id, "row " + std::to_string(r.id) +
                         " differs from the signed checkpoint: the log was rewritten from there");
        }
      }
    }
    after = rows->back().id;
    if (progress) progress(rep.rows_checked);
  }
  rep.last_link = prev;
  for (std::size_t i = 0; i < checkpoints.size(); ++i) {
    const auto& cp = checkpoints[i];
    if (matched[i]) continue;
    if (cp.last_id == anchor && anchor != 0) {
      if (cp.hash != state->pruned_through_hash) {
        fail(anchor, "the pruned-through anchor (row " + std::to_string(anchor) +
                         ") differs from the archive's signed checkpoint");
      }
    } else if (cp.last_id < anchor) {
      rep.notes.push_back("checkpoint at row " + std::to_string(cp.last_id) +
                          " is older than the pruned range (through row " + std::to_string(anchor) +
                          "); verify it against its archive");
    } else if (cp.last_id > rep.last_id) {
      fail(rep.last_id + 1, "the log is cut short: a signed checkpoint names row " +
                                std::to_string(cp.last_id) + " but the log ends at row " +
                                std::to_string(rep.last_id) +
                                " (rolled back, restored from an old copy, or its WAL was lost)");
    } else {
      fail(cp.last_id, "row " + std::to_string(cp.last_id) +
                           " named by a signed checkpoint is missing from the log");
    }
  }
  if (checkpoints.empty()) {
    rep.notes.push_back(
        "no checkpoint given: rows deleted from the end of the log cannot be detected; pass "
        "--checkpoint FILE (from `vitrine audit checkpoint` or `vitrine audit archive`)");
  }
  if (anchor > 0 && checkpoints.empty()) {
    rep.notes.push_back("the chain starts at the pruned-through anchor (row " +
                        std::to_string(anchor) +
                        "); pass the latest archive as --checkpoint to check that anchor too");
  }
  return rep;
}

}  // namespace vitrine::store
