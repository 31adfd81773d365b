#include "render/wrap.h"

#include <ctime>

#include "render/html_escape.h"

namespace vitrine::render {

std::string format_as_of(int64_t unix_ms) {
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%H:%M UTC, %d %b %Y", &tm);
  return buf;
}

std::string wrap_content(const std::string& key, const std::string& html, int64_t as_of_ms,
                         bool stale, const std::string& stale_reason) {
  std::string out = "<div class=\"vitrine-macro" +
                    std::string(stale ? " vitrine-macro--stale" : "") + "\" data-macro=\"" +
                    escape_html(key) + "\">";
  out += html;
  if (stale) {
    out += "<p class=\"vitrine-stale\" role=\"status\">Showing content as of " +
           escape_html(format_as_of(as_of_ms)) +
           "; it could not be refreshed: " + escape_html(stale_reason) + "</p>";
  }
  // Fresh or cached content carries no host line: the plugins print their
  // own "as of" (rendered into the cached fragment, so it stays true).
  out += "</div>";
  return out;
}

std::string wrap_error(const std::string& key, const std::string& message,
                       const std::string& rule) {
  return "<div class=\"vitrine-macro vitrine-error\" role=\"alert\" data-macro=\"" +
         escape_html(key) + "\"><strong>" + escape_html(key) +
         "</strong>: " + escape_html(message) +
         (rule.empty() ? std::string() : " <code>[" + escape_html(rule) + "]</code>") + "</div>";
}

}  // namespace vitrine::render
