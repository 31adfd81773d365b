// The editor's dashboard picker (ui_edit.h, editor_sidebar_html): the
// space's dashboards and their panels, as the dashboard plugin's
// dashboard-library macro lists them. The list is fetched through the
// render engine like any macro on a page, so the plugin's scope, the
// space's egress approvals, the plugin's approval and enablement and the
// cache all apply; the host never asks Grafana itself. The links point at
// the space's Grafana: without script they open it, with script
// (/static/vitrine-editor.js) a click converts the link through
// /convert-link and inserts the block at the cursor.
#include "render/engine.h"
#include "server/ui/html.h"
#include "server/ui_edit.h"

namespace vitrine::server {
namespace {

// The macro the picker shows, and the longest search it passes on (the
// manifest's max_length for `query`; longer text would be a binding error).
constexpr const char* kLibraryMacro = "dashboard-library";
constexpr std::size_t kMaxSearch = 256;

std::string clipped(const std::string& search) {
  if (search.size() <= kMaxSearch) return search;
  std::size_t end = kMaxSearch;
  // Never cut a UTF-8 sequence in half.
  while (end > 0 && (static_cast<unsigned char>(search[end]) & 0xC0) == 0x80) --end;
  return search.substr(0, end);
}

// The page view's answer when the plugin is off in the space, said as what
// it means for the picker and who can change it.
std::string not_enabled_notice(ServerContext& ctx, const Caller& caller, const std::string& space) {
  std::string h =
      "<p class=\"vitrine-picker-notice\" role=\"status\">The dashboard picker lists dashboards "
      "through the dashboard plugin, which is not enabled in this space (rule "
      "plugin-not-enabled). A space admin can enable it in the space settings";
  if (permits(ctx, caller, store::Action::plugin_enable, space)) {
    h += ": <a href=\"/spaces/" + ui::esc(space) + "/settings\">open the settings</a>";
  }
  h += ". Meanwhile, paste a Grafana link into the text or the insert box.</p>";
  return h;
}

}  // namespace

std::string editor_sidebar_html(ServerContext& ctx, const Caller& caller, const std::string& space,
                                const std::string& page, const std::string& search) {
  const std::string q = clipped(search);
  render::MacroCall call;
  call.space = space;
  // Not a page of the space: the list is the same for every page edited.
  call.page_id = "picker";
  call.macro_key = kLibraryMacro;
  if (!q.empty()) call.params["query"] = q;
  const render::MacroOutcome out = ctx.engine.render_macro(call);

  std::string h =
      "<section id=\"vitrine-picker\" aria-labelledby=\"vitrine-picker-title\">"
      "<h2 id=\"vitrine-picker-title\">Dashboards</h2>";
  if (out.state == render::MacroState::error && out.rule == "plugin-not-enabled") {
    return h + not_enabled_notice(ctx, caller, space) + "</section>";
  }
  h += "<p class=\"muted\" id=\"vitrine-picker-help\">Choose a dashboard or a panel to insert its "
       "macro block at the cursor. Without JavaScript the links open Grafana; copy the address "
       "into the insert box instead.</p>"
       "<form method=\"get\" action=\"/spaces/" +
       ui::esc(space) + "/edit/" + ui::esc(page) +
       "\" role=\"search\" id=\"vitrine-picker-search\">"
       "<label for=\"vitrine-picker-q\">Search dashboards</label> "
       "<input id=\"vitrine-picker-q\" name=\"picker_q\" type=\"search\" size=\"24\" "
       "maxlength=\"256\" value=\"" +
       ui::esc(q) +
       "\"> <button type=\"submit\">Search</button></form>"
       // The engine's fragment: sanitized, or its error box saying who must act.
       "<div id=\"vitrine-picker-list\">" +
       out.html + "</div></section>";
  return h;
}

}  // namespace vitrine::server
