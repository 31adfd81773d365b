#include "pages/page_repo.h"

#include <git2.h>

#include <fstream>
#include <map>
#include <mutex>
#include <system_error>

namespace vitrine::pages {
namespace {

namespace fs = std::filesystem;

template <class T, auto F>
struct Free {
  void operator()(T* p) const { F(p); }
};
using RepoPtr = std::unique_ptr<git_repository, Free<git_repository, git_repository_free>>;
using CommitPtr = std::unique_ptr<git_commit, Free<git_commit, git_commit_free>>;
using TreePtr = std::unique_ptr<git_tree, Free<git_tree, git_tree_free>>;
using EntryPtr = std::unique_ptr<git_tree_entry, Free<git_tree_entry, git_tree_entry_free>>;
using BlobPtr = std::unique_ptr<git_blob, Free<git_blob, git_blob_free>>;
using IndexPtr = std::unique_ptr<git_index, Free<git_index, git_index_free>>;
using RefPtr = std::unique_ptr<git_reference, Free<git_reference, git_reference_free>>;
using SigPtr = std::unique_ptr<git_signature, Free<git_signature, git_signature_free>>;
using WalkPtr = std::unique_ptr<git_revwalk, Free<git_revwalk, git_revwalk_free>>;
using PatchPtr = std::unique_ptr<git_patch, Free<git_patch, git_patch_free>>;
using ConfigPtr = std::unique_ptr<git_config, Free<git_config, git_config_free>>;

constexpr const char* kBranch = "refs/heads/main";

PageError refused(PageErrc code, std::string rule, std::string message) {
  return PageError{code, std::move(rule), std::move(message)};
}

// The libgit2 error of the call that just failed, for page-repo-io.
PageError git_failure(const std::string& what) {
  const git_error* e = git_error_last();
  return refused(PageErrc::io, "page-repo-io",
                 what + " failed (" + (e != nullptr ? e->message : "unknown libgit2 error") +
                     "); check the page repository's directory and disk, then retry");
}

template <class T>
PageResult<T> fail(PageError e) {
  PageResult<T> r;
  r.error = std::move(e);
  return r;
}

template <class T>
PageResult<T> done(T v) {
  PageResult<T> r;
  r.value = std::move(v);
  return r;
}

std::string file_of(std::string_view page) { return std::string(page) + ".md"; }

std::string oid_text(const git_oid& oid) {
  char buf[GIT_OID_HEXSZ + 1] = {};
  git_oid_tostr(buf, sizeof buf, &oid);
  return buf;
}

// One mutex per repository directory for the whole process: two PageRepo
// objects for one space must not interleave their commits.
std::mutex& repo_mutex(const fs::path& dir) {
  static std::mutex registry_mu;
  static std::map<std::string, std::unique_ptr<std::mutex>> registry;
  std::error_code ec;
  const std::string key = fs::weakly_canonical(dir, ec).string();
  std::lock_guard lock(registry_mu);
  auto& slot = registry[ec ? dir.string() : key];
  if (!slot) slot = std::make_unique<std::mutex>();
  return *slot;
}

PageResult<RepoPtr> open_git(const fs::path& dir) {
  git_repository* raw = nullptr;
  if (git_repository_open_ext(&raw, dir.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) != 0) {
    return fail<RepoPtr>(git_failure("opening the page repository " + dir.string()));
  }
  return done(RepoPtr(raw));
}

PageResult<CommitPtr> head_commit(git_repository* repo) {
  git_oid oid;
  if (git_reference_name_to_id(&oid, repo, kBranch) != 0) {
    return fail<CommitPtr>(git_failure("reading the branch main"));
  }
  git_commit* raw = nullptr;
  if (git_commit_lookup(&raw, repo, &oid) != 0) {
    return fail<CommitPtr>(git_failure("reading the HEAD commit"));
  }
  return done(CommitPtr(raw));
}

PageResult<CommitPtr> commit_at(git_repository* repo, std::string_view revision) {
  if (revision.empty()) return head_commit(repo);
  git_oid oid;
  const std::string text(revision);
  git_commit* raw = nullptr;
  if (text.size() != GIT_OID_HEXSZ || git_oid_fromstr(&oid, text.c_str()) != 0 ||
      git_commit_lookup(&raw, repo, &oid) != 0) {
    return fail<CommitPtr>(refused(
        PageErrc::bad_revision, "page-revision-unknown",
        "revision '" + text.substr(0, 64) +
            "' is not a commit of this page repository; use a commit id from the page's history"));
  }
  return done(CommitPtr(raw));
}

// The blob id of `file` in `commit`, or nothing when the page is absent.
std::optional<git_oid> blob_in(git_commit* commit, const std::string& file) {
  git_tree* tree_raw = nullptr;
  if (git_commit_tree(&tree_raw, commit) != 0) return std::nullopt;
  TreePtr tree(tree_raw);
  git_tree_entry* entry_raw = nullptr;
  if (git_tree_entry_bypath(&entry_raw, tree.get(), file.c_str()) != 0) return std::nullopt;
  EntryPtr entry(entry_raw);
  if (git_tree_entry_type(entry.get()) != GIT_OBJECT_BLOB) return std::nullopt;
  return *git_tree_entry_id(entry.get());
}

std::optional<std::string> blob_text(git_repository* repo, const git_oid& oid) {
  git_blob* raw = nullptr;
  if (git_blob_lookup(&raw, repo, &oid) != 0) return std::nullopt;
  BlobPtr blob(raw);
  return std::string(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                     static_cast<std::size_t>(git_blob_rawsize(blob.get())));
}

PageError bad_name(std::string_view name) {
  return refused(PageErrc::bad_name, "page-name",
                 "'" + std::string(name.substr(0, 80)) +
                     "' is not a page name: use 1-64 lowercase letters, digits and '-' (no "
                     "'.md', no folders), e.g. payments-runbook");
}

std::optional<PageError> check_author(const Author& a) {
  for (const std::string* s : {&a.name, &a.id}) {
    bool ok = !s->empty() && s->size() <= 200;
    for (char c : *s) {
      const auto u = static_cast<unsigned char>(c);
      ok = ok && u >= 0x20 && u != 0x7f && c != '<' && c != '>';
    }
    if (!ok) {
      return refused(PageErrc::bad_author, "page-author",
                     "the author's name and id must be 1-200 characters without '<', '>' or "
                     "control characters; they are written into the commit as they are");
    }
  }
  return std::nullopt;
}

// Writes a work-tree file through a temporary name, so the page server
// never reads half a page.
bool write_file(const fs::path& target, std::string_view text) {
  const fs::path tmp = target.parent_path() / (".tmp-" + target.filename().string());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!out) return false;
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  return !ec;
}

PageResult<std::string> commit_tree(git_repository* repo, git_index* index, git_commit* parent,
                                    const Author& author, const std::string& message) {
  git_oid tree_oid;
  if (git_index_write_tree(&tree_oid, index) != 0)
    return fail<std::string>(git_failure("writing the tree"));
  git_tree* tree_raw = nullptr;
  if (git_tree_lookup(&tree_raw, repo, &tree_oid) != 0) {
    return fail<std::string>(git_failure("reading the new tree"));
  }
  TreePtr tree(tree_raw);
  git_signature* sig_raw = nullptr;
  if (git_signature_now(&sig_raw, author.name.c_str(), author.id.c_str()) != 0) {
    return fail<std::string>(git_failure("making the commit's author"));
  }
  SigPtr sig(sig_raw);
  const git_commit* parents[] = {parent};
  git_oid commit_oid;
  if (git_commit_create(&commit_oid, repo, nullptr, sig.get(), sig.get(), nullptr, message.c_str(),
                        tree.get(), parent != nullptr ? 1 : 0, parents) != 0) {
    return fail<std::string>(git_failure("creating the commit"));
  }
  return done(oid_text(commit_oid));
}

}  // namespace

