// Share-link API (docs/api.md#share-links): space admins (and platform
// admins) create, list and revoke a space's share links. The store audits
// each change (share_link.create, share_link.revoke).
#include "server/api_json.h"
#include "server/auth.h"
#include "server/context.h"
#include "server/json_errors.h"
#include "server/share_links_admin.h"

namespace vitrine::server {
namespace {

// Creating, listing and revoking share links: a space admin's action.
constexpr store::Action kManageShareLinks = store::Action::plugin_enable;
// Editors share the pages they write: creating a link needs page_write
// (editor, space admin, platform admin); listing and revoking stay with the
// space's admins, who answer for what the space exposes.
constexpr store::Action kCreateShareLinks = store::Action::page_write;

JsonObject link_json(ServerContext& ctx, const Request& req, const store::CreatedShareLink& l) {
  auto o = new_object();
  o->set("id", l.row.id);
  o->set("url", share_link_url(ctx, req, l.token));
  o->set("page", l.row.page);
  if (l.row.macro > 0) {
    o->set("macro", l.row.macro);
  } else {
    o->set("macro", Poco::Dynamic::Var());
  }
  o->set("state", share_link_state(l.row, store::system_now_ms()));
  o->set("expires_at", time_value(l.row.expires_at_ms));
  o->set("created_at", time_value(l.row.created_at_ms));
  o->set("created_by", l.row.created_by);
  o->set("revoked_at", time_value(l.row.revoked_at_ms));
  return o;
}

// An optional integer member; `error` set when present but not an integer.
std::optional<int64_t> int_member(const JsonObject& body, const std::string& key,
                                  std::string& error) {
  if (!body->has(key) || body->isNull(key)) return std::nullopt;
  auto v = body->get(key);
  if (!v.isInteger()) {
    error = "'" + key + "' must be an integer";
    return std::nullopt;
  }
  return v.convert<int64_t>();
}

}  // namespace

void add_share_links_api_routes(Router& router, ServerContext& ctx) {
  router.add("POST", "/api/v1/spaces/{space}/share-links", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::bearer, kCreateShareLinks, space);
    if (!auth.caller) return auth.refusal;
    auto parsed = read_json_object(req);
    if (auto* r = std::get_if<Response>(&parsed)) return std::move(*r);
    const auto& body = std::get<JsonObject>(parsed);
    std::string error;
    auto page = string_member(body, "page", error);
    auto macro = error.empty() ? int_member(body, "macro", error) : std::nullopt;
    auto ttl = error.empty() ? int_member(body, "ttl_seconds", error) : std::nullopt;
    if (!error.empty()) return json_error(400, "invalid", error);
    if (!page || !is_slug(*page, 64)) {
      return json_error(400, "invalid",
                        "send {\"page\": \"NAME\"}: the page name ([a-z0-9-]{1,64}); optional "
                        "\"macro\" (1-based) and \"ttl_seconds\"");
    }
    auto created = create_share_link(ctx, auth.caller->who(), space, *page, macro.value_or(0),
                                     ttl.value_or(store::kShareLinkDefaultTtlS));
    if (!created) return json_error(created.error());
    return json_response(200, to_json(link_json(ctx, req, *created)));
  });

  router.add("GET", "/api/v1/spaces/{space}/share-links", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::bearer, kManageShareLinks, space);
    if (!auth.caller) return auth.refusal;
    auto links = store::ShareLinks(ctx.runtime.store().context()).list(space);
    if (!links) return json_error(links.error());
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& l : *links) list->add(link_json(ctx, req, l));
    auto o = new_object();
    o->set("share_links", list);
    return json_response(200, to_json(o));
  });

  router.add("DELETE", "/api/v1/spaces/{space}/share-links/{id}", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::bearer, kManageShareLinks, space);
    if (!auth.caller) return auth.refusal;
    const std::string id = req.param("id");
    if (!is_slug(id, 32))
      return json_error(404, "not-found", "no share link '" + id.substr(0, 64) + "'");
    auto st =
        store::ShareLinks(ctx.runtime.store().context()).revoke(auth.caller->who(), space, id);
    if (!st) return json_error(st.error());
    auto o = new_object();
    o->set("id", id);
    o->set("state", "revoked");
    return json_response(200, to_json(o));
  });
}

}  // namespace vitrine::server
