// The platform console's Tokens page on the demo host: a token created with
// a role, a name and a lifetime is shown once (and works at once), listed
// with its expiry and last use but never shown again, and revoked; the
// revoked token no longer authenticates.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { notice, submit } from './console_host.mjs';
import { BASE, SPACE, launchBrowser, login, newPage, readToken } from './lib.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('a platform admin creates a named expiring token, sees it once, and revokes it', { timeout: 60_000 }, async () => {
  const page = await newPage(browser);
  await login(page, readToken('admin'), '/admin/tokens');
  await page.locator('#role').fill(`viewer:${SPACE}`);
  await page.locator('#name').fill('console-e2e-reader');
  await page.locator('#expires_days').fill('7');
  const answer = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/admin/tokens');
  await page.locator('form[action="/admin/tokens"] button[type=submit]').click();
  const posted = await answer;
  assert.equal(posted.status(), 200);
  assert.equal((await posted.allHeaders())['cache-control'], 'no-store');
  await page.waitForLoadState('load');
  const token = await page.locator('#new-token').inputValue();
  assert.match(token, /^vtr_[A-Za-z0-9_-]{43}$/);
  const id = (await page.locator('label[for=new-token]').textContent()).replace('Token ', '');

  // The token works at once.
  const spaces = await page.request.get(`${BASE}/api/v1/spaces`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(spaces.status(), 200);

  // Listed with name, role, expiry and last use; the token never again.
  await page.goto(`${BASE}/admin/tokens`);
  const row = page.locator(`tr[data-token="${id}"]`);
  assert.equal(await row.getAttribute('data-state'), 'active');
  const cells = await row.locator('td').allTextContents();
  assert.equal(cells[1], 'console-e2e-reader');
  assert.equal(cells[2], `viewer:${SPACE}`);
  assert.match(cells[4], /^\d{4}-\d\d-\d\dT/, 'an expiry time');
  assert.ok(!(await page.content()).includes(token), 'the token is not on the list page');

  // Revoke (keyboard: focus the button, press Enter).
  const revoke = row.locator('button', { hasText: `Revoke ${id}` });
  await revoke.focus();
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  const n = await notice(page);
  assert.equal(n.text, `Revoked token ${id}.`);
  assert.equal(n.error, false);
  assert.equal(await row.getAttribute('data-state'), 'revoked');
  const refused = await page.request.get(`${BASE}/api/v1/spaces`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(refused.status(), 401);

  // A malformed role: an error notice naming the problem.
  await page.locator('#role').fill('superuser');
  await submit(page, page.locator('form[action="/admin/tokens"] button[type=submit]'));
  const bad = await notice(page);
  assert.equal(bad.error, true);
  assert.equal(bad.role, 'alert');
  assert.match(bad.text, /^Token not created: /);
  await page.context().close();
});
