#include "render/document.h"

#include "render/html_escape.h"

namespace vitrine::render {

std::string_view macro_stylesheet() {
  return R"css(.vitrine-macro { border: 1px solid #d1d9e0; border-radius: 6px; padding: .75rem 1rem;
  margin: 1rem 0; overflow-x: auto; }
.vitrine-macro--stale { border-color: #9a6700; }
.vitrine-asof, .vitrine-stale { color: #59636e; font-size: 85%; margin: .5rem 0 0; }
.vitrine-stale { color: #9a6700; }
.vitrine-error { border-color: #cf222e; color: #cf222e; background: #ffebe9; }
.vitrine-error code { color: #59636e; }
.vitrine-tags, .vitrine-labels { list-style: none; margin: 0; padding: 0; display: flex;
  flex-wrap: wrap; gap: .25rem; }
.vitrine-tag, .vitrine-label { background: #eef1f4; border-radius: 999px; padding: 0 .5rem;
  font-size: 85%; white-space: nowrap; }
.vitrine-dashboard-title { font-weight: 600; font-size: 110%; }
.vitrine-dashboard-folder, .vitrine-dashboard-count, .vitrine-footer { color: #59636e; }
.vitrine-state { font-weight: 600; white-space: nowrap; }
.vitrine-state-firing, .vitrine-badge-firing .vitrine-badge-status { color: #cf222e; }
.vitrine-state-pending, .vitrine-state-recovering, .vitrine-state-nodata,
.vitrine-badge-degraded .vitrine-badge-status, .vitrine-badge-nodata .vitrine-badge-status {
  color: #9a6700; }
.vitrine-state-normal, .vitrine-badge-healthy .vitrine-badge-status { color: #1a7f37; }
.vitrine-alert-badge { display: inline-flex; gap: .75rem; align-items: baseline; }
.vitrine-badge-status { font-weight: 700; }
)css";
}

std::string_view stylesheet() {
  static const std::string css = std::string(R"css(body { font: 15px/1.5 system-ui, sans-serif;
  color: #1f2328; background: #ffffff; max-width: 72rem; margin: 2rem auto; padding: 0 1rem; }
a { color: #0969da; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid #d1d9e0; padding: .25rem .5rem; text-align: left; vertical-align: top; }
code, pre { font-family: ui-monospace, monospace; font-size: 90%; }
img { max-width: 100%; height: auto; }
)css") + std::string(macro_stylesheet());
  return css;
}

std::string page_document(const std::string& title, const std::string& body_html,
                          const std::string& stylesheet_href) {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src "
         "'self' data:; style-src 'self' 'unsafe-inline'; base-uri 'none'; form-action 'none'\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
         escape_html(title) + "</title>\n<link rel=\"stylesheet\" href=\"" +
         escape_html(stylesheet_href) + "\">\n</head>\n<body>\n" + body_html +
         "\n</body>\n</html>\n";
}

}  // namespace vitrine::render
