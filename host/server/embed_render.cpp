#include "server/embed_render.h"

#include "render/page.h"
#include "server/ui/html.h"
#include "store/embed_settings.h"

namespace vitrine::server {
namespace {

EmbedRender refused(const char* rule, std::string message) {
  EmbedRender r;
  r.rule = rule;
  r.message = std::move(message);
  return r;
}

void apply_view_query(const Request& req, render::MacroCall& call) {
  auto take = [&](const char* name, std::string& target) {
    if (auto v = req.query_param(name); v && !v->empty() && v->size() <= 64) target = *v;
  };
  take("theme", call.theme);
  take("tz", call.timezone);
  take("from", call.time_from);
  take("to", call.time_to);
}

struct Loaded {
  EmbedRender refusal;
  std::string markdown;
  render::ParsedPage parsed;
};

// Reads and parses the page, checks the macro number and (when asked) the
// plugins of the macros the target shows.
bool load(ServerContext& ctx, const EmbedTarget& t, bool require_plugins, Loaded& out) {
  if (!is_slug(t.page, 64)) {
    out.refusal = refused(rules::kEmbedPageGone, "there is no page with this name in the space");
    return false;
  }
  auto markdown = ctx.page_files.read(ctx.options.pages_dir / t.space / (t.page + ".md"));
  if (!markdown) {
    out.refusal = refused(rules::kEmbedPageGone,
                          "the page '" + t.page + "' does not exist (any more) in this space");
    return false;
  }
  out.markdown = *markdown;
  const auto set = ctx.runtime.plugin_set();
  out.parsed = render::parse_page(out.markdown, set->macro_keys);
  if (t.macro > static_cast<int64_t>(out.parsed.macros.size()) || t.macro < 0) {
    out.refusal = refused(rules::kEmbedMacroGone, "the page '" + t.page + "' has no macro number " +
                                                      std::to_string(t.macro) + " (any more)");
    return false;
  }
  if (!require_plugins) return true;
  for (const auto& m : out.parsed.macros) {
    if (t.macro != 0 && m.index + 1 != static_cast<std::size_t>(t.macro)) continue;
    if (m.error) continue;  // an invalid block shows its error box, it runs nothing
    auto target = ctx.runtime.find_macro(m.key);
    if (!target || !ctx.runtime.enabled_in(t.space, target->plugin->id)) {
      out.refusal = refused(rules::kEmbedPluginGone,
                            "the plugin of the macro '" + m.key +
                                "' is not approved or not enabled in this space any more");
      return false;
    }
  }
  return true;
}

}  // namespace

EmbedRender check_embed_target(ServerContext& ctx, const EmbedTarget& target) {
  Loaded l;
  if (!load(ctx, target, true, l)) return l.refusal;
  EmbedRender r;
  r.ok = true;
  return r;
}

EmbedRender render_embed(ServerContext& ctx, const EmbedTarget& t, const Request& request,
                         bool require_plugins) {
  Loaded l;
  if (!load(ctx, t, require_plugins, l)) return l.refusal;
  render::MacroCall defaults;
  defaults.space = t.space;
  defaults.page_id = t.page;
  apply_view_query(request, defaults);
  EmbedRender r;
  r.ok = true;
  if (t.macro == 0) {
    r.page = ctx.engine.render_page(t.space, t.page, l.markdown, defaults);
    r.title = r.page->title.empty() ? t.page : r.page->title;
    r.body_html = "<article class=\"vitrine-page\">" + r.page->body_html + "</article>";
    return r;
  }
  const auto& m = l.parsed.macros[static_cast<std::size_t>(t.macro - 1)];
  render::MacroCall call = defaults;
  call.macro_key = m.key;
  call.params = m.params;
  if (m.error) call.preset_error = m.error->text();
  auto outcome = ctx.engine.render_macro(call);
  r.title = t.page + " - " + m.key;
  r.body_html =
      "<article class=\"vitrine-page vitrine-embed-macro\">" + outcome.html + "</article>";
  return r;
}

std::string embed_document(const std::string& title, const std::string& body_html,
                           const std::string& oembed_url) {
  std::string h =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>" +
      ui::esc(title) +
      "</title><link rel=\"stylesheet\" href=\"/static/vitrine.css\">"
      "<script src=\"/static/vitrine-embed-frame.js\" defer></script>";
  if (!oembed_url.empty()) {
    h += "<link rel=\"alternate\" type=\"application/json+oembed\" href=\"" + ui::esc(oembed_url) +
         "\" title=\"" + ui::esc(title) + "\">";
  }
  return h + "</head><body class=\"vitrine-embed\"><main>" + body_html + "</main></body></html>\n";
}

std::string embed_csp(const std::string& frame_ancestors) {
  return "default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
         "script-src 'self'; frame-ancestors " +
         frame_ancestors + "; base-uri 'none'; form-action 'none'";
}

Response embed_response(ServerContext& ctx, const std::string& space, int status,
                        std::string html) {
  auto origins = store::EmbedSettings(ctx.runtime.store().context()).origins(space);
  const std::string ancestors =
      origins ? store::frame_ancestors_of(*origins) : std::string("'none'");
  Response r = html_response(status, std::move(html));
  r.set_header("Content-Security-Policy", embed_csp(ancestors));
  return r;
}

std::string public_origin(const ServerContext& ctx, const Request& request) {
  std::string base = ctx.options.public_url;
  if (!base.empty()) {
    while (!base.empty() && base.back() == '/') base.pop_back();
    // The origin only: scheme://host[:port].
    const auto scheme_end = base.find("://");
    if (scheme_end != std::string::npos) {
      const auto path = base.find('/', scheme_end + 3);
      if (path != std::string::npos) base.resize(path);
    }
    return base;
  }
  return "http://" + request.header("host");
}

std::string url_encode(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_' || c == '.' || c == '~';
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string oembed_discovery_url(const ServerContext& ctx, const Request& request,
                                 const std::string& path) {
  const std::string origin = public_origin(ctx, request);
  return origin + "/oembed?format=json&url=" + url_encode(origin + path);
}

}  // namespace vitrine::server
