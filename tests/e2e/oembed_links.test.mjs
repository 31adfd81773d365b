// oEmbed (docs/embedding.md#oembed): every link shape answers a "rich"
// oEmbed object whose iframe shows that link's target, found through the
// discovery tag of the link's own page; page links answer only a caller
// allowed to see the page, anyone else gets 404; a dead link gets 404.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { allowFraming, api, createShareLink, resizedHeight, startEmbedder, wikiPage } from './embed_lib.mjs';
import { BASE, SPACE, launchBrowser, login, newPage, readToken } from './lib.mjs';

let browser;
let wiki;
before(async () => {
  browser = await launchBrowser();
  wiki = await startEmbedder();
  await allowFraming(SPACE, [wiki.origin]);
});
after(async () => {
  await allowFraming(SPACE, []);
  await browser?.close();
  await wiki?.close();
});

const oembedUrl = (url) => `${BASE}/oembed?format=json&url=${encodeURIComponent(url)}`;

async function discover(page, url) {
  await page.goto(url);
  const href = await page.locator('link[rel="alternate"][type="application/json+oembed"]').getAttribute('href');
  assert.equal(href, oembedUrl(url));
  return href;
}

test('a share link to a page and to a macro: discovery, a rich answer, an iframe that renders', { timeout: 60_000 }, async () => {
  const pageLink = await createShareLink(SPACE, 'partial-failure');
  const macroLink = await createShareLink(SPACE, 'partial-failure', { macro: 3 });
  const page = await newPage(browser);
  for (const [link, height, title] of [
    [pageLink, 600, 'partial-failure'],
    [macroLink, 400, 'partial-failure - macro 3'],
  ]) {
    const href = await discover(page, link.url);
    const res = await fetch(href); // no credentials: share links are public
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    const o = await res.json();
    assert.equal(o.version, '1.0');
    assert.equal(o.type, 'rich');
    assert.equal(o.provider_name, 'Vitrine');
    assert.equal(o.title, title);
    assert.equal(o.height, height);
    assert.equal(o.width, 800);
    assert.match(o.html, new RegExp(`^<iframe src="${link.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" `));
  }
  // The wiki pastes the answer's HTML: the iframe renders and resizes.
  const o = await (await fetch(oembedUrl(macroLink.url))).json();
  const html = wikiPage([]).replace('<h1>A wiki page</h1>', `<h1>A wiki page</h1><div id="slot">${o.html}</div>`);
  await page.goto(wiki.put('/pasted', html));
  await page.evaluate(() => {
    document.querySelector('#slot iframe').id = 'pasted';
  });
  await page.frameLocator('#pasted').locator('table.vitrine-alert-table').waitFor();
  const size = await resizedHeight(page, 'pasted');
  assert.ok(size.attr > 0);
  await page.context().close();
});

test('a page link answers its signed-in reader and nobody else', { timeout: 60_000 }, async () => {
  const pageUrl = `${BASE}/spaces/${SPACE}/pages/partial-failure`;
  const macroUrl = `${BASE}/embed/spaces/${SPACE}/pages/partial-failure/macros/2`;
  for (const url of [pageUrl, macroUrl]) {
    assert.equal((await fetch(oembedUrl(url))).status, 404, `anonymous: ${url}`);
  }
  const viewer = readToken('viewer');
  const page = await newPage(browser);
  await login(page, viewer, `/spaces/${SPACE}/pages/partial-failure`);
  await discover(page, `${BASE}/embed/spaces/${SPACE}/pages/partial-failure`);
  // With the browser's session cookie (the pages' CSP allows no fetch()
  // from their own scripts, so the context's request client sends it).
  const answers = [];
  for (const u of [oembedUrl(pageUrl), oembedUrl(macroUrl)]) {
    const r = await page.context().request.get(u);
    answers.push({ status: r.status(), body: await r.json() });
  }
  assert.equal(answers[0].status, 200);
  assert.match(answers[0].body.html, new RegExp(`src="${BASE}/embed/spaces/${SPACE}/pages/partial-failure"`));
  assert.equal(answers[1].status, 200);
  assert.match(answers[1].body.html, /\/macros\/2"/);
  assert.equal(answers[1].body.title, 'partial-failure - macro 2');
  await page.context().close();
  // Bearer callers of another space, other hosts' URLs and dead links: 404.
  const bearer = await fetch(oembedUrl(pageUrl), { headers: { Authorization: `Bearer ${viewer}` } });
  assert.equal(bearer.status, 200);
  assert.equal((await fetch(oembedUrl('https://evil.example/s/x'))).status, 404);
  const dead = await createShareLink(SPACE, 'partial-failure');
  await api('DELETE', `/api/v1/spaces/${SPACE}/share-links/${dead.id}`);
  assert.equal((await fetch(oembedUrl(dead.url))).status, 404);
  assert.equal((await fetch(`${BASE}/oembed?format=xml&url=${encodeURIComponent(dead.url)}`)).status, 501);
});