bool is_page_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

struct PageRepo::Change {
  enum class Kind { write, rename, remove } kind = Kind::write;
  std::string page;
  std::string to;    // rename
  std::string text;  // write
};

PageRepo::PageRepo(fs::path dir) : dir_(std::move(dir)), live_(true) { git_libgit2_init(); }

PageRepo::PageRepo(PageRepo&& o) noexcept : dir_(std::move(o.dir_)), live_(o.live_) {
  o.live_ = false;
}

PageRepo& PageRepo::operator=(PageRepo&& o) noexcept {
  if (this != &o) {
    if (live_) git_libgit2_shutdown();
    dir_ = std::move(o.dir_);
    live_ = o.live_;
    o.live_ = false;
  }
  return *this;
}

PageRepo::~PageRepo() {
  if (live_) git_libgit2_shutdown();
}

PageResult<PageRepo> PageRepo::open(const fs::path& dir) {
  PageRepo repo(dir);
  std::lock_guard lock(repo_mutex(dir));
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return fail<PageRepo>(refused(PageErrc::io, "page-repo-io",
                                  "cannot create " + dir.string() + " (" + ec.message() +
                                      "); check the data directory's permissions"));
  }
  git_repository* raw = nullptr;
  if (git_repository_open_ext(&raw, dir.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) != 0) {
    git_repository_init_options opts = GIT_REPOSITORY_INIT_OPTIONS_INIT;
    opts.flags = GIT_REPOSITORY_INIT_MKPATH;
    opts.initial_head = "main";
    if (git_repository_init_ext(&raw, dir.c_str(), &opts) != 0) {
      return fail<PageRepo>(git_failure("creating the page repository in " + dir.string()));
    }
  }
  RepoPtr git(raw);
  if (git_repository_is_bare(git.get()) != 0) {
    return fail<PageRepo>(refused(PageErrc::io, "page-repo-io",
                                  dir.string() + " is a bare repository; page repositories "
                                                 "have a work tree the server reads"));
  }
  if (git_repository_head_unborn(git.get()) == 1) {
    // A new repository (ours, or an empty `git init`): the first commit
    // holds the pages already in the directory, so a space that had pages
    // before keeps them, now with a history.
    git_index* index_raw = nullptr;
    if (git_repository_set_head(git.get(), kBranch) != 0 ||
        git_repository_index(&index_raw, git.get()) != 0) {
      return fail<PageRepo>(git_failure("preparing the first commit"));
    }
    IndexPtr index(index_raw);
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string file = entry.path().filename().string();
      if (entry.is_regular_file() && file.size() > 3 && file.ends_with(".md") &&
          is_page_name(std::string_view(file).substr(0, file.size() - 3))) {
        if (git_index_add_bypath(index.get(), file.c_str()) != 0) {
          return fail<PageRepo>(git_failure("adding " + file));
        }
      }
    }
    auto first = commit_tree(git.get(), index.get(), nullptr, Author{"Vitrine", "vitrine"},
                             "Create the page repository");
    if (!first.ok()) return fail<PageRepo>(first.error);
    git_oid oid;
    git_oid_fromstr(&oid, first.value->c_str());
    git_reference* ref_raw = nullptr;
    if (git_reference_create(&ref_raw, git.get(), kBranch, &oid, 0, "initial commit") != 0 ||
        git_index_write(index.get()) != 0) {
      return fail<PageRepo>(git_failure("recording the first commit"));
    }
    RefPtr ref(ref_raw);
  }
  // Edits go to main and a push of main must update the served files, so
  // main has to be what is checked out.
  git_reference* head_raw = nullptr;
  if (git_repository_head(&head_raw, git.get()) != 0) {
    return fail<PageRepo>(git_failure("reading HEAD"));
  }
  RefPtr head_ref(head_raw);
  if (std::string_view(git_reference_name(head_ref.get())) != kBranch) {
    return fail<PageRepo>(refused(PageErrc::io, "page-repo-io",
                                  dir.string() + " has " + git_reference_name(head_ref.get()) +
                                      " checked out, not refs/heads/main; run `git checkout "
                                      "main` (or `git branch -m main`) there, then retry"));
  }
  // A push of the checked-out branch updates the work tree the server reads
  // (git refuses such pushes by default). Git does so only when the work
  // tree and index match HEAD, which every call here leaves them in.
  git_config* cfg_raw = nullptr;
  if (git_repository_config(&cfg_raw, git.get()) != 0) {
    return fail<PageRepo>(git_failure("opening the repository's configuration"));
  }
  ConfigPtr cfg(cfg_raw);
  if (git_config_set_string(cfg.get(), "receive.denyCurrentBranch", "updateInstead") != 0) {
    return fail<PageRepo>(git_failure("setting receive.denyCurrentBranch"));
  }
  return done(std::move(repo));
}

