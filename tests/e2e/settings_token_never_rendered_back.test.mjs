// Issue 6, Web UI: "a token set through the UI is never rendered back". A
// platform admin types a new Grafana token into the write-only field of the
// space settings and saves it: no page the browser receives afterwards
// carries the token, in its HTML or in any form field; the page says only
// that a token is configured, by whom and when.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  BASE, SPACE, installTraps, launchBrowser, login, newPage, readToken, readTraps, simulatorToken,
  watchPage,
} from './lib.mjs';

const SETTINGS = `/spaces/${SPACE}/settings`;
let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

async function tokenStatus(page) {
  const r = await page.request.get(`${BASE}/api/v1/spaces/${SPACE}`, {
    headers: { Authorization: `Bearer ${readToken('admin')}` },
  });
  assert.equal(r.status(), 200);
  const text = await r.text();
  return { text, token: JSON.parse(text).token };
}

// Every way the token could come back to the browser: the document's HTML
// as served, the live DOM, and the value of every form control.
async function assertTokenAbsent(page, secret, served, where) {
  assert.ok(!served.includes(secret), `${where}: the served HTML does not contain the token`);
  assert.ok(!(await page.content()).includes(secret), `${where}: the DOM does not contain the token`);
  const values = await page.locator('input, textarea, select').evaluateAll((els) => els.map((e) => e.value));
  assert.ok(values.length > 0);
  for (const v of values) assert.ok(!v.includes(secret), `${where}: no form field holds the token`);
  assert.equal(await page.locator('input#token').inputValue(), '', `${where}: the token field is empty`);
  assert.equal(await page.locator('input#token').getAttribute('type'), 'password');
  const cookies = await page.context().cookies();
  for (const c of cookies) assert.ok(!c.value.includes(secret), `${where}: no cookie holds the token`);
}

// Types `secret` into the token field, saves, and checks what comes back.
async function saveToken(page, secret, label) {
  const documents = [];
  const onResponse = (r) => {
    if (r.request().resourceType() === 'document') documents.push(r);
  };
  page.on('response', onResponse);
  const field = page.locator(`form[action="${SETTINGS}/token"] input#token`);
  await field.fill(secret);
  assert.equal(await field.inputValue(), secret);
  const landed = page.waitForResponse(
    (r) => r.request().method() === 'GET' && r.request().resourceType() === 'document' &&
      new URL(r.url()).pathname === SETTINGS,
  );
  await page.locator(`form[action="${SETTINGS}/token"] button[type="submit"]`).click();
  const response = await landed;
  await page.waitForLoadState('load');
  page.off('response', onResponse);

  // POST-redirect-GET: the POST answers 303/302 to the settings page.
  const post = documents.find((r) => r.request().method() === 'POST');
  assert.ok(post, `${label}: the form was posted`);
  assert.ok([302, 303].includes(post.status()), `${label}: the POST redirects (got ${post.status()})`);
  assert.equal(new URL(page.url()).pathname, SETTINGS);
  assert.equal(response.status(), 200);
  const served = await response.text();
  assert.ok(!(await post.text().catch(() => '')).includes(secret), `${label}: the POST answer does not echo the token`);

  await assertTokenAbsent(page, secret, served, `${label}, after saving`);
  assert.equal((await page.locator('.flash').allTextContents()).join(' ').trim(), 'Token replaced.');
  const tokenSection = page.locator('section', { has: page.locator('h2', { hasText: 'Grafana token' }) });
  assert.match(await tokenSection.locator('p').first().textContent(), /^Configured by ui:t[0-9a-f]+ at .+\. It cannot be shown again/);

  // A reload (GET again, new HTML) still never has it.
  const reloaded = await page.reload();
  assert.equal(reloaded.status(), 200);
  await assertTokenAbsent(page, secret, await reloaded.text(), `${label}, after reloading`);
  assert.match(await tokenSection.locator('p').first().textContent(), /^Configured by ui:t[0-9a-f]+ at /);
  assert.equal(await page.locator('.flash').count(), 0, 'the notice was one-shot');
}

test('a Grafana token typed into the settings form is stored but never rendered back', { timeout: 60_000 }, async () => {
  const page = await newPage(browser);
  await installTraps(page);
  const seen = watchPage(page);
  const original = simulatorToken('demo'); // what demo/setup-demo.sh configured
  const fresh = simulatorToken('other');
  assert.match(fresh, /^glsa_/);
  assert.notEqual(fresh, original);

  const initial = await tokenStatus(page);
  assert.equal(initial.token.configured, true);
  assert.match(initial.token.set_by, /^cli:/);

  const response = await login(page, readToken('admin'), SETTINGS);
  assert.equal(response.status(), 200);
  assert.ok((await response.allHeaders())['content-security-policy']);
  await assertTokenAbsent(page, original, await response.text(), 'before saving');
  assert.match(await page.locator('h1').textContent(), /^Settings of /);

  await saveToken(page, fresh, 'new token');
  const afterNew = await tokenStatus(page);
  assert.equal(afterNew.token.configured, true);
  assert.match(afterNew.token.set_by, /^ui:t[0-9a-f]+$/, 'the UI stored it, attributed to the session');
  assert.ok(!afterNew.text.includes(fresh), 'the API does not show it either');

  // The audit view of the same page recorded the change, without the token.
  const audit = page.locator('section', { has: page.locator('h2', { hasText: 'Audit log' }) });
  assert.match(await audit.locator('tbody').textContent(), /token\.(set|rotate)/);

  // Put the simulator's token back (through the same form) so the space keeps
  // working for the other tests; it is not rendered back either.
  await saveToken(page, original, 'restored token');

  const traps = await readTraps(page);
  assert.deepEqual(traps.violations, []);
  assert.deepEqual(traps.calls, []);
  assert.deepEqual(seen.dialogs, []);
  assert.deepEqual(seen.pageErrors, []);
  assert.deepEqual(seen.consoleErrors, []);
  await page.context().close();
});
