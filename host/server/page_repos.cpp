#include "server/page_repos.h"

#include <algorithm>
#include <filesystem>

#include "log/log.h"

namespace vitrine::server {

pages::PageResult<pages::PageRepo> open_page_repo(const ServerContext& ctx,
                                                  const std::string& space) {
  return pages::PageRepo::open(ctx.options.pages_dir / space);
}

void open_all_page_repos(ServerContext& ctx) {
  auto spaces = ctx.runtime.store().backend().list_spaces();
  if (!spaces) {
    log::warn("pages.open_skipped", {{"why", spaces.error().message}});
    return;
  }
  for (const auto& sp : *spaces) {
    std::error_code ec;
    // Only directories that exist: a space without pages gets its
    // repository with its first saved page.
    if (!std::filesystem::is_directory(ctx.options.pages_dir / sp.key, ec)) continue;
    auto repo = open_page_repo(ctx, sp.key);
    if (!repo.ok()) {
      log::error("pages.open_failed",
                 {{"space", sp.key}, {"rule", repo.error.rule}, {"what", repo.error.message}});
    }
  }
}

pages::Author author_of(ServerContext& ctx, const Caller& caller) {
  pages::Author a;
  a.name = identity_of(ctx, caller).name;
  a.id = caller.who();
  // page-author refuses '<', '>' and control bytes, which a provider's
  // display name may hold; the id stays exact.
  std::replace_if(
      a.name.begin(), a.name.end(),
      [](char c) { return c == '<' || c == '>' || static_cast<unsigned char>(c) < 0x20; }, ' ');
  if (a.name.size() > 200) a.name.resize(200);
  if (a.name.find_first_not_of(' ') == std::string::npos) a.name = a.id;
  return a;
}

void audit_page_write(ServerContext& ctx, const Caller& caller, const std::string& space,
                      const std::string& action, const std::string& page, store::Detail detail) {
  store::AuditEvent ev;
  ev.who = caller.who();
  ev.space = space;
  ev.action = action;
  ev.subject = page;
  ev.verdict = "ok";
  ev.detail = std::move(detail);
  // A failed write is counted and reported by AuditLog itself (readyz).
  (void)ctx.runtime.store().audit().record(ev);
}

int page_http_status(pages::PageErrc code) {
  switch (code) {
    case pages::PageErrc::ok:
      return 200;
    case pages::PageErrc::bad_name:
    case pages::PageErrc::bad_author:
    case pages::PageErrc::bad_revision:
      return 400;
    case pages::PageErrc::not_found:
      return 404;
    case pages::PageErrc::exists:
    case pages::PageErrc::conflict:
      return 409;
    case pages::PageErrc::too_large:
      return 413;
    case pages::PageErrc::io:
      return 500;
  }
  return 500;
}

std::string grafana_origin_of(ServerContext& ctx, const std::string& space) {
  auto sp = ctx.runtime.store().backend().get_space(space);
  return sp ? sp->grafana_origin : std::string();
}

}  // namespace vitrine::server
