// What the page editor's browser routes (ui_edit*.cpp) and JSON API
// (api_pages.cpp) share: the space's page repository (pages/page_repo.h),
// the author an edit is committed as, the audit row every write leaves, and
// the HTTP status of each page-* rule.
#pragma once

#include <string>

#include "pages/page_repo.h"
#include "server/auth.h"
#include "server/context.h"
#include "store/audit.h"

namespace vitrine::server {

// The repository of `space` (<pages_dir>/<space>/), created with the page
// files already there on first use. Opening is cheap: every PageRepo call
// opens its own libgit2 objects.
pages::PageResult<pages::PageRepo> open_page_repo(const ServerContext& ctx,
                                                  const std::string& space);

// At start: opens the pages directory of every space that has one, so files
// put there before the editor existed become the repository's first commit.
// Failures are logged with the space and do not stop the server.
void open_all_page_repos(ServerContext& ctx);

// The display name shown in history and the audit name (Caller::who) as the
// author id, which git keeps where the e-mail would be.
pages::Author author_of(ServerContext& ctx, const Caller& caller);

// One audit row per write: action page.create / page.edit / page.rename /
// page.delete / page.restore, subject the page, with the revision ids.
void audit_page_write(ServerContext& ctx, const Caller& caller, const std::string& space,
                      const std::string& action, const std::string& page, store::Detail detail);

// 400 page-name/page-author/page-revision-unknown, 404 page-not-found,
// 409 page-exists/page-edit-conflict, 413 page-too-large, 500 page-repo-io.
int page_http_status(pages::PageErrc code);

// The space's Grafana origin (empty when not connected), for the link
// converter.
std::string grafana_origin_of(ServerContext& ctx, const std::string& space);

}  // namespace vitrine::server
