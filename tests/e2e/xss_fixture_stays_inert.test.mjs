// Issue 6, Web UI: "an XSS fixture stays inert in the browser". The
// simulator's `xss-probe` dashboard carries <script>, event-handler,
// quote-breakout and javascript: payloads in its title, tags, panel titles,
// links and an annotation. The page tests/e2e/pages/xss-probe.md shows it
// through the dashboard (both variants), annotation-timeline and panel-image
// macros; in a real browser nothing of it executes, nothing is blocked that
// the page needs, and the payloads show as plain text.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  SPACE, imagesSettled, installTraps, launchBrowser, login, macrosOfPage, newPage, readToken,
  readTraps, watchPage,
} from './lib.mjs';

const PAGE = 'xss-probe';
let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('xss-probe content renders as inert text: no dialog, script, handler or javascript: link', { timeout: 60_000 }, async () => {
  const page = await newPage(browser);
  await installTraps(page);
  const seen = watchPage(page);

  const response = await login(page, readToken('viewer'), `/spaces/${SPACE}/pages/${PAGE}`);
  assert.equal(response.status(), 200);
  assert.match((await response.allHeaders())['content-security-policy'], /default-src 'none'/);
  await imagesSettled(page);
  // Give anything deferred (timers, error events of broken images) a moment.
  await page.waitForTimeout(300);

  // Every macro rendered; the payloads did not break a box.
  const expected = macrosOfPage(PAGE);
  const boxes = page.locator('.vitrine-macro');
  assert.deepEqual(await boxes.evaluateAll((els) => els.map((e) => e.dataset.macro)), expected);
  assert.deepEqual(await page.locator('.vitrine-error').allTextContents(), []);

  // Nothing ran: no dialog, no trapped call, no uncaught error.
  const traps = await readTraps(page);
  assert.deepEqual(seen.dialogs, [], 'no dialog opened');
  assert.deepEqual(traps.calls, [], 'no trapped sink was called');
  assert.deepEqual(seen.pageErrors, []);

  // The DOM holds no script in a macro, no event handler, no javascript: URL.
  assert.equal(await page.locator('.vitrine-macro script').count(), 0);
  assert.equal(await page.locator('script').count(), 0, 'the page has no script at all');
  const handlers = await page.evaluate(() =>
    Array.from(document.querySelectorAll('*')).flatMap((el) =>
      Array.from(el.attributes).filter((a) => /^on/i.test(a.name)).map((a) => `<${el.localName} ${a.name}>`)),
  );
  assert.deepEqual(handlers, [], 'no element has an on* attribute');
  assert.equal(await page.locator('a[href^="javascript:" i]').count(), 0);
  const urls = await page.evaluate(() =>
    Array.from(document.querySelectorAll('[href], [src], [action], [formaction], [xlink\\:href]')).flatMap((el) =>
      ['href', 'src', 'action', 'formaction', 'xlink:href'].map((n) => el.getAttribute(n)).filter(Boolean)),
  );
  for (const u of urls) assert.doesNotMatch(u.trim(), /^(javascript|vbscript|data:text\/html)/i, u);
  assert.equal(await page.locator('iframe, object, embed, base, meta[http-equiv]').count(), 0);

  // The payloads reached the reader as text, exactly.
  assert.equal(
    await page.locator('.vitrine-dashboard-card .vitrine-dashboard-title').textContent(),
    '<script>alert("title")</script> Probe & "quotes"',
  );
  assert.equal(
    await page.locator('.vitrine-dashboard-compact a.vitrine-dashboard-link').textContent(),
    '<script>alert("title")</script> Probe & "quotes"',
  );
  assert.deepEqual(
    await page.locator('.vitrine-dashboard-card li.vitrine-tag').allTextContents(),
    ['xss', '<b>tag</b>'],
  );
  assert.deepEqual(
    await page.locator('.vitrine-dashboard-card tr.vitrine-dashboard-panel td:first-child').allTextContents(),
    ['<img src=x onerror=alert(1)>', 'Quote \' " </td> breakout'],
  );
  const timeline = page.locator('.vitrine-macro[data-macro="annotation-timeline"]');
  assert.equal(await timeline.locator('svg.vitrine-timeline-svg').count(), 1);
  assert.match(await timeline.locator('svg title').first().textContent(), /<script>alert\('annotation'\)<\/script> deploy note$/);
  assert.match(await timeline.locator('table.vitrine-timeline-table tbody').textContent(), /<script>alert\('annotation'\)<\/script> deploy note/);
  assert.equal(await page.locator('.vitrine-macro b, .vitrine-macro i, .vitrine-macro img:not(.vitrine-panel-image-img)').count(), 0,
    'tags in the payloads did not become elements');

  // The panel image of the probe dashboard loaded like any other.
  const img = await page.locator('img.vitrine-panel-image-img').evaluate((i) => ({ w: i.naturalWidth, src: i.getAttribute('src') }));
  assert.ok(img.w > 0, 'the panel image decoded');
  assert.match(img.src, /^\/assets\//);

  // The CSP blocked nothing: neither something the page needs nor an
  // injected payload (which would show up as a violation).
  assert.deepEqual(traps.violations, [], 'no CSP violation');
  assert.deepEqual((await readTraps(page)).violations, []);
  assert.deepEqual(seen.consoleErrors, [], 'no console error (the favicon aside)');
  assert.deepEqual(seen.failedRequests, []);
  assert.deepEqual(seen.foreignRequests, []);
  await page.context().close();
});
