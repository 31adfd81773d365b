// The platform console's License page, on an installation of its own
// (console_host.mjs, dev_mode): a license valid for 10 days, signed by the
// installation's development key, is pasted and installed; the page shows
// its days left with a warning, and the Overview shows the "expires within
// 14 days" notice. A damaged license is refused with an error notice.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { ConsoleHost, loginAt, notice, submit } from './console_host.mjs';
import { launchBrowser, newPage } from './lib.mjs';

let browser;
let host;
let licenseText;
before(async () => {
  browser = await launchBrowser();
  host = await ConsoleHost.start();
  // A development license for 10 days; taken out of the data directory so
  // that the console installs it.
  host.cli('license', 'dev', '--data-dir', host.data, '--features', 'alert-badges', '--licensee', 'Console E2E', '--days', '10');
  const file = path.join(host.data, 'dev-license.json');
  licenseText = readFileSync(file, 'utf8');
  rmSync(file);
});
after(async () => {
  await browser?.close();
  await host?.stop();
});

test('a platform admin installs a license in the console and sees its days left and the expiry notice', { timeout: 60_000 }, async () => {
  const page = await newPage(browser);
  await loginAt(page, host.base, host.adminToken, '/admin/license');
  assert.equal(await page.locator('[data-license="none"]').count(), 1);

  // A damaged license (cut short): refused, error notice.
  await page.locator('#license').fill(licenseText.slice(0, Math.floor(licenseText.length / 2)));
  await submit(page, page.locator('form[action="/admin/license"] button[type=submit]'));
  let n = await notice(page);
  assert.equal(n.error, true);
  assert.equal(n.role, 'alert');
  assert.match(n.text, /^License not installed: .*\[license-[a-z-]+\]$/);

  await page.locator('#license').fill(licenseText);
  await submit(page, page.locator('form[action="/admin/license"] button[type=submit]'));
  n = await notice(page);
  assert.equal(n.error, false, n.text);
  // Whole days left: 10 while the license is less than a second old (it
  // was written for exactly 10 days), 9 after that.
  assert.match(n.text, /^Installed license \S+ for Console E2E; (9|10) days left\.$/);
  assert.match(await page.locator('[data-days-left]').getAttribute('data-days-left'), /^(9|10)$/);
  assert.match(await page.locator('main p.expiry[role=alert]').textContent(), /expires within 14 days/);
  const cli = host.cli('license', 'show', '--data-dir', host.data, '--dev');
  assert.match(cli, /licensee   Console E2E/);
  assert.match(cli, /days left  (9|10)\n/);

  await page.goto(`${host.base}/admin`);
  assert.match(await page.locator('ul.notices').textContent(), /expires in (9|10) days/);
  await page.context().close();
});
