// The HTML shell of every server-rendered page: one stylesheet from
// /static/vitrine.css, no scripts, a nav with the logout form. Every dynamic
// value goes through esc(); plugin output is inserted only after the
// render engine has sanitized it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/http.h"

namespace vitrine::server::ui {

std::string esc(std::string_view text);

struct Shell {
  std::string title;
  std::string body_html;  // already escaped / sanitized
  // Written after body_html, also already safe: lets a page hand over a
  // large body it does not own without copying it first. The viewed
  // strings must outlive render().
  std::vector<std::string_view> body_parts;
  std::string csrf;   // non-empty when logged in: the nav shows a logout form
  std::string space;  // the current space, for nav links
  bool settings_link = false;
  bool plugins_link = false;  // platform admins: the nav links the console (/admin/...)
  std::string who;            // who is signed in and their roles (console::signed_in_text)
  std::string flash;          // one-shot notice (escaped here); see error_notice()
};

// Flash notices travel through the session as one string. An error notice
// carries a leading marker (a control character no message starts with) so
// render() shows it apart from a success: another class and role="alert".
std::string error_notice(const std::string& message);

std::string render(const Shell& shell);
Response page(int status, const Shell& shell);
Response error_page(int status, const std::string& title, const std::string& message);
// <input type="hidden" name="csrf" value="...">
std::string csrf_field(const std::string& csrf);
// A POST form with a CSRF field and one submit button.
std::string button_form(const std::string& action, const std::string& label,
                        const std::string& csrf, const std::string& extra_fields = {},
                        const std::string& css_class = {});

}  // namespace vitrine::server::ui
