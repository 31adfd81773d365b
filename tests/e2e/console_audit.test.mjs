// The platform console's Audit page on the demo host: newest first, filters
// by space, actor, action and time narrow the rows (the same rows the API
// answers), and the filtered rows export as JSON and as a Markdown table.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { BASE, SPACE, launchBrowser, login, newPage, readToken } from './lib.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

async function ids(page) {
  return (await page.locator('table.audit tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.dataset.id))));
}

test('the audit view is newest first, filters by space, actor, action and time, and exports', { timeout: 60_000 }, async () => {
  const page = await newPage(browser);
  await login(page, readToken('admin'), '/admin/audit');
  const all = await ids(page);
  assert.ok(all.length >= 5, `the demo wrote audit rows: ${all.length}`);
  assert.deepEqual(all, [...all].sort((a, b) => b - a), 'newest first');

  // Filter with the form: space and action prefix.
  await page.locator('#space').fill(SPACE);
  await page.locator('#action').fill('plugin.');
  await Promise.all([page.waitForNavigation(), page.locator('form.filters button[type=submit]').click()]);
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('space'), SPACE);
  assert.equal(url.searchParams.get('action'), 'plugin.');
  const rows = page.locator('table.audit tbody tr');
  assert.ok((await rows.count()) >= 1);
  for (const cells of await rows.evaluateAll((trs) => trs.map((tr) => Array.from(tr.cells, (c) => c.textContent)))) {
    assert.equal(cells[3], SPACE);
    assert.ok(cells[4].startsWith('plugin.'), cells[4]);
  }
  const filtered = await ids(page);
  // The API answers the same rows for the same filter.
  const api = await page.request.get(`${BASE}/api/v1/audit?space=${SPACE}&action=plugin.&limit=50`, {
    headers: { Authorization: `Bearer ${readToken('admin')}` },
  });
  assert.deepEqual((await api.json()).map((r) => r.id), filtered);

  // Actor: only that actor's rows.
  const actor = (await rows.first().locator('td').nth(2).textContent());
  await page.goto(`${BASE}/admin/audit?actor=${encodeURIComponent(actor)}`);
  for (const who of await page.locator('table.audit tbody tr td:nth-child(3)').allTextContents()) assert.equal(who, actor);

  // Time: nothing before 2001, everything since then.
  await page.goto(`${BASE}/admin/audit?until=2001-01-01`);
  assert.equal(await page.locator('[data-rows="0"]').count(), 1);
  await page.goto(`${BASE}/admin/audit`);
  const newest = await ids(page);
  await page.goto(`${BASE}/admin/audit?since=2001-01-01`);
  assert.deepEqual(await ids(page), newest);

  // A malformed time: an error notice, styled as one.
  const bad = await page.goto(`${BASE}/admin/audit?since=yesterday`);
  assert.equal(bad.status(), 400);
  const n = page.locator('main .flash.error[role=alert]');
  assert.match(await n.textContent(), /'since' must be a date/);

  // Export the filtered rows: JSON and Markdown downloads.
  await page.goto(`${BASE}/admin/audit?space=${SPACE}&action=plugin.`);
  for (const [text, check] of [
    ['JSON', (body) => assert.deepEqual(JSON.parse(body).map((r) => r.id), filtered)],
    ['Markdown', (body) => {
      assert.match(body, /^# Audit log\n/);
      assert.match(body, new RegExp(`- Filter: space ${SPACE}, action plugin\\.`));
      const tableIds = body.split('\n').filter((l) => /^\| \d+ \|/.test(l)).map((l) => Number(l.split('|')[1]));
      assert.deepEqual(tableIds, filtered);
    }],
  ]) {
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('a', { hasText: text }).click()]);
    check(readFileSync(await download.path(), 'utf8'));
  }
  await page.context().close();
});
