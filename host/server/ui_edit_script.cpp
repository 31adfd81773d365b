// /static/vitrine-editor.js, loaded by the editor page (ui_edit.cpp). The
// page works without it (Preview and Insert are submit buttons); with it:
//   live preview  after typing stops for 400 ms, the text is POSTed with the
//                 session's CSRF token to /spaces/S/preview and the
//                 engine's sanitized HTML replaces the preview
//   paste a link  a paste that is only an http(s) address, landing alone on
//                 its line, is converted on the server (convert-link, the
//                 same converter as the Insert box); a refusal is shown
//                 with its rule and the pasted text stays as it was
#include "server/ui_edit.h"

namespace vitrine::server {

std::string_view editor_script() {
  return R"JS(// Vitrine page editor: live preview and paste-a-link (docs/editing.md).
(function () {
  'use strict';
  var form = document.getElementById('vitrine-editor');
  if (!form) return;
  var text = document.getElementById('vitrine-text');
  var preview = document.getElementById('vitrine-preview');
  var status = document.getElementById('vitrine-editor-status');
  var csrf = form.querySelector('input[name="csrf"]').value;
  var base = '/spaces/' + encodeURIComponent(form.getAttribute('data-space'));
  var page = form.getAttribute('data-page');
  var timer = null;
  var sequence = 0;

  function post(path, fields) {
    var body = new URLSearchParams();
    Object.keys(fields).forEach(function (k) { body.append(k, fields[k]); });
    return fetch(base + path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: body.toString()
    }).then(function (r) { return r.json(); });
  }

  function refresh() {
    var mine = ++sequence;
    post('/preview', { csrf: csrf, page: page, text: text.value }).then(function (j) {
      if (mine !== sequence) return;  // a newer preview is on its way
      // Both are the server's escaped or sanitized HTML.
      preview.innerHTML = j.html !== undefined ? j.html : j.error_html;
      preview.setAttribute('data-state', 'live');
    }).catch(function () {
      status.textContent = 'Preview unavailable; use the Preview button.';
    });
  }

  text.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });

  text.addEventListener('paste', function (event) {
    var pasted = (event.clipboardData || window.clipboardData).getData('text');
    if (!/^\s*<?https?:\/\/\S+>?\s*$/.test(pasted)) return;
    // Let the paste land, then ask for the line it is on.
    setTimeout(function () {
      var line = text.value.slice(0, text.selectionStart).split('\n').length;
      post('/convert-link', { csrf: csrf, text: text.value, line: String(line) })
        .then(function (j) {
          if (j.ok) {
            text.value = j.text;
            status.textContent = 'Converted the link into a macro block.' +
              (j.notes.length ? ' ' + j.notes.join(' ') : '');
            refresh();
          } else if (j.rule !== 'link-line-not-alone') {
            status.textContent = j.message + ' (rule ' + j.rule + ')';
          }
        });
    }, 0);
  });
})();
)JS";
}

}  // namespace vitrine::server
