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
