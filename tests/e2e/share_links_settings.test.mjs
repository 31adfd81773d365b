// Share links and allowed origins in the space settings page
// (docs/embedding.md): a space admin lists allowed origins, creates a share
// link for one macro through the form, sees it listed, opens it without an
// account, and revokes it from the list; a refused origin names its rule.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { api } from './embed_lib.mjs';
import { SPACE, launchBrowser, login, newPage, readToken } from './lib.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await api('PUT', `/api/v1/spaces/${SPACE}/embed`, { frame_ancestors: [] });
  await browser?.close();
});

test('a space admin sets origins, creates, lists and revokes a share link in the settings', { timeout: 60_000 }, async () => {
  const page = await newPage(browser);
  const settings = `/spaces/${SPACE}/settings`;
  await login(page, readToken('admin'), settings);
  const section = page.locator('section#embeds');

  await section.locator('textarea[name="frame_ancestors"]').fill('http://wiki.example.com');
  await section.getByRole('button', { name: 'Save origins' }).click();
  assert.match(await page.locator('.flash.error').textContent(), /\[embed-origin-scheme\]/);
  await section.locator('textarea[name="frame_ancestors"]').fill('https://wiki.example.com\nhttp://127.0.0.1:9');
  await section.getByRole('button', { name: 'Save origins' }).click();
  assert.equal(await page.locator('.flash').textContent(), 'Allowed origins saved.');
  assert.equal(await section.locator('textarea[name="frame_ancestors"]').inputValue(), 'http://127.0.0.1:9\nhttps://wiki.example.com\n');

  await section.locator('input[name="page"]').fill('partial-failure');
  await section.locator('input[name="macro"]').fill('3');
  await section.locator('input[name="days"]').fill('2');
  await section.getByRole('button', { name: 'Create share link' }).click();
  const notice = await page.locator('.flash').textContent();
  const url = /Share link created: (\S+)/.exec(notice)?.[1];
  assert.ok(url, notice);
  const id = new URL(url).pathname.split('/')[2].split('.')[0];
  const row = section.locator(`tr[data-share-link="${id}"]`);
  assert.equal(await row.locator('input.share-url').inputValue(), url);
  assert.match(await row.textContent(), /partial-failure, macro 3.*active/s);

  const reader = await newPage(browser);
  assert.equal((await reader.goto(url)).status(), 200);
  await row.getByRole('button', { name: 'Revoke' }).click();
  assert.equal(await page.locator('.flash').textContent(), 'Share link revoked.');
  assert.match(await section.locator(`tr[data-share-link="${id}"]`).textContent(), /revoked/);
  assert.equal((await reader.goto(url)).status(), 410);
  await reader.context().close();
  await page.context().close();
});
