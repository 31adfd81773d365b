// The editor's dashboard picker ("Authors in the browser"): an editor of the
// demo space opens the editor and the sidebar lists the simulator's
// dashboards and their panels, fetched through the dashboard plugin; the
// search filters the list without losing the text; a click on a panel
// inserts its panel-image block at the cursor and the preview shows the
// panel; Enter on a dashboard inserts its dashboard block; in a space where
// the dashboard plugin is disabled the sidebar says so and who can enable it.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  ARTIFACTS, BASE, DEMO, SPACE, STEP_TIMEOUT, imagesSettled, installTraps, launchBrowser, login, newPage,
  readTraps, vitrine, watchPage,
} from './lib.mjs';

const OFF = 'e2e-picker-off';
const EDIT = `/spaces/${SPACE}/edit/picker-notes`;
let browser;
let editor;
let offEditor;

before(async () => {
  browser = await launchBrowser();
  editor = vitrine('tokens', 'create', '--role', `editor:${SPACE}`).trim();
  // A space of its own where the dashboard plugin was enabled, then disabled.
  vitrine('spaces', 'create', OFF, '--name', 'Picker without the dashboard plugin');
  vitrine('plugins', 'enable', '--space', OFF, 'dashboard');
  vitrine('plugins', 'disable', '--space', OFF, 'dashboard');
  offEditor = vitrine('tokens', 'create', '--role', `editor:${OFF}`).trim();
  mkdirSync(path.join(DEMO, 'data', 'pages', OFF), { recursive: true });
  await sleep(1500); // the host applies CLI changes within a second
});
after(async () => {
  await browser?.close();
  // Leave the installation as run.sh made it, for the other tests.
  try {
    vitrine('spaces', 'delete', OFF, '--yes', '--purge');
  } catch {
    // never created (before() failed early)
  }
});

async function openEditor(token, next) {
  const page = await newPage(browser);
  await installTraps(page);
  const seen = watchPage(page);
  const response = await login(page, token, next);
  assert.equal(response.status(), 200);
  return { page, seen };
}

const dashboards = (page) => page.locator('#vitrine-picker-list a.vitrine-library-dashboard-link');
const text = (page) => page.getByLabel('Page text (Markdown)');

async function expectClean(page, seen) {
  assert.deepEqual(seen.pageErrors, []);
  assert.deepEqual(seen.foreignRequests, [], 'nothing is fetched from Grafana by the browser');
  assert.deepEqual((await readTraps(page)).violations, [], 'no CSP violation');
}

test('the picker lists the space\'s dashboards with their panels, and the search filters it', { timeout: 60_000 }, async () => {
  const { page, seen } = await openEditor(editor, EDIT);
  const sidebar = page.locator('#vitrine-editor-sidebar');
  assert.equal(await sidebar.getByRole('heading', { name: 'Dashboards' }).count(), 1);
  const titles = await dashboards(page).allTextContents();
  assert.ok(titles.includes('Checkout service') && titles.includes('Node overview'), titles.join(', '));
  assert.equal(titles.length, 5, titles.join(', '));
  // Each panel links to the dashboard with ?viewPanel= on the space's Grafana.
  const panel = sidebar.getByRole('link', { name: 'Request latency p95' });
  assert.equal(await panel.getAttribute('href'), 'https://demo.grafana.net/d/svc-checkout/checkout-service?viewPanel=2');

  await text(page).fill('Kept while searching.\n');
  await sidebar.getByLabel('Search dashboards').fill('node');
  await sidebar.getByRole('button', { name: 'Search' }).click();
  await page.waitForFunction(
    () => document.querySelectorAll('#vitrine-picker-list a.vitrine-library-dashboard-link').length === 1,
  );
  assert.deepEqual(await dashboards(page).allTextContents(), ['Node overview']);
  assert.equal(new URL(page.url()).pathname, EDIT, 'the search does not leave the editor');
  assert.equal(await text(page).inputValue(), 'Kept while searching.\n');

  // The same search as a link (and without script): ?picker_q= on the edit page.
  await page.goto(`${BASE}${EDIT}?picker_q=checkout`);
  assert.deepEqual(await dashboards(page).allTextContents(), ['Checkout service']);
  assert.equal(await sidebar.getByLabel('Search dashboards').inputValue(), 'checkout');
  await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-picker.png'), fullPage: true });
  await expectClean(page, seen);
  await page.context().close();
});

