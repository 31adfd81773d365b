// The platform console's Spaces page on the demo host: a space is created
// with the keyboard only (Tab to the labelled fields, Enter submits),
// connected with the platform admin's approval of a self-hosted
// (customer-managed) origin, refused deletion while the typed key is wrong
// (an error notice: red, role="alert") and deleted once it is right. The
// header names who is signed in and their role; CSP holds on every page.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { notice, submit } from './console_host.mjs';
import {
  ARTIFACTS, BASE, installTraps, launchBrowser, login, newPage, readToken, readTraps, watchPage,
} from './lib.mjs';

const KEY = 'console-e2e';
const ERROR_BG = 'rgb(255, 235, 233)';
const OK_BG = 'rgb(218, 251, 225)';
let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

async function tabTo(page, id) {
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((want) => document.activeElement?.id === want, id)) return;
  }
  assert.fail(`#${id} is not reachable with the Tab key`);
}

test('a platform admin creates (keyboard only), connects and deletes a space in the console', { timeout: 60_000 }, async () => {
  const page = await newPage(browser);
  await installTraps(page);
  const seen = watchPage(page);
  const response = await login(page, readToken('admin'), '/admin/spaces');
  assert.equal(response.status(), 200);
  assert.ok((await response.allHeaders())['content-security-policy']);
  assert.match(await page.locator('header.top .who').textContent(), /^Signed in as token t[0-9a-f]+( \([^)]*\))? · platform-admin$/);

  // Every field has a label.
  for (const id of await page.locator('main input:not([type=hidden]), main select, main textarea').evaluateAll((els) => els.map((e) => e.id))) {
    assert.ok(id, 'every field has an id');
    assert.equal(await page.locator(`label[for="${id}"]`).count(), 1, `a label for #${id}`);
  }

  // Keyboard only: Tab to the key, type, Tab to the name, type, Enter.
  await tabTo(page, 'key');
  await page.keyboard.type(KEY);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'name');
  await page.keyboard.type('Console test space');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  let n = await notice(page);
  assert.equal(n.text, `Created space ${KEY}. Connect it to its Grafana next.`);
  assert.equal(n.error, false);
  assert.equal(n.role, 'status');
  assert.equal(n.background, OK_BG);
  const row = page.locator(`tr[data-space="${KEY}"]`);
  assert.equal(await row.count(), 1);

  // The same key again: an error notice, styled as one.
  await page.locator('#key').fill(KEY);
  await submit(page, page.locator('form[action="/admin/spaces"] button[type=submit]'));
  n = await notice(page);
  assert.match(n.text, /^Space not created: /);
  assert.equal(n.error, true);
  assert.equal(n.role, 'alert');
  assert.equal(n.background, ERROR_BG);
  await page.screenshot({ path: path.join(ARTIFACTS, 'console-error-notice.png'), fullPage: true });

  // Connect with the approval of a self-hosted origin for the dashboard
  // plugin's customer-managed entry.
  await row.locator('summary', { hasText: 'Connect to Grafana' }).click();
  await row.locator(`#connect-${KEY}-origin`).fill('https://grafana.example.org');
  await row.locator('input[name=customer_managed]').check();
  await row.locator(`#connect-${KEY}-plugin`).fill('dashboard');
  await row.locator(`#connect-${KEY}-entry`).fill('https://*.grafana.net');
  await submit(page, row.locator('button', { hasText: 'Connect' }));
  n = await notice(page);
  assert.equal(n.error, false, n.text);
  assert.match(n.text, /^Space console-e2e connected to https:\/\/grafana\.example\.org as a customer-managed origin for dashboard\.$/);
  const api = await page.request.get(`${BASE}/api/v1/spaces/${KEY}`, {
    headers: { Authorization: `Bearer ${readToken('admin')}` },
  });
  const shown = await api.json();
  assert.deepEqual(shown.customer_origins.map((c) => [c.origin, c.plugin]), [['https://grafana.example.org', 'dashboard']]);

  // Delete: a wrong key refuses, the right one deletes.
  await row.locator('summary', { hasText: 'Delete' }).click();
  await row.locator(`#confirm-${KEY}`).fill('console-e2f');
  await submit(page, row.locator('button.danger'));
  n = await notice(page);
  assert.equal(n.error, true);
  assert.equal(n.text, `Space ${KEY} not deleted: type its key exactly to confirm the deletion.`);
  assert.equal(await row.count(), 1, 'still there');
  await row.locator('summary', { hasText: 'Delete' }).click();
  await row.locator(`#confirm-${KEY}`).fill(KEY);
  await submit(page, row.locator('button.danger'));
  n = await notice(page);
  assert.equal(n.error, false, n.text);
  assert.match(n.text, new RegExp(`^Deleted space ${KEY} \\(id [0-9a-f]+\\); revoked 0 admin token\\(s\\)`));
  assert.equal(await row.count(), 0);

  const traps = await readTraps(page);
  assert.deepEqual(traps.violations, []);
  assert.deepEqual(traps.calls, []);
  assert.deepEqual(seen.pageErrors, []);
  assert.deepEqual(seen.consoleErrors, []);
  assert.deepEqual(seen.foreignRequests, []);
  await page.context().close();
});

test('the console is for platform admins only: a viewer gets the 403 page', { timeout: 30_000 }, async () => {
  const page = await newPage(browser);
  await login(page, readToken('viewer'), '/');
  for (const p of ['/admin', '/admin/spaces', '/admin/tokens', '/admin/license', '/admin/audit']) {
    const r = await page.goto(`${BASE}${p}`);
    assert.equal(r.status(), 403, p);
    assert.equal(await page.locator('h1').textContent(), 'Not allowed');
  }
  assert.equal(await page.locator('header.top nav.console').count(), 0, 'no console links for a viewer');
  await page.context().close();
});
