// Day two, plugin lifecycle: "a platform admin approves an upgrade with its
// diff in the UI". While the demo host serves, the CLI installs the
// lifecycle test plugin 1.0.0 (approved, enabled in the demo space) and
// then 1.2.0, which asks for one more scope and so awaits approval. The
// platform admin logs in, opens /admin/plugins, sees the 1.2.0 row with its
// permission diff, clicks Approve, gets a success notice with 1.2.0
// running, and a page using the `versioned` macro now shows 1.2.0.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import {
  ARTIFACTS, BASE, DEMO, SPACE, STEP_TIMEOUT, installTraps, launchBrowser, lifecyclePlugin, login,
  newPage, pageUrl, readToken, readTraps, vitrine, watchPage,
} from './lib.mjs';

const ADMIN_PAGE = '/admin/plugins';
const MACRO_PAGE = 'versioned-upgrade';
let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

// The state of each installed version of `id`, as the API lists it.
async function states(page, id) {
  const r = await page.request.get(`${BASE}/api/v1/plugins`, {
    headers: { Authorization: `Bearer ${readToken('admin')}` },
  });
  assert.equal(r.status(), 200);
  const out = {};
  for (const p of (await r.json()).plugins) if (p.id === id) out[p.version] = p.state;
  return out;
}

// The running host applies CLI changes within a second; wait for `want`.
async function waitForStates(page, id, want) {
  const deadline = Date.now() + STEP_TIMEOUT;
  let last;
  while (Date.now() < deadline) {
    last = await states(page, id);
    if (Object.entries(want).every(([v, s]) => last[v] === s)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`versions of ${id} never reached ${JSON.stringify(want)}: ${JSON.stringify(last)}`);
}

test('a platform admin approves an awaiting plugin upgrade, seeing its permission diff, and the page runs it', { timeout: 60_000 }, async () => {
  const page = await newPage(browser);
  await installTraps(page);
  const seen = watchPage(page);

  // 1.0.0 approved and enabled; then 1.2.0 installed, awaiting approval.
  assert.match(vitrine('plugins', 'install', lifecyclePlugin('v1_0_0'), '--allow-unsigned'), /installed versioned 1\.0\.0/);
  vitrine('plugins', 'approve', 'versioned', '--version', '1.0.0');
  vitrine('plugins', 'enable', '--space', SPACE, 'versioned');
  assert.match(vitrine('plugins', 'install', lifecyclePlugin('v1_2_0'), '--allow-unsigned'), /installed versioned 1\.2\.0/);
  writeFileSync(
    path.join(DEMO, 'data', 'pages', SPACE, `${MACRO_PAGE}.md`),
    '# Versioned\n\n```versioned\n```\n',
  );
  await waitForStates(page, 'versioned', { '1.0.0': 'running', '1.2.0': 'awaiting-approval' });

  // Before the approval the page runs 1.0.0.
  const response = await login(page, readToken('admin'), ADMIN_PAGE);
  assert.equal(response.status(), 200);
  assert.ok((await response.allHeaders())['content-security-policy']);
  await page.goto(pageUrl(MACRO_PAGE));
  const box = page.locator('.vitrine-macro[data-macro="versioned"]');
  assert.equal((await box.textContent()).trim(), 'versioned 1.0.0');

  // The nav leads platform admins to the plugin page.
  await page.goto(`${BASE}/`);
  await page.locator('header.top a', { hasText: 'Plugins' }).click();
  await page.waitForLoadState('load');
  assert.equal(new URL(page.url()).pathname, ADMIN_PAGE);
  assert.equal(await page.locator('h1').textContent(), 'Plugins');

  const row = page.locator('tr[data-plugin="versioned"][data-version="1.2.0"]');
  assert.equal(await row.count(), 1, 'one row for versioned 1.2.0');
  assert.equal(await row.locator('.state').textContent(), 'awaiting-approval');
  assert.equal(await row.locator('.unsigned').textContent(), 'UNSIGNED');
  assert.match(await row.locator('code.digest').textContent(), /^[0-9a-f]{12}$/, 'the library digest prefix');
  const added = await row.locator('ul.diff li.added').allTextContents();
  assert.ok(added.includes('+ scope grafana:read:dashboards'), `the diff shows the new scope: ${added}`);
  assert.equal(await row.locator('ul.diff li.removed').count(), 0, 'nothing is removed');
  assert.match(await row.textContent(), /1\.0\.0 keeps running until a platform admin/);
  const running = page.locator('tr[data-plugin="versioned"][data-version="1.0.0"]');
  assert.equal(await running.locator('.state').textContent(), 'running');
  // The running version has nothing to approve; its one action is the
  // emergency stop (LC-6).
  assert.deepEqual(await running.locator('button').allTextContents(), ['Withdraw approval']);

  await page.screenshot({ path: path.join(ARTIFACTS, 'plugin-upgrade-awaiting.png'), fullPage: true });

  // Approve: POST, then back to the page with a notice.
  const landed = page.waitForResponse(
    (r) => r.request().method() === 'GET' && r.request().resourceType() === 'document' &&
      new URL(r.url()).pathname === ADMIN_PAGE,
  );
  await row.locator('button', { hasText: 'Approve' }).click();
  assert.equal((await landed).status(), 200);
  await page.waitForLoadState('load');
  assert.equal(new URL(page.url()).pathname, ADMIN_PAGE);
  const notice = page.locator('main .flash');
  assert.equal(await notice.count(), 1);
  assert.match(await notice.textContent(), /^Approved versioned 1\.2\.0 \(UNSIGNED, library sha256 [0-9a-f]{12}\.\.\.\); it is running now\.$/);
  assert.equal(await page.locator('main .flash.error').count(), 0, 'a success, not an error notice');
  assert.equal(await row.locator('.state').textContent(), 'running');
  assert.equal(await row.locator('ul.diff').count(), 0, 'no diff once approved');
  assert.equal(await running.locator('.state').textContent(), 'standby');
  assert.equal(await running.locator('button').textContent(), 'Roll back to this version');
  await page.screenshot({ path: path.join(ARTIFACTS, 'plugin-upgrade-approved.png'), fullPage: true });

  // The page runs the approved upgrade.
  await page.goto(pageUrl(MACRO_PAGE));
  assert.equal((await box.textContent()).trim(), 'versioned 1.2.0');
  assert.deepEqual(await states(page, 'versioned'), { '1.0.0': 'standby', '1.2.0': 'running' });

  const traps = await readTraps(page);
  assert.deepEqual(traps.violations, []);
  assert.deepEqual(traps.calls, []);
  assert.deepEqual(seen.dialogs, []);
  assert.deepEqual(seen.pageErrors, []);
  assert.deepEqual(seen.consoleErrors, []);
  assert.deepEqual(seen.foreignRequests, []);
  await page.context().close();
});