PageResult<std::string> PageRepo::head() const {
  auto git = open_git(dir_);
  if (!git.ok()) return fail<std::string>(git.error);
  auto commit = head_commit(git.value->get());
  if (!commit.ok()) return fail<std::string>(commit.error);
  return done(oid_text(*git_commit_id(commit.value->get())));
}

PageResult<PageRead> PageRepo::read(std::string_view page, std::string_view revision) const {
  if (!is_page_name(page)) return fail<PageRead>(bad_name(page));
  auto git = open_git(dir_);
  if (!git.ok()) return fail<PageRead>(git.error);
  auto commit = commit_at(git.value->get(), revision);
  if (!commit.ok()) return fail<PageRead>(commit.error);
  const std::string rev = oid_text(*git_commit_id(commit.value->get()));
  const auto blob = blob_in(commit.value->get(), file_of(page));
  if (!blob) {
    return fail<PageRead>(refused(PageErrc::not_found, "page-not-found",
                                  "page '" + std::string(page) + "' does not exist at revision " +
                                      rev.substr(0, 12) + "; check the name or its history"));
  }
  auto text = blob_text(git.value->get(), *blob);
  if (!text) return fail<PageRead>(git_failure("reading page '" + std::string(page) + "'"));
  return done(PageRead{std::move(*text), rev});
}

