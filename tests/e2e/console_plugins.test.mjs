// The platform console's plugin flows, on an installation of their own
// (console_host.mjs) so the demo's plugin versions stay as the other tests
// expect: install signed bundles of the lifecycle test plugin from the
// server's plugins directory, approve 1.0.0, see 1.1.0 await approval with
// its permission diff (and the Overview's notice), approve it, roll back to
// 1.0.0, enable / disable it in a space, withdraw its approval and approve
// one version again.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { ConsoleHost, loginAt, notice, submit } from './console_host.mjs';
import { ARTIFACTS, installTraps, launchBrowser, lifecyclePlugin, newPage, readTraps } from './lib.mjs';

let browser;
let host;
before(async () => {
  browser = await launchBrowser();
  host = await ConsoleHost.start();
  const key = path.join(host.dir, 'publisher');
  host.cli('plugins', 'keygen', '--out', key);
  host.cli('plugins', 'trust', 'add', `${key}.pub`, '--name', 'e2e-publisher');
  for (const [dir, version] of [['v1_0_0', '1.0.0'], ['v1_1_0', '1.1.0']]) {
    host.cli('plugins', 'pack', lifecyclePlugin(dir), '--key', `${key}.key`, '--out',
      path.join(host.plugins, `versioned-${version}.vitrine-plugin`));
  }
  host.cli('spaces', 'create', 'docs');
});
after(async () => {
  await browser?.close();
  await host?.stop();
});

async function state(page, version) {
  return page.locator(`tr[data-plugin="versioned"][data-version="${version}"]`).getAttribute('data-state');
}

async function install(page, bundle) {
  await page.locator('#bundle').selectOption(bundle);
  await submit(page, page.locator('form[action="/admin/plugins/install"] button[type=submit]'));
  return notice(page);
}

test('a platform admin installs, approves with the diff, rolls back and enables a plugin in the console', { timeout: 60_000 }, async () => {
  const page = await newPage(browser);
  await installTraps(page);
  await loginAt(page, host.base, host.adminToken, '/admin/plugins');
  assert.deepEqual(await page.locator('#bundle option').allTextContents(),
    ['versioned-1.0.0.vitrine-plugin', 'versioned-1.1.0.vitrine-plugin']);

  let n = await install(page, 'versioned-1.0.0.vitrine-plugin');
  assert.equal(n.error, false, n.text);
  assert.equal(n.text, 'Installed versioned 1.0.0 (signed by e2e-publisher). It runs once approved.');
  assert.equal(await state(page, '1.0.0'), 'awaiting-approval');
  await submit(page, page.locator('tr[data-version="1.0.0"] button', { hasText: 'Approve' }));
  n = await notice(page);
  assert.match(n.text, /^Approved versioned 1\.0\.0 \(e2e-publisher, library sha256 [0-9a-f]{12}\.\.\.\); it is running now\.$/);
  assert.equal(await state(page, '1.0.0'), 'running');

  // 1.1.0 awaits approval; the Overview says so.
  n = await install(page, 'versioned-1.1.0.vitrine-plugin');
  assert.equal(n.error, false, n.text);
  const awaiting = page.locator('tr[data-version="1.1.0"]');
  assert.equal(await state(page, '1.1.0'), 'awaiting-approval');
  assert.match(await awaiting.textContent(), /Permissions: the same as the running version\./);
  await page.goto(`${host.base}/admin`);
  assert.match(await page.locator('ul.notices').textContent(), /Plugin versioned 1\.1\.0 awaits approval of its permissions/);
  await page.locator('ul.notices a', { hasText: 'Plugins' }).click();
  await page.waitForLoadState('load');

  // Installing the same bundle again changes nothing.
  n = await install(page, 'versioned-1.1.0.vitrine-plugin');
  assert.match(n.text, /^Already installed: versioned 1\.1\.0/);

  await submit(page, awaiting.locator('button', { hasText: 'Approve' }));
  assert.equal(await state(page, '1.1.0'), 'running');
  assert.equal(await state(page, '1.0.0'), 'standby');
  await page.screenshot({ path: path.join(ARTIFACTS, 'console-plugins.png'), fullPage: true });

  // Roll back to 1.0.0: no new approval needed.
  await submit(page, page.locator('tr[data-version="1.0.0"] button', { hasText: 'Roll back to this version' }));
  n = await notice(page);
  assert.equal(n.text, 'versioned 1.0.0 runs again (rolled back).');
  assert.equal(await state(page, '1.0.0'), 'running');
  assert.equal(await state(page, '1.1.0'), 'standby');

  // Enable in the space docs, then disable.
  const cell = page.locator('table.enablement tr[data-space="docs"] td[data-plugin="versioned"]');
  assert.match(await cell.textContent(), /^disabled /);
  await submit(page, cell.locator('button', { hasText: 'Enable versioned in docs' }));
  assert.equal((await notice(page)).text, 'versioned enabled in docs.');
  assert.deepEqual(host.cli('spaces', 'show', 'docs', '--format', 'json').includes('"enabled_plugins":["versioned"]'), true);
  await submit(page, cell.locator('button', { hasText: 'Disable versioned in docs' }));
  assert.equal((await notice(page)).text, 'versioned disabled in docs.');
  assert.match(await cell.textContent(), /^disabled /);

  // Withdraw the approval (LC-6): a reason is required; then no version runs
  // until one is approved again, and exactly that one runs.
  const running = page.locator('tr[data-version="1.0.0"]');
  await running.getByLabel('Reason').fill('publisher key leaked');
  await submit(page, running.locator('button', { hasText: 'Withdraw approval' }));
  n = await notice(page);
  assert.equal(n.error, false, n.text);
  assert.equal(n.text, 'Withdrew the approval of versioned; no version of it runs now. Approving a version lets it run again.');
  for (const v of ['1.0.0', '1.1.0']) {
    assert.equal(await state(page, v), 'refused');
    assert.match(await page.locator(`tr[data-version="${v}"]`).textContent(), /\[plugin-approval-withdrawn\]/);
  }
  assert.match(host.cli('audit', '--action', 'plugin.withdraw', '--limit', '1'), /plugin\.withdraw\s+versioned\s+ok\s+\{"withdraw_reason":"publisher key leaked"\}/);
  await submit(page, page.locator('tr[data-version="1.1.0"] button', { hasText: 'Approve' }));
  assert.equal(await state(page, '1.1.0'), 'running');
  assert.equal(await state(page, '1.0.0'), 'refused');

  const traps = await readTraps(page);
  assert.deepEqual(traps.violations, []);
  assert.deepEqual(traps.calls, []);
  await page.context().close();
});
