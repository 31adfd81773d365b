// GET /oembed?url=URL&format=json (docs/embedding.md#oembed): the oEmbed
// answer (type "rich") for a Vitrine link, so a wiki that understands
// oEmbed turns a pasted link into an embed by itself.
//
// Link shapes, on this host's origin:
//   /s/TOKEN                                   share link: public by design
//   /spaces/S/pages/P, /embed/spaces/S/pages/P  a page: the caller must be
//   /embed/spaces/S/pages/P/macros/N            allowed to view S (session or
//                                              bearer), else 404
// Any other URL, another origin, or a link that does not work (expired,
// revoked, page or plugin gone) answers 404, the same answer for all: the
// endpoint never tells more than the link itself would. format other than
// json answers 501 (oEmbed 1.0, section 2.3.4).
#include <algorithm>

#include "server/api_json.h"
#include "server/auth.h"
#include "server/context.h"
#include "server/embed_render.h"
#include "server/json_errors.h"
#include "server/router.h"
#include "store/share_links.h"

namespace vitrine::server {
namespace {

constexpr int kDefaultWidth = 800;
constexpr int kPageHeight = 600;
constexpr int kMacroHeight = 400;

Response not_found() {
  return json_error(404, "not-found", "no embeddable Vitrine link at this URL, or not for you");
}

int bounded(const Request& req, const char* name, int fallback) {
  auto v = req.query_param(name);
  if (!v || v->empty() || v->size() > 5 ||
      v->find_first_not_of("0123456789") != std::string::npos) {
    return fallback;
  }
  return std::clamp(std::stoi(*v), 50, fallback);
}

struct Target {
  EmbedTarget embed;
  std::string embed_path;
  bool share_link = false;
  std::string token;
};

bool digits(const std::string& s) {
  return !s.empty() && s.size() <= 3 && s[0] != '0' &&
         s.find_first_not_of("0123456789") == std::string::npos;
}

std::optional<Target> parse_target(const std::string& path) {
  if (path.find("//") != std::string::npos || path.find('?') != std::string::npos) {
    return std::nullopt;
  }
  const auto p = split_path(path);
  Target t;
  if (p.size() == 2 && p[0] == "s") {
    t.share_link = true;
    t.token = p[1];
    t.embed_path = "/s/" + p[1];
    return t;
  }
  std::size_t at = 0;
  if (!p.empty() && p[0] == "embed") at = 1;
  if (p.size() < at + 4 || p[at] != "spaces" || p[at + 2] != "pages") return std::nullopt;
  t.embed.space = p[at + 1];
  t.embed.page = p[at + 3];
  if (!is_slug(t.embed.space, 32) || !is_slug(t.embed.page, 64)) return std::nullopt;
  if (p.size() == at + 4) {
    t.embed_path = "/embed/spaces/" + t.embed.space + "/pages/" + t.embed.page;
    return t;
  }
  if (at == 1 && p.size() == 7 && p[5] == "macros" && digits(p[6])) {
    t.embed.macro = std::stoll(p[6]);
    t.embed_path = path;
    return t;
  }
  return std::nullopt;
}

std::string attr(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace

void add_oembed_routes(Router& router, ServerContext& ctx) {
  router.add("GET", "/oembed", [&ctx](Request& req) {
    const auto format = req.query_param("format").value_or("json");
    if (format != "json") {
      return json_error(501, "not-implemented", "only format=json is served");
    }
    const auto url = req.query_param("url");
    const std::string origin = public_origin(ctx, req);
    if (!url || url->size() > 2048 || url->rfind(origin + "/", 0) != 0) return not_found();
    auto target = parse_target(url->substr(origin.size()));
    if (!target) return not_found();
    if (target->share_link) {
      auto check = store::ShareLinks(ctx.runtime.store().context()).verify(target->token);
      if (!check.ok) return not_found();
      target->embed = EmbedTarget{check.row.space, check.row.page, check.row.macro};
    } else {
      auto auth =
          authorize(ctx, req, Credentials::browser, store::Action::space_show, target->embed.space);
      if (!auth.caller) return not_found();
    }
    if (!check_embed_target(ctx, target->embed).ok) return not_found();
    const bool macro = target->embed.macro > 0;
    const int width = bounded(req, "maxwidth", kDefaultWidth);
    const int height = bounded(req, "maxheight", macro ? kMacroHeight : kPageHeight);
    const std::string title =
        target->embed.page + (macro ? " - macro " + std::to_string(target->embed.macro) : "");
    const std::string src = origin + target->embed_path;
    auto o = new_object();
    o->set("version", "1.0");
    o->set("type", "rich");
    o->set("provider_name", "Vitrine");
    o->set("provider_url", origin + "/");
    o->set("title", title);
    o->set("width", width);
    o->set("height", height);
    o->set("html", "<iframe src=\"" + attr(src) + "\" width=\"" + std::to_string(width) +
                       "\" height=\"" + std::to_string(height) + "\" title=\"" + attr(title) +
                       "\" style=\"border:0;max-width:100%\" loading=\"lazy\" "
                       "referrerpolicy=\"no-referrer\"></iframe>");
    Response r = json_response(200, to_json(o));
    // Share links are public; a page answer is for its signed-in caller only.
    if (target->share_link) r.set_header("Access-Control-Allow-Origin", "*");
    return r;
  });
}

}  // namespace vitrine::server
