// A space's files on disk: its Markdown pages live in <data_dir>/pages/<key>/.
// Deleting the space moves that directory to <data_dir>/trash/<key>-<id>-<time>/
// (restorable by moving it back, docs/admin.md) or, with purge, removes it.
// The move is one rename(2) inside the data directory, so the pages are
// either all still in place or all gone from pages/<key>: a space created
// again with the same key never finds its predecessor's pages.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "store/result.h"

namespace vitrine::store {

struct SpaceFiles {
  std::filesystem::path pages_dir;  // pages of space S in pages_dir/S
  std::filesystem::path trash_dir;  // deleted spaces' pages, one directory each

  // <data_dir>/pages and <data_dir>/trash.
  static SpaceFiles under(const std::filesystem::path& data_dir);
  // pages_dir as given, the trash next to it (<parent of pages_dir>/trash).
  static SpaceFiles beside(const std::filesystem::path& pages_dir);
};

// "<key>-<id>-<UTC yyyymmddThhmmssZ>": the trash directory name of one deletion.
std::string trash_name(const std::string& key, const std::string& id, int64_t at_ms);

// Moves pages_dir/key into the trash. Returns the new path, or an empty path
// when the space has no pages directory. Refuses (Errc::io, nothing moved)
// when the rename fails, e.g. because pages_dir/key is on another file system.
Result<std::filesystem::path> move_pages_to_trash(const SpaceFiles& files, const std::string& key,
                                                  const std::string& id, int64_t at_ms);
// Undoes move_pages_to_trash (when the database change it belonged to failed).
Status move_pages_back(const SpaceFiles& files, const std::string& key,
                       const std::filesystem::path& trashed);
// Removes a trashed directory for good.
Status purge_trashed(const std::filesystem::path& trashed);

}  // namespace vitrine::store
