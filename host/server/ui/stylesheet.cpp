#include "server/ui/stylesheet.h"

#include <string>

#include "render/document.h"

namespace vitrine::server::ui {

std::string_view stylesheet() {
  // The UI's own chrome; the macro and plugin classes come from the render
  // module's stylesheet, shared with the static export.
  static constexpr std::string_view kUi = R"css(:root {
  --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #ffffff; --accent: #0b5cad;
  --warn-bg: #fff8c5; --err-bg: #ffebe9; --ok-bg: #dafbe1;
}
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header.top { display: flex; gap: 1rem; align-items: center; padding: .5rem 1.5rem;
  border-bottom: 1px solid var(--line); }
header.top .brand { font-weight: 600; }
header.top form { margin-left: auto; }
header.top nav.console { display: flex; gap: .75rem; }
header.top .who { margin-left: auto; color: var(--muted); }
header.top .who + form { margin-left: 0; }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible,
textarea:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
ul.notices { list-style: none; padding: 0; }
ul.notices li { padding: .5rem .75rem; margin: .5rem 0; border-radius: 6px;
  background: var(--warn-bg); border-left: 4px solid #9a6700; }
ul.notices li.error { background: var(--err-bg); border-left-color: #cf222e; color: #82071e; }
form.filters { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: end; }
form.filters label { margin: 0; font-weight: 600; }
form.filters input { width: 12rem; }
textarea { font: inherit; font-family: ui-monospace, monospace; width: 100%; max-width: 48rem;
  min-height: 8rem; border: 1px solid var(--line); border-radius: 6px; }
select { font: inherit; padding: .3rem; }
.expiry { padding: .5rem .75rem; border-radius: 6px; color: #82071e; font-weight: 600; }
.token-once { font-family: ui-monospace, monospace; background: var(--warn-bg); padding: .5rem;
  word-break: break-all; }
main { max-width: 960px; margin: 0 auto; padding: 1.5rem; }
a { color: var(--accent); }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
code, pre { font-family: ui-monospace, monospace; font-size: 90%; }
pre { background: #f6f8fa; padding: .75rem; overflow: auto; }
form.inline { display: inline; }
button { font: inherit; padding: .3rem .8rem; border: 1px solid var(--line); border-radius: 6px;
  background: #f6f8fa; cursor: pointer; }
button.link { border: 0; background: none; color: var(--accent); padding: 0; }
button.danger { color: #b42318; }
input[type=text], input[type=password] { font: inherit; padding: .3rem .5rem; width: 100%;
  max-width: 32rem; border: 1px solid var(--line); border-radius: 6px; }
label { display: block; margin: .75rem 0 .25rem; font-weight: 600; }
.muted { color: var(--muted); }
.flash { background: var(--ok-bg); padding: .5rem .75rem; border-radius: 6px;
  border-left: 4px solid #1a7f37; }
.flash.error, .error-text { background: var(--err-bg); }
.flash.error { border-left-color: #cf222e; color: #82071e; font-weight: 600; }
.state { display: inline-block; padding: 0 .4rem; border-radius: 6px; white-space: nowrap; }
.state-running { background: var(--ok-bg); }
.state-awaiting-approval { background: var(--warn-bg); }
.state-refused { background: var(--err-bg); }
.unsigned { color: #82071e; font-weight: 700; }
table.plugins td p { margin: 0 0 .25rem; }
ul.diff { list-style: none; margin: .25rem 0 0; padding: 0; font-family: ui-monospace, monospace; }
ul.diff .added { color: #1a7f37; }
ul.diff .removed { color: #cf222e; }
section { margin: 2rem 0; }
img { max-width: 100%; height: auto; }
)css";
  static const std::string css = std::string(kUi) + std::string(render::macro_stylesheet());
  return css;
}

}  // namespace vitrine::server::ui
