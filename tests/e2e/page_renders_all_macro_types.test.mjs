// Issue 6, Web UI: "a page with all four macro types renders". A viewer logs
// in through the /login form and opens the demo page; every macro of the
// page renders in its own box, with real content, under the strict CSP.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';

import {
  ARTIFACTS, BASE, SPACE, imagesSettled, installTraps, launchBrowser, login, macrosOfPage,
  newPage, readToken, readTraps, watchPage,
} from './lib.mjs';

const PAGE = 'checkout';
let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('viewer login through the form shows the demo page with every macro rendered under the CSP', { timeout: 60_000 }, async () => {
  const page = await newPage(browser);
  await installTraps(page);
  const seen = watchPage(page);
  const assetResponses = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname.startsWith('/assets/')) assetResponses.push(r);
  });

  const response = await login(page, readToken('viewer'), `/spaces/${SPACE}/pages/${PAGE}`);
  assert.equal(response.status(), 200);
  const csp = (await response.allHeaders())['content-security-policy'];
  assert.ok(csp, 'the page response carries a Content-Security-Policy header');
  for (const directive of ["default-src 'none'", "img-src 'self' data:", "style-src 'self' 'unsafe-inline'", 'frame-ancestors']) {
    assert.ok(csp.includes(directive), `CSP has ${directive}: ${csp}`);
  }
  assert.doesNotMatch(csp, /script-src/, 'the CSP allows no script source at all');
  assert.equal(await page.title(), 'Checkout service — runbook · Vitrine');

  // One box per macro of the Markdown, in order, none of them an error.
  const expected = macrosOfPage(PAGE);
  assert.deepEqual(
    [...new Set(expected)].sort(),
    ['alert-badge', 'alert-list', 'annotation-timeline', 'dashboard', 'panel-image'],
    'the demo page uses every macro type',
  );
  const boxes = page.locator('article.vitrine-page .vitrine-macro');
  assert.equal(await boxes.count(), expected.length);
  assert.deepEqual(await boxes.evaluateAll((els) => els.map((e) => e.dataset.macro)), expected);
  const errors = await page.locator('.vitrine-macro.vitrine-error').allTextContents();
  assert.deepEqual(errors, [], 'no macro box is an error box');
  assert.equal(await page.locator('.vitrine-stale').count(), 0, 'nothing is served stale');

  // dashboard: the card with its panels, and the compact variant.
  const card = page.locator('.vitrine-macro[data-macro="dashboard"] .vitrine-dashboard-card');
  assert.equal(await card.locator('.vitrine-dashboard-title').textContent(), 'Checkout service');
  assert.ok((await card.locator('tr.vitrine-dashboard-panel').count()) > 0, 'the card lists panels');
  assert.equal(await page.locator('.vitrine-dashboard-compact a.vitrine-dashboard-link').textContent(), 'Node overview');
  for (const href of await page.locator('.vitrine-macro a[href]').evaluateAll((as) => as.map((a) => a.href))) {
    assert.match(href, /^https:\/\/demo\.grafana\.net\//, 'macro links go only to the space\'s Grafana');
  }

  // alert-list: a table with rows; alert-badge: a status and counts.
  const alertRows = page.locator('.vitrine-macro[data-macro="alert-list"] table.vitrine-alert-table tbody tr');
  assert.ok((await alertRows.count()) > 0, 'the alert table has rows');
  assert.equal(await alertRows.first().locator('td').first().textContent(), 'Checkout high latency');
  const badge = page.locator('.vitrine-macro[data-macro="alert-badge"] .vitrine-alert-badge');
  assert.equal(await badge.locator('.vitrine-badge-status').textContent(), 'Firing');
  assert.match(await badge.locator('.vitrine-badge-counts').textContent(), /^\d+ firing/);

  // annotation-timeline: an inline SVG that the browser lays out, with marks.
  const svg = page.locator('.vitrine-macro[data-macro="annotation-timeline"] svg.vitrine-timeline-svg');
  assert.equal(await svg.count(), 1);
  const box = await svg.boundingBox();
  assert.ok(box && box.width > 0 && box.height > 0, 'the timeline SVG has a size on screen');
  assert.ok((await svg.locator('circle.vitrine-timeline-point, rect.vitrine-timeline-region').count()) > 0);

  // panel-image: the PNG really loaded, from this host's /assets/.
  await imagesSettled(page);
  const img = page.locator('.vitrine-macro[data-macro="panel-image"] img.vitrine-panel-image-img');
  assert.equal(await img.count(), 1);
  const loaded = await img.evaluate((i) => ({ src: i.src, complete: i.complete, w: i.naturalWidth, h: i.naturalHeight }));
  assert.ok(loaded.complete && loaded.w > 0 && loaded.h > 0, `the panel image decoded: ${JSON.stringify(loaded)}`);
  assert.deepEqual([loaded.w, loaded.h], [800, 300], 'the image has the size the macro asked for');
  const src = new URL(loaded.src);
  assert.equal(src.origin, new URL(BASE).origin, 'the image is same-origin');
  assert.match(src.pathname, new RegExp(`^/assets/${SPACE}/[0-9a-f]{64}$`));
  const asset = assetResponses.find((r) => r.url() === loaded.src);
  assert.ok(asset, 'the browser fetched the asset');
  assert.equal(asset.status(), 200);
  assert.equal((await asset.allHeaders())['content-type'], 'image/png');

  // Nothing was blocked, failed or ran.
  const traps = await readTraps(page);
  assert.deepEqual(traps.violations, [], 'the CSP blocked nothing the page needed');
  assert.deepEqual(traps.calls, []);
  assert.deepEqual(seen.dialogs, []);
  assert.deepEqual(seen.pageErrors, []);
  assert.deepEqual(seen.consoleErrors, []);
  assert.deepEqual(seen.failedRequests, []);
  assert.deepEqual(seen.foreignRequests, [], 'the page loads nothing from another origin');

  const shot = path.join(ARTIFACTS, `${PAGE}.png`);
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`screenshot: ${shot}`);
  await page.context().close();
});
