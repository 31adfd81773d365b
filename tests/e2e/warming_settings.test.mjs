// Scheduled cache warming in the space settings page (docs/freshness.md,
// "Scheduled warming"): a space admin picks "Every N minutes" by its labels,
// saves, and sees the schedule; an interval out of range is refused with an
// error notice naming the rule [warm-interval-range] and nothing changes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { api } from './embed_lib.mjs';
import { SPACE, launchBrowser, login, newPage, readToken } from './lib.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await api('PUT', `/api/v1/spaces/${SPACE}/warming`, { mode: 'off' });
  await browser?.close();
});

test('a space admin sets the cache warming schedule in the settings', { timeout: 60_000 }, async () => {
  const page = await newPage(browser);
  const settings = `/spaces/${SPACE}/settings`;
  await login(page, readToken('admin'), settings);
  const section = page.locator('section#warming');
  assert.match(await section.textContent(), /Schedule: off/);

  await section.getByLabel('Every').check();
  await section.getByLabel('minutes').fill('2');
  await section.getByRole('button', { name: 'Save schedule' }).click();
  assert.match(await page.locator('.flash.error').textContent(), /\[warm-interval-range\]/);
  assert.match(await section.textContent(), /Schedule: off/);

  await section.getByLabel('Every').check();
  await section.getByLabel('minutes').fill('45');
  await section.getByRole('button', { name: 'Save schedule' }).click();
  assert.equal(await page.locator('.flash').textContent(), 'Warming schedule saved.');
  assert.match(await section.textContent(), /Schedule: every 45m; next run due \d{4}-/);
  assert.equal(await section.getByLabel('minutes').inputValue(), '45');
  const { json } = await api('GET', `/api/v1/spaces/${SPACE}/warming`);
  assert.equal(json.interval_s, 2700);

  await section.getByLabel('Off').check();
  await section.getByRole('button', { name: 'Save schedule' }).click();
  assert.match(await section.textContent(), /Schedule: off/);
  await page.context().close();
});
