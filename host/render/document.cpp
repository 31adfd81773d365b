#include "render/document.h"

#include "render/html_escape.h"

namespace vitrine::render {

std::string_view stylesheet() {
  return R"css(:root { --fg: #1f2328; --muted: #59636e; --border: #d1d9e0; --bg: #ffffff;
  --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --accent: #0969da; }
body { font: 15px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg);
  max-width: 72rem; margin: 2rem auto; padding: 0 1rem; }
a { color: var(--accent); }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid var(--border); padding: .25rem .5rem; text-align: left; vertical-align: top; }
code, pre { font-family: ui-monospace, monospace; font-size: 90%; }
.vitrine-macro { border: 1px solid var(--border); border-radius: 6px; padding: .75rem 1rem;
  margin: 1rem 0; overflow-x: auto; }
.vitrine-macro--stale { border-color: var(--warn); }
.vitrine-asof, .vitrine-stale { color: var(--muted); font-size: 85%; margin: .5rem 0 0; }
.vitrine-stale { color: var(--warn); }
.vitrine-error { border-color: var(--bad); color: var(--bad); background: #ffebe9; }
.vitrine-error code { color: var(--muted); }
img { max-width: 100%; height: auto; }
.vitrine-tags, .vitrine-labels { list-style: none; margin: 0; padding: 0; display: flex;
  flex-wrap: wrap; gap: .25rem; }
.vitrine-tag, .vitrine-label { background: #eef1f4; border-radius: 999px; padding: 0 .5rem;
  font-size: 85%; white-space: nowrap; }
.vitrine-dashboard-title { font-weight: 600; font-size: 110%; }
.vitrine-dashboard-folder, .vitrine-dashboard-count, .vitrine-footer { color: var(--muted); }
.vitrine-state { font-weight: 600; white-space: nowrap; }
.vitrine-state-firing, .vitrine-badge-firing .vitrine-badge-status { color: var(--bad); }
.vitrine-state-pending, .vitrine-state-recovering, .vitrine-state-nodata,
.vitrine-badge-degraded .vitrine-badge-status, .vitrine-badge-nodata .vitrine-badge-status {
  color: var(--warn); }
.vitrine-state-normal, .vitrine-badge-healthy .vitrine-badge-status { color: var(--ok); }
.vitrine-alert-badge { display: inline-flex; gap: .75rem; align-items: baseline; }
.vitrine-badge-status { font-weight: 700; }
)css";
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