PageResult<std::string> PageRepo::commit_change(const Change& change, const Author& author,
                                                std::string_view message, std::string_view base) {
  if (auto e = check_author(author)) return fail<std::string>(*e);
  const std::string file = file_of(change.page);
  std::lock_guard lock(repo_mutex(dir_));
  // A `git push` may move the branch between our read and our ref update;
  // the ref update only succeeds against the HEAD we checked, so a lost
  // race re-runs the whole check against the new HEAD.
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto git_r = open_git(dir_);
    if (!git_r.ok()) return fail<std::string>(git_r.error);
    git_repository* git = git_r.value->get();
    auto head = head_commit(git);
    if (!head.ok()) return fail<std::string>(head.error);
    const git_oid head_oid = *git_commit_id(head.value->get());
    std::optional<git_oid> at_base;
    if (!base.empty()) {
      auto base_commit = commit_at(git, base);
      if (!base_commit.ok()) return fail<std::string>(base_commit.error);
      at_base = blob_in(base_commit.value->get(), file);
    }
    const auto at_head = blob_in(head.value->get(), file);

    // Rule page-edit-conflict: the page itself changed since `base`
    // (other pages changing is no conflict).
    const bool same = at_base.has_value() == at_head.has_value() &&
                      (!at_base || git_oid_equal(&*at_base, &*at_head) != 0);
    if (!same) {
      EditConflict c;
      c.base = std::string(base);
      c.current_revision = oid_text(head_oid);
      c.current_exists = at_head.has_value();
      if (at_head) c.current_text = blob_text(git, *at_head).value_or("");
      if (change.kind == Change::Kind::write) {
        c.your_text = change.text;
      } else if (at_base) {
        c.your_text = blob_text(git, *at_base).value_or("");
      }
      PageResult<std::string> r;
      r.error = refused(
          PageErrc::conflict, "page-edit-conflict",
          "page '" + change.page + "' was changed by someone else since revision " +
              std::string(base.empty() ? "(new page)" : base.substr(0, 12)) +
              "; nothing was saved. Both versions are returned: merge your text into the current "
              "one and save again with base " +
              c.current_revision.substr(0, 12));
      r.conflict = std::move(c);
      return r;
    }
    if (change.kind != Change::Kind::write && !at_head) {
      return fail<std::string>(
          refused(PageErrc::not_found, "page-not-found",
                  "page '" + change.page + "' does not exist; check the name"));
    }
    if (change.kind == Change::Kind::rename &&
        blob_in(head.value->get(), file_of(change.to)).has_value()) {
      return fail<std::string>(
          refused(PageErrc::exists, "page-exists",
                  "page '" + change.to + "' already exists; pick another name or delete it first"));
    }
    if (change.kind == Change::Kind::write && at_head &&
        blob_text(git, *at_head).value_or("") == change.text) {
      return done(oid_text(head_oid));  // nothing to record
    }

    git_index* index_raw = nullptr;
    if (git_repository_index(&index_raw, git) != 0) {
      return fail<std::string>(git_failure("opening the index"));
    }
    IndexPtr index(index_raw);
    git_tree* head_tree_raw = nullptr;
    if (git_commit_tree(&head_tree_raw, head.value->get()) != 0 ||
        git_index_read_tree(index.get(), head_tree_raw) != 0) {
      git_tree_free(head_tree_raw);
      return fail<std::string>(git_failure("loading HEAD into the index"));
    }
    git_tree_free(head_tree_raw);
    auto add = [&](const std::string& path, const std::string& text) {
      git_index_entry entry{};
      entry.mode = GIT_FILEMODE_BLOB;
      entry.path = path.c_str();
      return git_index_add_from_buffer(index.get(), &entry, text.data(), text.size()) == 0;
    };
    std::string moved_text;
    bool ok = true;
    switch (change.kind) {
      case Change::Kind::write:
        ok = add(file, change.text);
        break;
      case Change::Kind::rename:
        moved_text = blob_text(git, *at_head).value_or("");
        ok = add(file_of(change.to), moved_text) &&
             git_index_remove_bypath(index.get(), file.c_str()) == 0;
        break;
      case Change::Kind::remove:
        ok = git_index_remove_bypath(index.get(), file.c_str()) == 0;
        break;
    }
    if (!ok) return fail<std::string>(git_failure("staging the change"));
    auto commit = commit_tree(git, index.get(), head.value->get(), author, std::string(message));
    if (!commit.ok()) return commit;
    git_oid new_oid;
    git_oid_fromstr(&new_oid, commit.value->c_str());
    git_reference* ref_raw = nullptr;
    const int moved = git_reference_create_matching(&ref_raw, git, kBranch, &new_oid, 1, &head_oid,
                                                    "vitrine: page edit");
    if (moved == GIT_EMODIFIED) continue;  // a push landed; check again
    if (moved != 0) return fail<std::string>(git_failure("moving the branch main"));
    RefPtr ref(ref_raw);

    // Work tree and index follow HEAD: the server reads the files, and a
    // later `git push` (updateInstead) needs them clean.
    bool synced = true;
    std::error_code ec;
    switch (change.kind) {
      case Change::Kind::write:
        synced = write_file(dir_ / file, change.text);
        break;
      case Change::Kind::rename:
        synced = write_file(dir_ / file_of(change.to), moved_text);
        fs::remove(dir_ / file, ec);
        break;
      case Change::Kind::remove:
        fs::remove(dir_ / file, ec);
        break;
    }
    // Re-adding from disk records the files' stat data, so git status sees
    // a clean tree without re-hashing every page.
    if (change.kind == Change::Kind::write) git_index_add_bypath(index.get(), file.c_str());
    if (change.kind == Change::Kind::rename) {
      git_index_add_bypath(index.get(), file_of(change.to).c_str());
    }
    if (!synced || ec || git_index_write(index.get()) != 0) {
      return fail<std::string>(
          refused(PageErrc::io, "page-repo-io",
                  "the edit was committed as " + commit.value->substr(0, 12) +
                      ", but the page file in " + dir_.string() +
                      " could not be updated; fix the directory's permissions or disk, then run "
                      "`git checkout -f main` in it"));
    }
    return commit;
  }
  return fail<std::string>(refused(PageErrc::io, "page-repo-io",
                                   "the branch kept moving (pushes arriving) while saving; "
                                   "nothing was saved, retry the edit"));
}

