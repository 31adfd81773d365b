#include "server/csrf.h"

#include "server/ui/html.h"

namespace vitrine::server {
namespace {

std::string strip_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

bool same_origin(const ServerContext& ctx, const Request& request) {
  const std::string site = request.header("sec-fetch-site");
  if (site == "cross-site" || site == "same-site") return false;
  const std::string origin = request.header("origin");
  // Browsers send Origin on every form POST; a client without one is not a
  // browser and cannot be the victim of a forged request.
  if (origin.empty()) return true;
  if (origin == "null") return false;
  if (!ctx.options.public_url.empty()) return origin == strip_slash(ctx.options.public_url);
  const std::string host = request.header("host");
  return !host.empty() && (origin == "http://" + host || origin == "https://" + host);
}

bool form_allowed(const ServerContext& ctx, const Request& request, const SessionView& session,
                  const std::map<std::string, std::string>& form) {
  if (!same_origin(ctx, request)) return false;
  auto it = form.find("csrf");
  return it != form.end() && constant_time_equal(it->second, session.csrf);
}

Response csrf_refusal() {
  return ui::error_page(403, "Request refused",
                        "This form was not sent from a Vitrine page of this server (cross-site "
                        "request or expired form). Reload the page and try again.");
}

}  // namespace vitrine::server
