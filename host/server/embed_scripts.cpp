#include "server/embed_scripts.h"

namespace vitrine::server {

std::string_view frame_script() {
  return R"JS(// Vitrine embed: reports this document's height to the embedding page
// (docs/embedding.md#height). The message carries no content, only
// {type: "vitrine:height", height, id}; id is the embed URL's vitrine_id
// query parameter (empty when absent).
(function () {
  'use strict';
  if (window.parent === window) return;
  var id = '';
  try {
    id = new URLSearchParams(window.location.search).get('vitrine_id') || '';
  } catch (e) {
    id = '';
  }
  var last = -1;
  function height() {
    var body = document.body;
    if (!body) return 0;
    var style = window.getComputedStyle(body);
    return Math.ceil(body.getBoundingClientRect().height +
                     parseFloat(style.marginTop || '0') + parseFloat(style.marginBottom || '0'));
  }
  function report() {
    var h = height();
    if (h === last) return;
    last = h;
    window.parent.postMessage({ type: 'vitrine:height', height: h, id: id }, '*');
  }
  function start() {
    report();
    if (typeof ResizeObserver === 'function') {
      new ResizeObserver(report).observe(document.body);
    }
    window.addEventListener('load', report);
    // Images without a size change the height when they arrive.
    document.addEventListener('load', report, true);
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
)JS";
}

std::string_view embedder_script() {
  return R"JS(// Vitrine embeds that size themselves (docs/embedding.md#height).
// Include once on a page that frames Vitrine embeds:
//   <script src="https://VITRINE/embed.js" defer></script>
// It listens for {type: "vitrine:height", height, id} messages, accepts
// only those whose origin is the origin this script was loaded from, finds
// the iframe the message came from and sets its height in pixels (at most
// 20000). Each resize fires a "vitrine:resize" event on the iframe.
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || !script.src) return;
  var origin = new URL(script.src, window.location.href).origin;
  var MAX = 20000;
  window.addEventListener('message', function (event) {
    if (event.origin !== origin) return;
    var data = event.data;
    if (!data || typeof data !== 'object' || data.type !== 'vitrine:height') return;
    var h = Number(data.height);
    if (!isFinite(h) || h < 0) return;
    h = Math.min(Math.round(h), MAX);
    var frames = document.getElementsByTagName('iframe');
    for (var i = 0; i < frames.length; i++) {
      var frame = frames[i];
      if (frame.contentWindow !== event.source) continue;
      frame.style.height = h + 'px';
      frame.setAttribute('data-vitrine-height', String(h));
      var detail = { height: h, id: typeof data.id === 'string' ? data.id : '' };
      var ev;
      if (typeof CustomEvent === 'function') {
        ev = new CustomEvent('vitrine:resize', { detail: detail });
      } else {
        ev = document.createEvent('CustomEvent');
        ev.initCustomEvent('vitrine:resize', false, false, detail);
      }
      frame.dispatchEvent(ev);
      return;
    }
  });
})();
)JS";
}

}  // namespace vitrine::server
