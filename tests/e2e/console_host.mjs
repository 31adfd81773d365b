// An installation of its own for the console tests that change plugins and
// the license: a fresh data directory, keyring and platform-admin token, a
// plugins directory of the test's own, dev_mode (so a development license
// signed by this data directory's key verifies), served by `vitrine serve`
// on a free loopback port. The shared demo host (run.sh) stays untouched by
// these flows, so the other tests see the plugin versions they expect.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { STEP_TIMEOUT } from './lib.mjs';

const CLI = process.env.VITRINE_E2E_CLI;

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

export class ConsoleHost {
  static async start() {
    const h = new ConsoleHost();
    h.dir = mkdtempSync(path.join(os.tmpdir(), 'vitrine-console-'));
    h.data = path.join(h.dir, 'data');
    h.plugins = path.join(h.dir, 'plugins');
    mkdirSync(h.plugins);
    h.cli('keys', 'init');
    h.adminToken = h.cli('tokens', 'create', '--role', 'platform-admin').trim();
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      writeFileSync(
        path.join(h.dir, 'vitrine.yml'),
        `listen: 127.0.0.1:${port}\ndata_dir: data\nplugins_dir: plugins\nkey_file: keyring\n` +
          'dev_mode: true\nplugins:\n  mode: in-process\n',
      );
      h.log = path.join(h.dir, 'serve.log');
      h.proc = spawn(CLI, ['serve', '--config', path.join(h.dir, 'vitrine.yml')], {
        cwd: h.dir,
        stdio: 'ignore',
      });
      h.base = `http://127.0.0.1:${port}`;
      if (await h.waitReady()) return h;
      h.proc.kill('SIGKILL');
    }
    throw new Error(`the console test host never became ready in ${h.dir}`);
  }

  async waitReady() {
    const deadline = Date.now() + STEP_TIMEOUT;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) return false;
      try {
        const r = await fetch(`${this.base}/readyz`);
        if (r.ok && (await r.json()).ready) return true;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  }

  // `vitrine` against this installation's data; returns stdout.
  cli(...args) {
    return execFileSync(
      CLI,
      ['--data-dir', path.join(this.dir, 'data'), '--key-file', path.join(this.dir, 'keyring'), ...args],
      { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] },
    );
  }

  async stop() {
    if (this.proc && this.proc.exitCode === null) {
      const exited = new Promise((r) => this.proc.once('exit', r));
      this.proc.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// Logs in at `base` through the real /login form and lands on `next`.
export async function loginAt(page, base, token, next) {
  await page.goto(`${base}/login?next=${encodeURIComponent(next)}`);
  await page.locator('form[action="/login"] input[name="token"]').fill(token);
  await Promise.all([
    page.waitForURL((u) => u.pathname === next),
    page.locator('form[action="/login"] button[type="submit"]').click(),
  ]);
  await page.waitForLoadState('load');
}

// Submits a console form and waits for the page it redirects to.
export async function submit(page, button) {
  await Promise.all([page.waitForNavigation(), button.click()]);
  await page.waitForLoadState('load');
}

// The one notice of the page: its text and whether it is styled as an error
// (class, role and a red background, as the browser computes it).
export async function notice(page) {
  const n = page.locator('main .flash');
  if ((await n.count()) !== 1) throw new Error(`expected one notice, found ${await n.count()}`);
  return n.evaluate((el) => ({
    text: el.textContent,
    error: el.classList.contains('error'),
    role: el.getAttribute('role'),
    background: getComputedStyle(el).backgroundColor,
  }));
}
