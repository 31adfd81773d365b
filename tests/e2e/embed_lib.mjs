// Helpers of the embed, share-link and oEmbed browser tests
// (docs/embedding.md): a second loopback origin that embeds Vitrine, and
// the admin API calls the tests make with the demo's platform-admin token.
import assert from 'node:assert/strict';
import http from 'node:http';

import { BASE, readToken } from './lib.mjs';

// A tiny static server on 127.0.0.1 (a free port): GET /NAME answers the
// HTML registered with put(NAME, html). Its origin is another origin than
// the host's: what a wiki is to Vitrine.
export async function startEmbedder() {
  const pages = new Map();
  const server = http.createServer((req, res) => {
    const html = pages.get(new URL(req.url, 'http://x').pathname);
    if (html === undefined) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(html);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    put(name, html) {
      pages.set(name, html);
      return `${origin}${name}`;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

// The page a wiki would serve: the iframes, then Vitrine's /embed.js.
export function wikiPage(frames) {
  const iframes = frames
    .map((f) => `<h2>${f.id}</h2><iframe id="${f.id}" src="${f.src}" style="width:700px;border:1px solid #ccc" title="${f.id}"></iframe>`)
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>wiki</title></head><body>
<h1>A wiki page</h1>
${iframes}
<script src="${BASE}/embed.js"></script>
</body></html>`;
}

export async function api(method, path, body, token = readToken('admin')) {
  const res = await fetch(`${BASE}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, json, text };
}

export async function allowFraming(space, origins) {
  const r = await api('PUT', `/api/v1/spaces/${space}/embed`, { frame_ancestors: origins });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.frame_ancestors, [...origins].sort());
}

export async function createShareLink(space, page, { macro, ttl } = {}) {
  const body = { page };
  if (macro) body.macro = macro;
  if (ttl) body.ttl_seconds = ttl;
  const r = await api('POST', `/api/v1/spaces/${space}/share-links`, body);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

// Waits until the iframe was resized by /embed.js; returns its height.
export async function resizedHeight(page, id) {
  await page.waitForFunction(
    (frameId) => document.getElementById(frameId)?.hasAttribute('data-vitrine-height'),
    id,
  );
  return page.evaluate((frameId) => {
    const f = document.getElementById(frameId);
    return { attr: Number(f.dataset.vitrineHeight), box: f.getBoundingClientRect().height, style: f.style.height };
  }, id);
}
