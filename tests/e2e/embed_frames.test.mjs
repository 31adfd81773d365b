// Embeds framed by another origin (docs/embedding.md): a page served from a
// second loopback origin frames Vitrine embeds. The space's allowed origins
// become CSP frame-ancestors: an allowed origin shows the embed and /embed.js
// resizes the iframe to the height the embed reports; an origin not on the
// list is refused by the browser; a macro whose plugin fails still shows its
// error box and still reports its height.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { allowFraming, createShareLink, resizedHeight, startEmbedder, wikiPage } from './embed_lib.mjs';
import { BASE, SPACE, launchBrowser, login, newPage, readToken, watchPage } from './lib.mjs';

const PAGE = 'partial-failure'; // dashboard ok, dashboard failing, alert-list ok
let browser;
let allowed;
let refused;
before(async () => {
  browser = await launchBrowser();
  allowed = await startEmbedder();
  refused = await startEmbedder();
  await allowFraming(SPACE, [allowed.origin]);
});
after(async () => {
  await allowFraming(SPACE, []);
  await browser?.close();
  await allowed?.close();
  await refused?.close();
});

function frameOf(page, id) {
  return page.frameLocator(`#${id}`);
}

test('an allowed origin frames a share-link embed, which resizes its iframe to its content', { timeout: 60_000 }, async () => {
  const link = await createShareLink(SPACE, PAGE);
  const url = allowed.put('/wiki', wikiPage([{ id: 'page', src: `${link.url}?vitrine_id=page` }]));
  const page = await newPage(browser);
  const seen = watchPage(page);
  const messages = [];
  await page.exposeFunction('recordMessage', (m) => messages.push(m));
  await page.addInitScript(() => {
    window.addEventListener('message', (e) => window.recordMessage({ origin: e.origin, data: e.data }));
  });
  await page.goto(url);
  const frame = frameOf(page, 'page');
  await frame.locator('.vitrine-macro').first().waitFor();
  assert.equal(await frame.locator('.vitrine-macro').count(), 3);
  const size = await resizedHeight(page, 'page');
  // The iframe's default height is 150 px; the page with three macros is taller.
  assert.ok(size.attr > 300, `reported height ${size.attr}`);
  assert.equal(size.style, `${size.attr}px`);
  assert.ok(Math.abs(size.box - size.attr) <= 4, `iframe is ${size.box} px for ${size.attr}`);
  // The content fits: the embed's document is no taller than the iframe.
  const inner = await frame.locator('body').evaluate((b) => b.getBoundingClientRect().height);
  assert.ok(inner <= size.attr, `body ${inner} px in a ${size.attr} px iframe`);
  const heights = messages.filter((m) => m.data?.type === 'vitrine:height');
  assert.ok(heights.length >= 1);
  assert.equal(heights.at(-1).origin, new URL(BASE).origin);
  assert.equal(heights.at(-1).data.id, 'page');
  // A share-link view carries no navigation, forms or cookies.
  assert.equal(await frame.locator('a[href^="/spaces"], nav, form').count(), 0);
  assert.deepEqual(await page.context().cookies(BASE), []);
  assert.deepEqual(seen.pageErrors, []);
  await page.context().close();
});

test('an origin that is not allowed is refused by frame-ancestors', { timeout: 60_000 }, async () => {
  const link = await createShareLink(SPACE, PAGE, { macro: 1 });
  const url = refused.put('/wiki', wikiPage([{ id: 'blocked', src: link.url }]));
  const page = await newPage(browser);
  const console = [];
  page.on('console', (m) => console.push(m.text()));
  const framed = page.waitForResponse((r) => r.url() === link.url);
  await page.goto(url);
  const response = await framed;
  assert.equal(response.status(), 200, 'the host answered; the browser refuses to show it');
  assert.match(response.headers()['content-security-policy'], new RegExp(`frame-ancestors ${allowed.origin};`));
  await page.waitForFunction(() => document.readyState === 'complete');
  // The frame never shows the embed and never reports a height.
  const frame = page.frames().find((f) => f !== page.mainFrame());
  const shown = frame ? await frame.locator('.vitrine-page').count().catch(() => 0) : 0;
  assert.equal(shown, 0, 'the refused origin shows no Vitrine content');
  assert.equal(await page.locator('#blocked').getAttribute('data-vitrine-height'), null);
  assert.ok(
    console.some((t) => /frame-ancestors/.test(t)),
    `the browser names frame-ancestors: ${console.join(' | ')}`,
  );
  await page.context().close();
});

test('a signed-in macro embed whose plugin fails shows its error box and still resizes', { timeout: 60_000 }, async () => {
  const page = await newPage(browser);
  // The session cookie is SameSite=Strict: the loopback embedder is the
  // same site, so a signed-in reader's embed renders there.
  await login(page, readToken('viewer'), `/spaces/${SPACE}/pages/${PAGE}`);
  const src = `${BASE}/embed/spaces/${SPACE}/pages/${PAGE}/macros/2?vitrine_id=failing`;
  const url = allowed.put('/signed-in', wikiPage([{ id: 'failing', src }]));
  await page.goto(url);
  const frame = frameOf(page, 'failing');
  const box = frame.locator('.vitrine-macro.vitrine-error');
  await box.waitFor();
  assert.match(await box.textContent(), /no-such-dashboard-e2e/);
  assert.equal(await frame.locator('.vitrine-macro').count(), 1, 'only the one macro');
  const size = await resizedHeight(page, 'failing');
  assert.ok(size.attr > 0 && size.attr < 1000, `height ${size.attr}`);
  assert.equal(size.style, `${size.attr}px`);
  // The whole page embed is refused to the same origin when not allowed.
  await allowFraming(SPACE, [refused.origin]);
  const again = page.waitForResponse((r) => r.url() === src);
  await page.goto(url);
  assert.match((await again).headers()['content-security-policy'], new RegExp(`frame-ancestors ${refused.origin};`));
  await page.waitForFunction(() => document.readyState === 'complete');
  assert.equal(await page.locator('#failing').getAttribute('data-vitrine-height'), null);
  await allowFraming(SPACE, [allowed.origin]);
  await page.context().close();
});
