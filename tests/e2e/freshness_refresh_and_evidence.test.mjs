// Freshness on an installation of its own (demo/setup-demo.sh into a
// temporary directory, with its own Grafana simulator), so stopping
// Grafana does not disturb the shared demo: "Refresh all" on a page with a
// failing macro reports the failure and its rule; a macro pinned as
// evidence is still read, unchanged, after the simulator is stopped; "which
// pages use this dashboard" finds the page.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';

import { loginAt, notice, submit } from './console_host.mjs';
import { STEP_TIMEOUT, launchBrowser, newPage } from './lib.mjs';

const CLI = process.env.VITRINE_E2E_CLI;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUILD = path.resolve(path.dirname(CLI), '..', '..');
const PAGE = 'freshness-e2e';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

let dir;
let demo;
let host;
let base;
let browser;

async function ready() {
  const deadline = Date.now() + STEP_TIMEOUT;
  while (Date.now() < deadline) {
    if (host.exitCode !== null) return false;
    try {
      const r = await fetch(`${base}/readyz`);
      if (r.ok && (await r.json()).ready) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

function simPid() {
  return Number(readFileSync(path.join(demo, 'sim.pid'), 'utf8').trim());
}

// SIGTERM, then wait until the process is gone (no timing assumption).
async function stopSimulator() {
  const pid = simPid();
  process.kill(pid);
  // Gone: no /proc entry, or a zombie nobody has reaped yet.
  for (;;) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return;
    }
    if (/\) Z /.test(stat)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'vitrine-freshness-'));
  demo = path.join(dir, 'demo');
  const port = await freePort();
  execFileSync(path.join(ROOT, 'demo', 'setup-demo.sh'), [BUILD, demo, String(port)], {
    timeout: 60_000,
    stdio: 'ignore',
  });
  // Macro 1 renders; macro 2 names a dashboard Grafana does not have.
  writeFileSync(
    path.join(demo, 'data', 'pages', 'demo', `${PAGE}.md`),
    '# Freshness\n\n```dashboard\ndashboard: svc-checkout\n```\n\n' +
      '```dashboard\ndashboard: no-such-dashboard\n```\n',
  );
  host = spawn(CLI, ['serve', '--config', path.join(demo, 'vitrine.yml')], {
    cwd: demo,
    stdio: 'ignore',
  });
  base = `http://127.0.0.1:${port}`;
  assert.ok(await ready(), `the freshness test host never became ready in ${demo}`);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (host && host.exitCode === null) {
    const exited = new Promise((r) => host.once('exit', r));
    host.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (host.exitCode === null) host.kill('SIGKILL');
  }
  try {
    process.kill(simPid());
  } catch {
    // already stopped by the test
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const freshness = `/spaces/demo/pages/${PAGE}/freshness`;

test('refresh all reports the failing macro with its rule', { timeout: 60_000 }, async () => {
  const page = await newPage(browser);
  const admin = readFileSync(path.join(demo, 'admin.token'), 'utf8').trim();
  await loginAt(page, base, admin, freshness);
  await submit(page, page.locator('#vitrine-refresh button[type="submit"]'));
  const n = await notice(page);
  assert.match(n.text, /Refreshed 1, failed 1\./);
  assert.match(n.text, /Macro 2 \(dashboard\): .*\[[a-z0-9-]+\]/);
  assert.equal(n.error, true);
  await page.close();
});

test('evidence pinned while Grafana is up is read unchanged after it stops', { timeout: 60_000 }, async () => {
  const page = await newPage(browser);
  const admin = readFileSync(path.join(demo, 'admin.token'), 'utf8').trim();
  await loginAt(page, base, admin, freshness);
  await submit(page, page.locator('#vitrine-macros li').first().locator('button[type="submit"]'));
  assert.match((await notice(page)).text, /Pinned macro 1 as evidence \d{8}T\d{9}Z-m1\./);
  const link = page.locator('#vitrine-evidence a').first();
  const href = await link.getAttribute('href');
  await Promise.all([page.waitForNavigation(), link.click()]);
  const pinned = await page.locator('article.vitrine-evidence').innerHTML();
  assert.match(pinned, /checkout/i);

  await stopSimulator();
  // Grafana is gone: a fresh render of the dashboard now fails...
  const api = await fetch(`${base}/api/v1/spaces/demo/pages/${PAGE}/refresh`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${admin}` },
  });
  assert.equal(api.status, 200);
  const report = await api.json();
  assert.equal(report.refreshed, 0);
  assert.equal(report.failed.length, 2);
  // ...and the record still reads, the same as when it was pinned.
  const again = await page.goto(`${base}${href}`);
  assert.equal(again.status(), 200);
  assert.equal(await page.locator('article.vitrine-evidence').innerHTML(), pinned);
  assert.match(await page.locator('.vitrine-evidence-meta').textContent(), /SHA-256 [0-9a-f]{64}/);
  await page.close();
});

test('which pages use this dashboard finds the page', { timeout: 60_000 }, async () => {
  const page = await newPage(browser);
  const viewer = readFileSync(path.join(demo, 'viewer.token'), 'utf8').trim();
  await loginAt(page, base, viewer, '/spaces/demo/dashboards');
  await page.locator('#vitrine-uid').fill('svc-checkout');
  await submit(page, page.locator('#vitrine-uses-form button[type="submit"]'));
  const uses = await page.locator('#vitrine-uses').textContent();
  assert.match(uses, new RegExp(`${PAGE}: macro 1`));
  assert.match(uses, /checkout: macro 1/);
  await page.close();
});
