// "Pin as evidence": a macro's rendering frozen into an immutable, dated
// record that outlives Grafana's outages and later changes.
//
// Where: one file per record, <data_dir>/evidence/<space>/<page>/<id>.json,
// outside the page's git repository on purpose: the page repository accepts
// pushes (docs/editing.md), and a record must not be something a push can
// rewrite or delete. A record is written once: it is linked into place
// under a name that must not exist yet (link(2) fails on an existing name,
// so no later pin replaces it), made read-only, and its SHA-256 goes into
// the hash-chained audit log (evidence.pin), so a changed file no longer
// matches its audited digest. Images the fragment references (/assets/...)
// are copied into it as data: URLs, so reading a record needs neither the
// plugin, the asset store nor Grafana.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vitrine::render {

struct EvidenceRecord {
  std::string id;  // UTC time of the pin and the macro: 20261207T103000123Z-m2
  std::string space;
  std::string page;
  std::size_t macro = 0;  // 1-based macro number on the page
  std::string key;        // macro key
  std::map<std::string, std::string> params;
  std::string pinned_by;
  int64_t pinned_at_ms = 0;
  int64_t as_of_ms = 0;  // when the pinned content was rendered
  std::string state;     // the engine's state of the pinned content (fresh, cached, stale)
  std::string html;      // the sanitized fragment, images inlined
  std::string sha256;    // of html
};

// An image of the space for an /assets/SPACE/ID reference: its content type
// and bytes; nullopt when it is gone (the reference is then left as it is).
using AssetLookup =
    std::function<std::optional<std::pair<std::string, std::string>>(const std::string& id)>;

// `html` with every "/assets/SPACE/ID" attribute value replaced by a data:
// URL of the asset. Only the space's own asset paths are touched.
std::string inline_assets(std::string html, const std::string& space, const AssetLookup& lookup);

class EvidenceStore {
 public:
  explicit EvidenceStore(std::filesystem::path root) : root_(std::move(root)) {}

  // Writes `record` (id and sha256 are set here) and returns it; on failure
  // nullopt and `error` says what happened and what to do. [thread-safe]
  std::optional<EvidenceRecord> pin(EvidenceRecord record, std::string& error) const;

  // The page's records, oldest first. [thread-safe]
  std::vector<EvidenceRecord> list(const std::string& space, const std::string& page) const;

  // One record; nullopt when there is none with this id. [thread-safe]
  std::optional<EvidenceRecord> read(const std::string& space, const std::string& page,
                                     const std::string& id) const;

  // Evidence ids: 8 date digits, T, 9 time digits, Z, -m and the macro
  // number; anything else is never a file name here.
  static bool is_id(const std::string& id);

 private:
  std::filesystem::path root_;
};

}  // namespace vitrine::render
