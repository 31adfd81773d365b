#include <chrono>

#include "log/log.h"
#include "render/page.h"
#include "server/http.h"
#include "server/ui_freshness.h"
#include "store/report.h"

namespace vitrine::server {
namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::shared_ptr<const std::string> read_page(ServerContext& ctx, const std::string& space,
                                             const std::string& page) {
  if (!is_slug(page, 64)) return nullptr;
  return ctx.page_files.read(ctx.options.pages_dir / space / (page + ".md"));
}

std::optional<render::RefreshReport> refresh_page(ServerContext& ctx, const std::string& space,
                                                  const std::string& page, const std::string& who) {
  auto markdown = read_page(ctx, space, page);
  if (!markdown) return std::nullopt;
  render::MacroCall defaults;
  defaults.space = space;
  defaults.page_id = page;
  std::vector<render::RefreshFailure> invalid;
  const auto set = ctx.runtime.plugin_set();
  auto items = render::refresh_calls(*markdown, defaults, set->macro_keys, invalid);
  auto report = render::refresh_in_batches(
      items, kRefreshBatch,
      [&ctx](const render::MacroCall& c) { return ctx.engine.render_macro(c); },
      std::move(invalid));
  std::string rules;
  for (const auto& f : report.failed) {
    rules += (rules.empty() ? "" : ",") + std::to_string(f.macro) + ":" + f.rule;
  }
  store::AuditEvent ev{who,
                       space,
                       "page.refresh",
                       page,
                       report.failed.empty() ? "ok" : "error",
                       {{"refreshed", std::to_string(report.refreshed), true},
                        {"failed", std::to_string(report.failed.size()), true}}};
  if (!rules.empty()) ev.detail.push_back({"failed_rules", rules, false});
  // A failed audit write is reported by AuditHealth (/readyz, metrics).
  (void)ctx.runtime.store().audit().record(ev);
  log::info("freshness.refresh", {{"space", space},
                                  {"page", page},
                                  {"refreshed", std::to_string(report.refreshed)},
                                  {"failed", std::to_string(report.failed.size())},
                                  {"batches", std::to_string(report.batches)}});
  return report;
}

render::EvidenceStore evidence_store(const ServerContext& ctx) {
  return render::EvidenceStore(ctx.options.pages_dir.parent_path() / "evidence");
}

std::optional<render::EvidenceRecord> pin_evidence(ServerContext& ctx, const std::string& space,
                                                   const std::string& page, std::size_t macro,
                                                   const std::string& who, int& status,
                                                   std::string& error) {
  auto markdown = read_page(ctx, space, page);
  if (!markdown) {
    status = 404;
    error = "there is no page '" + page + "' in this space";
    return std::nullopt;
  }
  const auto set = ctx.runtime.plugin_set();
  const auto parsed = render::parse_page(*markdown, set->macro_keys);
  if (macro == 0 || macro > parsed.macros.size()) {
    status = 404;
    error = "the page '" + page + "' has no macro number " + std::to_string(macro) +
            "; macros are numbered from 1 in page order";
    return std::nullopt;
  }
  const auto& m = parsed.macros[macro - 1];
  render::MacroCall call;
  call.space = space;
  call.page_id = page;
  call.macro_key = m.key;
  call.params = m.params;
  if (m.error) call.preset_error = m.error->text();
  const auto outcome = ctx.engine.render_macro(call);
  if (outcome.state == render::MacroState::error) {
    status = 422;
    error = "macro " + std::to_string(macro) + " shows an error box, not content (" +
            outcome.error + " [" + outcome.rule + "]); pin it once it renders";
    return std::nullopt;
  }
  render::EvidenceRecord r;
  r.space = space;
  r.page = page;
  r.macro = macro;
  r.key = m.key;
  r.params = m.params;
  r.pinned_by = who;
  r.pinned_at_ms = now_ms();
  r.as_of_ms = outcome.as_of_ms;
  r.state = render::to_string(outcome.state);
  auto assets = ctx.runtime.store().assets();
  r.html = render::inline_assets(
      outcome.html, space,
      [&](const std::string& id) -> std::optional<std::pair<std::string, std::string>> {
        auto a = assets.get(space, id);
        if (!a) return std::nullopt;
        return std::make_pair(a->content_type, std::string(a->data.view()));
      });
  auto written = evidence_store(ctx).pin(std::move(r), error);
  if (!written) {
    status = 500;
    return std::nullopt;
  }
  store::AuditEvent ev{who,
                       space,
                       "evidence.pin",
                       page + "#macro-" + std::to_string(macro),
                       "ok",
                       {{"id", written->id, false},
                        {"macro_key", written->key, false},
                        {"as_of", store::format_time(written->as_of_ms), false},
                        {"sha256", written->sha256, false}}};
  (void)ctx.runtime.store().audit().record(ev);
  log::info("freshness.pin", {{"space", space}, {"page", page}, {"id", written->id}});
  return written;
}

std::vector<render::DashboardUse> dashboard_uses(ServerContext& ctx, const std::string& space,
                                                 const std::string& uid) {
  const auto set = ctx.runtime.plugin_set();
  return render::scan_space_pages(ctx.options.pages_dir / space, uid, set->macro_keys);
}

}  // namespace vitrine::server
