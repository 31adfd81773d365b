// Share links in the browser (docs/embedding.md#share-links): a reader
// without a Vitrine account opens the link and sees its target and nothing
// else; an expired, revoked or tampered link, a link whose space was
// deleted, a link whose plugin was disabled in the space and one whose
// plugin approval was withdrawn platform-wide show a
// refusal naming its rule, never content. A second space, made for this
// test with the CLI, is the one deleted.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';

import { api, createShareLink } from './embed_lib.mjs';
import { BASE, DEMO, SPACE, launchBrowser, newPage, simulatorToken, vitrine } from './lib.mjs';
import { execFileSync } from 'node:child_process';

const OTHER = 'e2e-share';
let browser;
before(async () => {
  browser = await launchBrowser();
  vitrine('spaces', 'create', OTHER, '--name', 'Share link tests');
  vitrine('spaces', 'connect', OTHER, '--origin', 'https://demo.grafana.net');
  execFileSync(
    process.env.VITRINE_E2E_CLI,
    ['--data-dir', path.join(DEMO, 'data'), '--key-file', path.join(DEMO, 'keyring'), 'spaces', 'token', 'set', OTHER, '--stdin'],
    { input: simulatorToken('demo'), encoding: 'utf8', timeout: 20_000 },
  );
  for (const id of ['dashboard', 'alert_list']) vitrine('plugins', 'enable', '--space', OTHER, id);
  const pages = path.join(DEMO, 'data', 'pages', OTHER);
  mkdirSync(pages, { recursive: true });
  copyFileSync(path.join(DEMO, 'data', 'pages', SPACE, 'partial-failure.md'), path.join(pages, 'partial-failure.md'));
  await sleep(1500); // the host applies CLI changes within a second
});
after(async () => {
  await browser?.close();
  // Leave the installation as run.sh made it, for the other tests.
  try {
    vitrine('spaces', 'delete', OTHER, '--yes', '--purge');
  } catch {
    // already deleted (a test failed before re-creating it)
  }
});

async function open(url) {
  const page = await newPage(browser);
  const response = await page.goto(url);
  return { page, response, text: (await page.locator('body').textContent()).trim() };
}

async function refusedWith(url, status, rule) {
  const { page, response, text } = await open(url);
  assert.equal(response.status(), status, text);
  assert.match(text, new RegExp(`\\[${rule}\\]`));
  assert.equal(await page.locator('.vitrine-macro').count(), 0, 'no content');
  await page.context().close();
}

test('a valid share link shows its macro and only its macro, without an account', { timeout: 60_000 }, async () => {
  const link = await createShareLink(SPACE, 'partial-failure', { macro: 3 });
  const { page, response } = await open(link.url);
  assert.equal(response.status(), 200);
  assert.deepEqual(await page.locator('.vitrine-macro').evaluateAll((els) => els.map((e) => e.dataset.macro)), ['alert-list']);
  assert.ok((await page.locator('table.vitrine-alert-table tbody tr').count()) > 0);
  // Nothing else of the space: no other macro, no navigation, no forms, no links into the UI.
  assert.equal(await page.locator('.vitrine-dashboard-title').count(), 0);
  assert.equal(await page.locator('nav, form, a[href^="/spaces"], a[href^="/login"]').count(), 0);
  assert.deepEqual(await page.context().cookies(BASE), []);
  await page.context().close();
  const listed = await api('GET', `/api/v1/spaces/${SPACE}/share-links`);
  assert.ok(listed.json.share_links.some((l) => l.id === link.id && l.state === 'active'));
});

test('an editor creates a share link; a viewer cannot, and only admins list them', { timeout: 60_000 }, async () => {
  const token = (role) => vitrine('tokens', 'create', '--role', role).trim().split('\n').pop().trim();
  const editor = token(`editor:${SPACE}`);
  const made = await api('POST', `/api/v1/spaces/${SPACE}/share-links`, { page: 'partial-failure' }, editor);
  assert.equal(made.status, 200, made.text);
  assert.equal((await open(made.json.url)).response.status(), 200);
  assert.equal((await api('GET', `/api/v1/spaces/${SPACE}/share-links`, null, editor)).status, 403);
  const viewer = token(`viewer:${SPACE}`);
  assert.equal((await api('POST', `/api/v1/spaces/${SPACE}/share-links`, { page: 'partial-failure' }, viewer)).status, 403);
});

