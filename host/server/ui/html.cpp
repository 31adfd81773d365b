#include "server/ui/html.h"

#include "render/html_escape.h"

namespace vitrine::server::ui {
namespace {
constexpr std::string_view kErrorMark = "\x01[error]";
}  // namespace

std::string error_notice(const std::string& message) { return std::string(kErrorMark) + message; }

std::string esc(std::string_view text) { return render::escape_html(text); }

std::string csrf_field(const std::string& csrf) {
  return "<input type=\"hidden\" name=\"csrf\" value=\"" + esc(csrf) + "\">";
}

std::string button_form(const std::string& action, const std::string& label,
                        const std::string& csrf, const std::string& extra_fields,
                        const std::string& css_class) {
  return "<form method=\"post\" action=\"" + esc(action) + "\" class=\"inline\">" +
         csrf_field(csrf) + extra_fields + "<button type=\"submit\"" +
         (css_class.empty() ? "" : " class=\"" + esc(css_class) + "\"") + ">" + esc(label) +
         "</button></form>";
}

std::string render(const Shell& s) {
  std::string out;
  std::size_t body = s.body_html.size();
  for (auto part : s.body_parts) body += part.size();
  out.reserve(body + 1024);  // one allocation for a page of any size
  out +=
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>" +
      esc(s.title) +
      " · Vitrine</title><link rel=\"stylesheet\" href=\"/static/vitrine.css\"></head><body>"
      "<header class=\"top\"><a class=\"brand\" href=\"/\">Vitrine</a>";
  if (!s.space.empty()) {
    out += "<a href=\"/spaces/" + esc(s.space) + "\">" + esc(s.space) + "</a>";
    if (s.settings_link) out += "<a href=\"/spaces/" + esc(s.space) + "/settings\">Settings</a>";
  }
  if (s.plugins_link) {
    // The platform admin's console (ui_console.h).
    static constexpr std::pair<const char*, const char*> kConsole[] = {
        {"/admin", "Console"},       {"/admin/spaces", "Spaces"},   {"/admin/plugins", "Plugins"},
        {"/admin/tokens", "Tokens"}, {"/admin/license", "License"}, {"/admin/audit", "Audit"}};
    out += "<nav class=\"console\" aria-label=\"Platform console\">";
    for (const auto& [href, text] : kConsole) {
      out += "<a href=\"" + std::string(href) + "\">" + text + "</a>";
    }
    out += "</nav>";
  }
  if (!s.who.empty()) out += "<span class=\"who\">" + esc(s.who) + "</span>";
  if (!s.csrf.empty()) out += button_form("/logout", "Log out", s.csrf, {}, "link");
  out += "</header><main>";
  if (s.flash.rfind(kErrorMark, 0) == 0) {
    out += "<p class=\"flash error\" role=\"alert\">" + esc(s.flash.substr(kErrorMark.size())) +
           "</p>";
  } else if (!s.flash.empty()) {
    out += "<p class=\"flash\" role=\"status\">" + esc(s.flash) + "</p>";
  }
  out += s.body_html;
  for (auto part : s.body_parts) out += part;
  out += "</main></body></html>\n";
  return out;
}

Response page(int status, const Shell& shell) { return html_response(status, render(shell)); }

Response error_page(int status, const std::string& title, const std::string& message) {
  Shell s;
  s.title = title;
  // Styled and announced as an error, like an error notice.
  s.body_html =
      "<h1>" + esc(title) + "</h1><p class=\"flash error\" role=\"alert\">" + esc(message) + "</p>";
  return page(status, s);
}

}  // namespace vitrine::server::ui