PageResult<std::string> PageRepo::write(std::string_view page, std::string_view text,
                                        const Author& author, std::string_view message,
                                        std::string_view base) {
  if (!is_page_name(page)) return fail<std::string>(bad_name(page));
  if (text.size() > kMaxPageBytes) {
    return fail<std::string>(refused(PageErrc::too_large, "page-too-large",
                                     "the page is larger than 1 MiB (the markdown-size "
                                     "limit); split it into several pages"));
  }
  Change c;
  c.page = std::string(page);
  c.text = std::string(text);
  const std::string msg = message.empty() ? "Edit " + c.page : std::string(message);
  return commit_change(c, author, msg, base);
}

PageResult<std::string> PageRepo::rename(std::string_view from, std::string_view to,
                                         const Author& author, std::string_view message,
                                         std::string_view base) {
  if (!is_page_name(from)) return fail<std::string>(bad_name(from));
  if (!is_page_name(to)) return fail<std::string>(bad_name(to));
  Change c;
  c.kind = Change::Kind::rename;
  c.page = std::string(from);
  c.to = std::string(to);
  const std::string msg =
      message.empty() ? "Rename " + c.page + " to " + c.to : std::string(message);
  return commit_change(c, author, msg, base);
}

PageResult<std::string> PageRepo::remove(std::string_view page, const Author& author,
                                         std::string_view message, std::string_view base) {
  if (!is_page_name(page)) return fail<std::string>(bad_name(page));
  Change c;
  c.kind = Change::Kind::remove;
  c.page = std::string(page);
  const std::string msg = message.empty() ? "Delete " + c.page : std::string(message);
  return commit_change(c, author, msg, base);
}