test('a share link serves the images of its target through the link, and no other asset', { timeout: 60_000 }, async () => {
  const link = await createShareLink(SPACE, 'checkout', { macro: 5 }); // the panel-image macro
  const { page, response } = await open(link.url);
  assert.equal(response.status(), 200);
  const img = page.locator('img.vitrine-panel-image-img');
  const src = await img.getAttribute('src');
  assert.match(src, new RegExp(`^/s/${new URL(link.url).pathname.split('/')[2].replace('.', '\\.')}/assets/[0-9a-f]{64}$`));
  await page.waitForFunction(() => Array.from(document.images).every((i) => i.complete));
  assert.equal(await img.evaluate((i) => i.naturalWidth), 800);
  // Another asset id under the same link, and this asset under another link: 404.
  assert.equal((await fetch(`${BASE}${src.replace(/[0-9a-f]{64}$/, 'a'.repeat(64))}`)).status, 404);
  const other = await createShareLink(SPACE, 'checkout', { macro: 1 });
  const assetId = src.split('/').pop();
  assert.equal((await fetch(`${other.url}/assets/${assetId}`)).status, 404);
  await page.context().close();
});

test('an expired share link is refused', { timeout: 60_000 }, async () => {
  const link = await createShareLink(SPACE, 'partial-failure', { ttl: 1 });
  await sleep(1200);
  await refusedWith(link.url, 410, 'share-link-expired');
});

test('a revoked share link is refused', { timeout: 60_000 }, async () => {
  const link = await createShareLink(SPACE, 'partial-failure');
  assert.equal((await open(link.url)).response.status(), 200);
  const r = await api('DELETE', `/api/v1/spaces/${SPACE}/share-links/${link.id}`);
  assert.equal(r.status, 200, r.text);
  await refusedWith(link.url, 410, 'share-link-revoked');
});

test('a tampered share link is refused', { timeout: 60_000 }, async () => {
  const link = await createShareLink(SPACE, 'partial-failure', { macro: 1 });
  const last = link.url.at(-1) === 'A' ? 'B' : 'A';
  await refusedWith(link.url.slice(0, -1) + last, 404, 'share-link-signature');
  await refusedWith(link.url.slice(0, -5), 404, 'share-link-malformed');
  // Another id with a valid-looking signature.
  const u = new URL(link.url);
  const token = u.pathname.split('/')[2];
  const forged = `${'0'.repeat(32)}${token.slice(32)}`;
  await refusedWith(`${BASE}/s/${forged}`, 404, 'share-link-unknown');
});

test('a share link stops working when its plugin is withdrawn from the space', { timeout: 60_000 }, async () => {
  const link = await createShareLink(OTHER, 'partial-failure', { macro: 3 });
  assert.equal((await open(link.url)).response.status(), 200);
  vitrine('plugins', 'disable', '--space', OTHER, 'alert_list');
  await sleep(1500);
  await refusedWith(link.url, 410, 'embed-plugin-gone');
  vitrine('plugins', 'enable', '--space', OTHER, 'alert_list');
  await sleep(1500);
  assert.equal((await open(link.url)).response.status(), 200, 'back once enabled again');
});

test('a share link stops working when its plugin approval is withdrawn (LC-6)', { timeout: 60_000 }, async () => {
  const link = await createShareLink(OTHER, 'partial-failure', { macro: 3 });
  assert.equal((await open(link.url)).response.status(), 200);
  vitrine('plugins', 'withdraw', 'alert_list', '--reason', 'e2e: approval withdrawn');
  await sleep(1500);
  await refusedWith(link.url, 410, 'embed-plugin-gone');
  vitrine('plugins', 'approve', 'alert_list');
  await sleep(1500);
  assert.equal((await open(link.url)).response.status(), 200, 'back once approved again');
});

test('a share link stops working when its space is deleted, even if the space is created again', { timeout: 60_000 }, async () => {
  const link = await createShareLink(OTHER, 'partial-failure');
  assert.equal((await open(link.url)).response.status(), 200);
  vitrine('spaces', 'delete', OTHER, '--yes', '--purge');
  await refusedWith(link.url, 404, 'share-link-unknown');
  vitrine('spaces', 'create', OTHER, '--name', 'Share link tests again');
  await sleep(1500);
  await refusedWith(link.url, 404, 'share-link-unknown');
});
