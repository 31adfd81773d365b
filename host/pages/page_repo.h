// A space's pages as a git repository (libgit2): every edit is a commit with
// its author, nothing is ever rewritten, and authors can pull and push with
// plain git (docs/editing.md).
//
// Layout: the repository is the directory the file-based page serving reads
// (<data_dir>/pages/<space>/), page NAME is the file NAME.md at the top of
// the work tree, the branch is `main`. The work tree and the index always
// match HEAD after a call returns, which is also what lets `git push` into it
// work: open() sets receive.denyCurrentBranch=updateInstead, so a push of
// `main` updates the files the server serves.
//
// Threads: every call opens its own libgit2 objects, so reads run in
// parallel [thread-safe]. Calls that commit take one mutex per repository
// directory (shared by all PageRepo objects of that directory in the
// process) [thread-safe, serialized per repository]; a `git push` arriving
// meanwhile is detected when HEAD moves and the edit is re-checked against
// it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vitrine::pages {

enum class PageErrc {
  ok,
  bad_name,      // page-name
  bad_author,    // page-author
  too_large,     // page-too-large
  not_found,     // page-not-found
  exists,        // page-exists
  bad_revision,  // page-revision-unknown
  conflict,      // page-edit-conflict
  io,            // page-repo-io
};

struct PageError {
  PageErrc code = PageErrc::ok;
  std::string rule;     // the rule id named above
  std::string message;  // what happened and what to do
};

// Both sides of a refused edit, so the author loses nothing: what they sent
// and what the page is now (empty current_text with current_exists=false
// when it was deleted meanwhile).
struct EditConflict {
  std::string base;              // the revision the edit was based on
  std::string current_revision;  // HEAD when the edit was refused
  bool current_exists = false;
  std::string current_text;
  std::string your_text;  // for rename and delete: the page at `base`
};

struct Author {
  std::string name;  // display name
  std::string id;    // stable account id, written where git keeps the e-mail
};

struct PageRead {
  std::string text;
  std::string revision;  // the commit read (HEAD unless asked otherwise)
};

struct Commit {
  std::string id;  // 40 hex digits
  std::string author_name;
  std::string author_id;
  int64_t time = 0;  // seconds since the epoch (author time)
  std::string message;
};

template <class T>
struct PageResult {
  std::optional<T> value;
  PageError error;                       // when !value
  std::optional<EditConflict> conflict;  // when error.code == conflict
  bool ok() const { return value.has_value(); }
};

// Rule page-name: [a-z0-9-]{1,64}, the page names the server's page route
// serves (server/http.h is_slug). No '.', '/' or upper case, so a name can
// never leave the directory, reach .git or differ only by case.
bool is_page_name(std::string_view name);

class PageRepo {
 public:
  // Opens the repository in `dir`, or creates the directory and an empty
  // repository with a first commit; page files already in `dir` (valid
  // names only) are committed as they are. [thread-safe]
  static PageResult<PageRepo> open(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }

  // The current HEAD commit id.
  PageResult<std::string> head() const;

  // The page at HEAD, or at `revision` (a commit id) when given.
  PageResult<PageRead> read(std::string_view page, std::string_view revision = {}) const;

  // Commits `text` as the page. `base` is the revision the author started
  // from (from read()); "" means the page is new. If the page differs at
  // HEAD from what it was at `base`, nothing is written: page-edit-conflict
  // with both texts. Writing the text the page already has commits nothing
  // and returns HEAD. Returns the new revision.
  PageResult<std::string> write(std::string_view page, std::string_view text, const Author& author,
                                std::string_view message, std::string_view base);

  // Renames `from` to `to` in one commit (same conflict rule on `from`;
  // page-exists when `to` exists).
  PageResult<std::string> rename(std::string_view from, std::string_view to, const Author& author,
                                 std::string_view message, std::string_view base);

  // Deletes the page in a new commit (its history stays).
  PageResult<std::string> remove(std::string_view page, const Author& author,
                                 std::string_view message, std::string_view base);

  // Commits that changed the page, newest first, at most `limit`.
  PageResult<std::vector<Commit>> history(std::string_view page, std::size_t limit = 100) const;

  // Unified diff of the page between two revisions ("a/NAME.md",
  // "b/NAME.md"); a side where the page does not exist is empty.
  PageResult<std::string> diff(std::string_view page, std::string_view from,
                               std::string_view to) const;

  // Makes the page's text what it was at `revision`, as a new commit on
  // top of `base` (same conflict rule as write()).
  PageResult<std::string> restore(std::string_view page, std::string_view revision,
                                  const Author& author, std::string_view base);

  PageRepo(PageRepo&&) noexcept;
  PageRepo& operator=(PageRepo&&) noexcept;
  ~PageRepo();

 private:
  struct Change;
  explicit PageRepo(std::filesystem::path dir);
  PageResult<std::string> commit_change(const Change& change, const Author& author,
                                        std::string_view message, std::string_view base);

  std::filesystem::path dir_;
  bool live_ = false;  // holds a libgit2 init reference
};

// Largest page text accepted (the render limit markdown-size).
inline constexpr std::size_t kMaxPageBytes = 1 << 20;

}  // namespace vitrine::pages
