// /static/vitrine-editor.js, loaded by the editor page (ui_edit.cpp). The
// page works without it (Preview and Insert are submit buttons); with it:
//   live preview  after typing stops for 400 ms, the text is POSTed with the
//                 session's CSRF token to /spaces/S/preview and the
//                 engine's sanitized HTML replaces the preview
//   paste a link  a paste that is only an http(s) address, landing alone on
//                 its line, is converted on the server (convert-link, the
//                 same converter as the Insert box); a refusal is shown
//                 with its rule and the pasted text stays as it was
//   picker        a click (or Enter) on a dashboard or panel link in the
//                 sidebar's picker does not open Grafana: the link is put
//                 on a line of its own at the cursor and converted by the
//                 same convert-link call, then the preview is refreshed; a
//                 modified click (new tab) still opens Grafana. The
//                 picker's search fetches the edit page with ?picker_q=
//                 and swaps in its list, so the text being edited stays
#include "server/ui_edit.h"

namespace vitrine::server {

std::string_view editor_script() {
  return R"JS(// Vitrine page editor: live preview, paste-a-link, dashboard picker (docs/editing.md).
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

  // The textarea keeps its selection when focus moves to the sidebar; a
  // text never focused gets the block at its end, not before its first line.
  var touched = false;
  text.addEventListener('focus', function () { touched = true; });

  function insertLink(url) {
    var value = text.value;
    var at = touched ? text.selectionStart : value.length;
    var before = value.slice(0, at);
    var after = value.slice(at);
    // The converter turns a line holding only a link: give it one.
    var pre = before === '' || before.slice(-1) === '\n' ? '' : '\n';
    var tail = after.charAt(0) === '\n' ? '' : '\n';
    var line = (before + pre).split('\n').length;
    post('/convert-link', { csrf: csrf, text: before + pre + url + tail + after, line: String(line) })
      .then(function (j) {
        if (!j.ok) {
          status.textContent = j.message + ' (rule ' + j.rule + ')';
          return;
        }
        text.value = j.text;
        // Everything after the link's line is kept byte for byte.
        var end = j.text.length - after.length;
        text.setSelectionRange(end, end);
        touched = true;
        var key = /^```([a-z-]+)/.exec(j.text.slice((before + pre).length));
        status.textContent = 'Inserted a ' + (key ? key[1] : 'macro') + ' block at the cursor.' +
          (j.notes.length ? ' ' + j.notes.join(' ') : '');
        refresh();
      })
      .catch(function () {
        status.textContent = 'The link could not be converted; paste it into the insert box.';
      });
  }

  var sidebar = document.getElementById('vitrine-editor-sidebar');
  if (sidebar) {
    sidebar.addEventListener('click', function (event) {
      var link = event.target.closest('a.vitrine-library-link');
      if (!link || !sidebar.contains(link)) return;
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      insertLink(link.href);
    });
    sidebar.addEventListener('submit', function (event) {
      var search = event.target;
      if (search.id !== 'vitrine-picker-search') return;
      event.preventDefault();
      var query = new URLSearchParams(new FormData(search)).toString();
      var list = document.getElementById('vitrine-picker-list');
      list.setAttribute('aria-busy', 'true');
      fetch(search.getAttribute('action') + '?' + query, { credentials: 'same-origin' })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, 'text/html')
            .getElementById('vitrine-picker-list');
          list.removeAttribute('aria-busy');
          if (!fresh) {
            status.textContent = 'The search failed; reload the page.';
            return;
          }
          // The server's sanitized list, parsed inert (DOMParser runs no script).
          list.innerHTML = fresh.innerHTML;
          status.textContent = 'Dashboard list updated.';
        })
        .catch(function () {
          list.removeAttribute('aria-busy');
          status.textContent = 'The search failed; try again.';
        });
    });
  }

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
