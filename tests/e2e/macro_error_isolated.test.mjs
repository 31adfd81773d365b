// P8 in the browser: one failing macro never fails the page. The page
// tests/e2e/pages/partial-failure.md asks for a dashboard uid the space's
// Grafana does not have, between two macros that work: the failing one
// shows an error box in its place, the others render.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { SPACE, launchBrowser, login, macrosOfPage, newPage, readToken, watchPage } from './lib.mjs';

const PAGE = 'partial-failure';
let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('an unknown dashboard uid renders an error box while the other macros of the page render', { timeout: 60_000 }, async () => {
  const page = await newPage(browser);
  const seen = watchPage(page);
  const response = await login(page, readToken('viewer'), `/spaces/${SPACE}/pages/${PAGE}`);
  assert.equal(response.status(), 200, 'the page itself does not fail');

  const expected = macrosOfPage(PAGE);
  assert.deepEqual(expected, ['dashboard', 'dashboard', 'alert-list']);
  const boxes = page.locator('.vitrine-macro');
  assert.deepEqual(await boxes.evaluateAll((els) => els.map((e) => e.dataset.macro)), expected);
  assert.deepEqual(
    await boxes.evaluateAll((els) => els.map((e) => e.classList.contains('vitrine-error'))),
    [false, true, false],
    'only the second box is an error box',
  );

  const error = boxes.nth(1);
  assert.equal(await error.getAttribute('role'), 'alert');
  const message = await error.textContent();
  assert.match(message, /^dashboard: /);
  assert.match(message, /no-such-dashboard-e2e/);
  assert.match(message, /not found/);
  assert.ok(await error.isVisible());

  assert.equal(await boxes.nth(0).locator('.vitrine-dashboard-title').textContent(), 'Checkout service');
  assert.ok((await boxes.nth(2).locator('table.vitrine-alert-table tbody tr').count()) > 0);
  assert.deepEqual(seen.pageErrors, []);
  assert.deepEqual(seen.consoleErrors, []);
  await page.context().close();
});
