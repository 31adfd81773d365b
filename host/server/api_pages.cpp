// Pages API (bearer tokens): read, write, rename, delete, history, diff and
// restore a space's pages, kept in the space's git repository
// (page_repos.h). Reads need any role of the space (page_read), writes the
// editor role or a space or platform admin (page_write); another space's
// pages answer 404 (P6). Every write is audited with its revision ids. An
// edit sent with a stale `base` is refused with 409 page-edit-conflict and
// both texts, so nothing is ever silently lost.
#include "server/api_json.h"
#include "server/auth.h"
#include "server/context.h"
#include "server/json_errors.h"
#include "server/page_repos.h"
#include "server/ui_edit.h"

namespace vitrine::server {
namespace {

using store::Action;

template <class T>
Response page_error(const pages::PageResult<T>& r) {
  if (!r.conflict) return json_error(page_http_status(r.error.code), r.error.rule, r.error.message);
  // The author's text and the current one travel back together.
  Poco::JSON::Object::Ptr inner = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  inner->set("code", r.error.rule);
  inner->set("message", r.error.message);
  inner->set("base", r.conflict->base);
  inner->set("current_revision", r.conflict->current_revision);
  inner->set("current_exists", r.conflict->current_exists);
  inner->set("current_text", r.conflict->current_text);
  inner->set("your_text", r.conflict->your_text);
  auto root = new_object();
  root->set("error", inner);
  return json_response(409, to_json(root));
}

Response revision_answer(int status, const std::string& page, const std::string& revision) {
  auto o = new_object();
  o->set("page", page);
  o->set("revision", revision);
  return json_response(status, to_json(o));
}

// Reads the JSON body's string members into `out`; an answer to send when
// the body is not an object or a member is not a string.
std::optional<Response> read_members(
    const Request& req, std::initializer_list<std::pair<const char*, std::string*>> out) {
  auto parsed = read_json_object(req);
  if (auto* r = std::get_if<Response>(&parsed)) return std::move(*r);
  const auto& body = std::get<JsonObject>(parsed);
  std::string error;
  for (const auto& [name, target] : out) {
    if (auto v = string_member(body, name, error)) *target = *v;
    if (!error.empty()) return json_error(400, "invalid", error);
  }
  return std::nullopt;
}

}  // namespace

void add_api_pages_routes(Router& router, ServerContext& ctx) {
  router.add("GET", "/api/v1/spaces/{space}/pages", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::bearer, Action::page_read, space);
    if (!auth.caller) return auth.refusal;
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& p : list_pages(ctx, space)) list->add(p);
    auto o = new_object();
    o->set("pages", list);
    return json_response(200, to_json(o));
  });

  router.add("GET", "/api/v1/spaces/{space}/pages/{page}", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::bearer, Action::page_read, space);
    if (!auth.caller) return auth.refusal;
    auto repo = open_page_repo(ctx, space);
    if (!repo.ok()) return page_error(repo);
    auto read = repo.value->read(req.param("page"), req.query_param("revision").value_or(""));
    if (!read.ok()) return page_error(read);
    auto o = new_object();
    o->set("page", req.param("page"));
    o->set("revision", read.value->revision);
    o->set("text", read.value->text);
    return json_response(200, to_json(o));
  });

  router.add("PUT", "/api/v1/spaces/{space}/pages/{page}", [&ctx](Request& req) {
    const std::string space = req.param("space");
    const std::string page = req.param("page");
    auto auth = authorize(ctx, req, Credentials::bearer, Action::page_write, space);
    if (!auth.caller) return auth.refusal;
    std::string text, base, message;
    bool has_text = false;
    {
      auto parsed = read_json_object(req);
      if (auto* r = std::get_if<Response>(&parsed)) return std::move(*r);
      const auto& body = std::get<JsonObject>(parsed);
      std::string error;
      if (auto v = string_member(body, "text", error)) text = *v, has_text = true;
      if (auto v = string_member(body, "base", error)) base = *v;
      if (auto v = string_member(body, "message", error)) message = *v;
      if (!error.empty()) return json_error(400, "invalid", error);
    }
    if (!has_text) {
      return json_error(400, "invalid",
                        "send {\"text\": \"...\", \"base\": \"REVISION\"}: base is the revision "
                        "you read (\"\" for a new page)");
    }
    auto repo = open_page_repo(ctx, space);
    if (!repo.ok()) return page_error(repo);
    if (message.empty()) message = base.empty() ? "Create " + page : "Edit " + page;
    auto rev = repo.value->write(page, text, author_of(ctx, *auth.caller), message, base);
    if (!rev.ok()) return page_error(rev);
    const bool created = base.empty();
    audit_page_write(ctx, *auth.caller, space, created ? "page.create" : "page.edit", page,
                     {{"revision", *rev.value}, {"base", base}});
    return revision_answer(created ? 201 : 200, page, *rev.value);
  });

  router.add("DELETE", "/api/v1/spaces/{space}/pages/{page}", [&ctx](Request& req) {
    const std::string space = req.param("space");
    const std::string page = req.param("page");
    auto auth = authorize(ctx, req, Credentials::bearer, Action::page_write, space);
    if (!auth.caller) return auth.refusal;
    auto base = req.query_param("base");
    if (!base || base->empty()) {
      return json_error(400, "invalid",
                        "send ?base=REVISION: the revision of the page you mean to delete");
    }
    auto repo = open_page_repo(ctx, space);
    if (!repo.ok()) return page_error(repo);
    auto rev = repo.value->remove(page, author_of(ctx, *auth.caller), "Delete " + page, *base);
    if (!rev.ok()) return page_error(rev);
    audit_page_write(ctx, *auth.caller, space, "page.delete", page,
                     {{"revision", *rev.value}, {"base", *base}});
    return revision_answer(200, page, *rev.value);
  });

  router.add("POST", "/api/v1/spaces/{space}/pages/{page}/rename", [&ctx](Request& req) {
    const std::string space = req.param("space");
    const std::string page = req.param("page");
    auto auth = authorize(ctx, req, Credentials::bearer, Action::page_write, space);
    if (!auth.caller) return auth.refusal;
    std::string to, base, message;
    if (auto r = read_members(req, {{"to", &to}, {"base", &base}, {"message", &message}})) {
      return std::move(*r);
    }
    auto repo = open_page_repo(ctx, space);
    if (!repo.ok()) return page_error(repo);
    if (message.empty()) message = "Rename " + page + " to " + to;
    auto rev = repo.value->rename(page, to, author_of(ctx, *auth.caller), message, base);
    if (!rev.ok()) return page_error(rev);
    audit_page_write(ctx, *auth.caller, space, "page.rename", page,
                     {{"to", to}, {"revision", *rev.value}, {"base", base}});
    return revision_answer(200, to, *rev.value);
  });

  router.add("POST", "/api/v1/spaces/{space}/pages/{page}/restore", [&ctx](Request& req) {
    const std::string space = req.param("space");
    const std::string page = req.param("page");
    auto auth = authorize(ctx, req, Credentials::bearer, Action::page_write, space);
    if (!auth.caller) return auth.refusal;
    std::string revision, base;
    if (auto r = read_members(req, {{"revision", &revision}, {"base", &base}})) {
      return std::move(*r);
    }
    auto repo = open_page_repo(ctx, space);
    if (!repo.ok()) return page_error(repo);
    auto rev = repo.value->restore(page, revision, author_of(ctx, *auth.caller), base);
    if (!rev.ok()) return page_error(rev);
    audit_page_write(ctx, *auth.caller, space, "page.restore", page,
                     {{"revision", *rev.value}, {"restored", revision}, {"base", base}});
    return revision_answer(200, page, *rev.value);
  });

  router.add("GET", "/api/v1/spaces/{space}/pages/{page}/history", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::bearer, Action::page_read, space);
    if (!auth.caller) return auth.refusal;
    auto repo = open_page_repo(ctx, space);
    if (!repo.ok()) return page_error(repo);
    auto history = repo.value->history(req.param("page"));
    if (!history.ok()) return page_error(history);
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& c : *history.value) {
      auto o = new_object();
      o->set("revision", c.id);
      o->set("author_name", c.author_name);
      o->set("author_id", c.author_id);
      o->set("time", time_value(c.time * 1000));
      o->set("message", c.message);
      list->add(o);
    }
    auto o = new_object();
    o->set("page", req.param("page"));
    o->set("commits", list);
    return json_response(200, to_json(o));
  });

  router.add("GET", "/api/v1/spaces/{space}/pages/{page}/diff", [&ctx](Request& req) {
    const std::string space = req.param("space");
    auto auth = authorize(ctx, req, Credentials::bearer, Action::page_read, space);
    if (!auth.caller) return auth.refusal;
    auto from = req.query_param("from");
    auto to = req.query_param("to");
    if (!from || !to) return json_error(400, "invalid", "send ?from=REVISION&to=REVISION");
    auto repo = open_page_repo(ctx, space);
    if (!repo.ok()) return page_error(repo);
    auto diff = repo.value->diff(req.param("page"), *from, *to);
    if (!diff.ok()) return page_error(diff);
    auto o = new_object();
    o->set("page", req.param("page"));
    o->set("from", *from);
    o->set("to", *to);
    o->set("diff", *diff.value);
    return json_response(200, to_json(o));
  });
}

}  // namespace vitrine::server
