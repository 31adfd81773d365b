// Render API: a Markdown page or one macro for a space, for any role of that
// space (viewer and up). The HTML returned is the engine's: every plugin
// fragment already sanitized, safe to insert into a page that sends the
// CSP of docs/api.md.
#include "render/engine.h"
#include "render/markdown_limits.h"
#include "server/api_json.h"
#include "server/auth.h"
#include "server/context.h"
#include "server/json_errors.h"

namespace vitrine::server {
namespace {

JsonObject outcome_json(const render::MacroOutcome& m, bool with_html) {
  auto o = new_object();
  o->set("state", render::to_string(m.state));
  o->set("plugin", text_or_null(m.plugin_id));
  o->set("error", text_or_null(m.error));
  o->set("rule", text_or_null(m.rule));
  o->set("as_of", time_value(m.as_of_ms));
  if (with_html) o->set("html", m.html);
  return o;
}

// theme / timezone / from / to / page_id from the body onto the call; an
// error message when one is not a string or page_id is malformed.
std::string apply_options(const JsonObject& body, render::MacroCall& call) {
  std::string error;
  struct Field {
    const char* name;
    std::string* target;
  };
  const Field fields[] = {{"theme", &call.theme},
                          {"timezone", &call.timezone},
                          {"from", &call.time_from},
                          {"to", &call.time_to},
                          {"page_id", &call.page_id}};
  for (const auto& f : fields) {
    if (auto v = string_member(body, f.name, error)) *f.target = *v;
    if (!error.empty()) return error;
  }
  if (!is_slug(call.page_id, 64)) return "'page_id' must match [a-z0-9-]{1,64}";
  return {};
}

}  // namespace

void add_api_render_routes(Router& router, ServerContext& ctx) {
  router.add("POST", "/api/v1/spaces/{space}/render", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::bearer, store::Action::space_show, space);
    if (!auth.caller) return auth.refusal;
    auto parsed = read_json_object(req);
    if (auto* r = std::get_if<Response>(&parsed)) return std::move(*r);
    const auto& body = std::get<JsonObject>(parsed);
    std::string error;
    auto markdown = string_member(body, "markdown", error);
    if (!markdown) {
      return json_error(400, "invalid",
                        error.empty() ? "send {\"markdown\": \"...\"}: the page text" : error);
    }
    render::MacroCall defaults;
    defaults.space = space;
    defaults.page_id = "api";
    if (auto e = apply_options(body, defaults); !e.empty()) return json_error(400, "invalid", e);
    // A page over a Markdown limit costs this one linear scan and nothing
    // else: 422 with the rule id as the code (docs/pages.md#limits).
    if (auto over = render::check_markdown_limits(*markdown)) {
      return json_error(422, over->rule, over->message);
    }
    auto page = ctx.engine.render_page(space, defaults.page_id, *markdown, defaults);
    auto o = new_object();
    o->set("title", page->title);
    o->set("html", page->body_html);
    Poco::JSON::Array::Ptr macros = new Poco::JSON::Array;
    for (const auto& m : page->macros) macros->add(outcome_json(m, false));
    o->set("macros", macros);
    return json_response(200, to_json(o));
  });

  router.add("POST", "/api/v1/spaces/{space}/macros/{key}/render", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::bearer, store::Action::space_show, space);
    if (!auth.caller) return auth.refusal;
    const std::string key = req.param("key");
    if (!is_slug(key, 64) || !ctx.runtime.find_macro(key)) {
      return json_error(404, "unknown-macro",
                        "no running plugin provides the macro '" + key.substr(0, 64) +
                            "'; GET /api/v1/plugins lists what is installed");
    }
    auto parsed = read_json_object(req);
    if (auto* r = std::get_if<Response>(&parsed)) return std::move(*r);
    const auto& body = std::get<JsonObject>(parsed);
    render::MacroCall call;
    call.space = space;
    call.page_id = "api";
    call.macro_key = key;
    if (auto e = apply_options(body, call); !e.empty()) return json_error(400, "invalid", e);
    if (body->has("params") && !body->isNull("params")) {
      auto params = body->getObject("params");
      if (!params) return json_error(400, "invalid", "'params' must be an object of name: value");
      for (const auto& [name, value] : *params) {
        // Scalars only, as in a page's macro block; lists are comma-joined
        // strings there too.
        if (value.isString() || value.isNumeric() || value.isBoolean()) {
          call.params[name] = value.convert<std::string>();
        } else {
          return json_error(400, "invalid",
                            "parameter '" + name + "' must be a string, number or boolean");
        }
      }
    }
    auto outcome = ctx.engine.render_macro(call);
    return json_response(200, to_json(outcome_json(outcome, true)));
  });
}

}  // namespace vitrine::server