PageResult<std::vector<Commit>> PageRepo::history(std::string_view page, std::size_t limit) const {
  if (!is_page_name(page)) return fail<std::vector<Commit>>(bad_name(page));
  auto git_r = open_git(dir_);
  if (!git_r.ok()) return fail<std::vector<Commit>>(git_r.error);
  git_repository* git = git_r.value->get();
  git_revwalk* walk_raw = nullptr;
  if (git_revwalk_new(&walk_raw, git) != 0)
    return fail<std::vector<Commit>>(git_failure("walking history"));
  WalkPtr walk(walk_raw);
  git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
  if (git_revwalk_push_ref(walk.get(), kBranch) != 0) {
    return fail<std::vector<Commit>>(git_failure("walking history"));
  }
  const std::string file = file_of(page);
  std::vector<Commit> out;
  git_oid oid;
  while (out.size() < limit && git_revwalk_next(&oid, walk.get()) == 0) {
    git_commit* raw = nullptr;
    if (git_commit_lookup(&raw, git, &oid) != 0) continue;
    CommitPtr commit(raw);
    const auto mine = blob_in(commit.get(), file);
    // A commit changed the page when it differs from every parent (so a
    // merge that only carried a change along is not listed twice).
    bool changed = git_commit_parentcount(commit.get()) == 0 ? mine.has_value() : true;
    for (unsigned i = 0; i < git_commit_parentcount(commit.get()); ++i) {
      git_commit* parent_raw = nullptr;
      if (git_commit_parent(&parent_raw, commit.get(), i) != 0) continue;
      CommitPtr parent(parent_raw);
      const auto theirs = blob_in(parent.get(), file);
      const bool same =
          mine.has_value() == theirs.has_value() && (!mine || git_oid_equal(&*mine, &*theirs) != 0);
      if (same) changed = false;
    }
    if (!changed) continue;
    const git_signature* a = git_commit_author(commit.get());
    const char* msg = git_commit_message(commit.get());
    out.push_back(Commit{oid_text(oid), a->name != nullptr ? a->name : "",
                         a->email != nullptr ? a->email : "", a->when.time,
                         msg != nullptr ? msg : ""});
  }
  return done(std::move(out));
}

PageResult<std::string> PageRepo::diff(std::string_view page, std::string_view from,
                                       std::string_view to) const {
  if (!is_page_name(page)) return fail<std::string>(bad_name(page));
  auto git_r = open_git(dir_);
  if (!git_r.ok()) return fail<std::string>(git_r.error);
  git_repository* git = git_r.value->get();
  auto a = commit_at(git, from);
  if (!a.ok()) return fail<std::string>(a.error);
  auto b = commit_at(git, to);
  if (!b.ok()) return fail<std::string>(b.error);
  const std::string file = file_of(page);
  const auto blob_a = blob_in(a.value->get(), file);
  const auto blob_b = blob_in(b.value->get(), file);
  if (!blob_a && !blob_b) {
    return fail<std::string>(
        refused(PageErrc::not_found, "page-not-found",
                "page '" + std::string(page) + "' exists at neither revision; check the name"));
  }
  auto lookup = [&](const std::optional<git_oid>& id) -> BlobPtr {
    git_blob* raw = nullptr;
    if (id) git_blob_lookup(&raw, git, &*id);
    return BlobPtr(raw);
  };
  BlobPtr old_blob = lookup(blob_a);
  BlobPtr new_blob = lookup(blob_b);
  git_patch* patch_raw = nullptr;
  if (git_patch_from_blobs(&patch_raw, old_blob.get(), file.c_str(), new_blob.get(), file.c_str(),
                           nullptr) != 0) {
    return fail<std::string>(git_failure("diffing page '" + std::string(page) + "'"));
  }
  PatchPtr patch(patch_raw);
  git_buf buf = GIT_BUF_INIT;
  if (git_patch_to_buf(&buf, patch.get()) != 0) {
    return fail<std::string>(git_failure("formatting the diff"));
  }
  std::string text(buf.ptr != nullptr ? buf.ptr : "", buf.size);
  git_buf_dispose(&buf);
  return done(std::move(text));
}

PageResult<std::string> PageRepo::restore(std::string_view page, std::string_view revision,
                                          const Author& author, std::string_view base) {
  auto old = read(page, revision);
  if (!old.ok()) return fail<std::string>(old.error);
  return write(page, old.value->text, author,
               "Restore " + std::string(page) + " to revision " + old.value->revision.substr(0, 12),
               base);
}

}  // namespace vitrine::pages