test('a click on a panel inserts its panel-image block at the cursor and the preview shows the panel', { timeout: 60_000 }, async () => {
  const { page, seen } = await openEditor(editor, EDIT);
  await text(page).fill('# Checkout\n\nAfter the panel.\n');
  // The cursor on the empty line between the heading and the paragraph: the
  // block takes that line.
  await text(page).evaluate((el) => el.setSelectionRange(11, 11));
  await page.locator('#vitrine-editor-sidebar').getByRole('link', { name: 'Request latency p95' }).click();
  await page.waitForFunction(() => document.getElementById('vitrine-text').value.includes('```panel-image'));
  const value = await text(page).inputValue();
  assert.match(value, /^# Checkout\n```panel-image\ndashboard_uid: svc-checkout\npanel_id: "?2"?\n```\nAfter the panel\.\n$/);
  assert.equal(new URL(page.url()).pathname, EDIT, 'the link did not navigate');
  assert.equal(page.context().pages().length, 1, 'no Grafana tab was opened');
  await page.locator('#vitrine-editor-status', { hasText: 'Inserted a panel-image block' }).waitFor();
  // The live preview renders the new block: the panel's PNG from the host's assets.
  const img = page.locator('#vitrine-preview img');
  await img.first().waitFor();
  await imagesSettled(page);
  assert.ok(await img.first().evaluate((el) => el.naturalWidth > 0), 'the panel image loaded');
  assert.match(await img.first().getAttribute('src'), /^\/assets\//);
  await expectClean(page, seen);
  await page.context().close();
});

test('Enter on a dashboard link inserts its dashboard block, and the preview shows the card', { timeout: 60_000 }, async () => {
  const { page, seen } = await openEditor(editor, EDIT);
  await text(page).fill('Intro');
  await text(page).evaluate((el) => el.setSelectionRange(el.value.length, el.value.length));
  const link = page.locator('#vitrine-editor-sidebar').getByRole('link', { name: 'Node overview', exact: true });
  await link.focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('vitrine-text').value.includes('```dashboard'));
  assert.equal(await text(page).inputValue(), 'Intro\n```dashboard\ndashboard: node-overview\n```\n');
  assert.equal(page.context().pages().length, 1, 'no Grafana tab was opened');
  await page.locator('#vitrine-preview .vitrine-dashboard-card', { hasText: 'Node overview' }).waitFor();
  await expectClean(page, seen);
  await page.context().close();
});

test('with the dashboard plugin disabled in the space the sidebar says so and who can enable it', { timeout: 60_000 }, async () => {
  const { page, seen } = await openEditor(offEditor, `/spaces/${OFF}/edit/notes`);
  const sidebar = page.locator('#vitrine-editor-sidebar');
  // The host applies the CLI's enable/disable within a second: reload until it has.
  const deadline = Date.now() + STEP_TIMEOUT;
  while ((await sidebar.locator('.vitrine-picker-notice').count()) === 0 && Date.now() < deadline) {
    await page.waitForTimeout(250);
    await page.reload();
  }
  const notice = await sidebar.locator('.vitrine-picker-notice').textContent();
  assert.match(notice, /not enabled in this space \(rule plugin-not-enabled\)/);
  assert.match(notice, /A space admin can enable it in the space settings/);
  assert.equal(await sidebar.getByRole('link', { name: 'open the settings' }).count(), 0, 'an editor may not enable plugins');
  assert.equal(await sidebar.getByLabel('Search dashboards').count(), 0);
  assert.equal(await sidebar.locator('.vitrine-error, [role=alert]').count(), 0, 'a notice, not an error box');
  // The editor itself is unaffected.
  assert.equal(await text(page).count(), 1);
  await expectClean(page, seen);
  await page.context().close();
});
