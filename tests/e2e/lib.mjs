// Shared helpers of the end-to-end browser tests. run.sh sets up a demo
// installation, starts `vitrine serve` and passes its coordinates in the
// environment:
//   VITRINE_E2E_BASE          http://127.0.0.1:PORT of the running host
//   VITRINE_E2E_DEMO          the demo directory (viewer.token, admin.token, data/)
//   VITRINE_E2E_SIM           the vitrine-grafana-sim binary (for --print-token)
//   VITRINE_E2E_CLI           the vitrine binary (admin commands against the demo's data)
//   VITRINE_E2E_LIFECYCLE     the lifecycle test plugin's build dir (v1_0_0, v1_2_0, ...)
//   VITRINE_E2E_ARTIFACTS     where screenshots go
//   VITRINE_E2E_NODE_MODULES  the node_modules holding playwright-core
// The browser is Debian's chromium package; playwright-core only drives it
// (it never downloads a browser).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests through tests/e2e/run.sh BUILD_DIR`);
  return v;
}

export const BASE = env('VITRINE_E2E_BASE').replace(/\/+$/, '');
export const DEMO = env('VITRINE_E2E_DEMO');
export const ARTIFACTS = env('VITRINE_E2E_ARTIFACTS');
export const SPACE = 'demo';

const nodeModules = process.env.VITRINE_E2E_NODE_MODULES || path.join(here, 'node_modules');
const { chromium } = createRequire(path.join(nodeModules, 'resolve.cjs'))('playwright-core');

export const CHROMIUM = process.env.VITRINE_E2E_CHROMIUM || '/usr/bin/chromium';
// Flags this closed network needs: no GPU, no QUIC, no background calls
// home (component updates, sync, first-run pages).
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// Every wait of a test is bounded by this (milliseconds).
export const STEP_TIMEOUT = 15_000;

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
}

export async function newPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  context.setDefaultTimeout(STEP_TIMEOUT);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT);
  return context.newPage();
}

export function readToken(role) {
  return readFileSync(path.join(DEMO, `${role}.token`), 'utf8').trim();
}

// A valid-format Grafana service-account token from the simulator.
export function simulatorToken(seed) {
  const out = execFileSync(env('VITRINE_E2E_SIM'), ['--print-token', seed], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  return out.trim();
}

// Runs a `vitrine` admin command against the demo installation the host
// serves (the host applies the change within a second); returns its output.
export function vitrine(...args) {
  return execFileSync(
    env('VITRINE_E2E_CLI'),
    ['--data-dir', path.join(DEMO, 'data'), '--key-file', path.join(DEMO, 'keyring'), ...args],
    { encoding: 'utf8', timeout: 20_000 },
  );
}

// The directory of one version of the lifecycle test plugin (e.g. 'v1_2_0').
export function lifecyclePlugin(variant) {
  return path.join(env('VITRINE_E2E_LIFECYCLE'), variant);
}

export function pageUrl(name) {
  return `${BASE}/spaces/${SPACE}/pages/${name}`;
}

// The macro keys of a page's Markdown, in order: fenced blocks whose info
// string is a macro key.
export const MACRO_KEYS = ['dashboard', 'alert-list', 'alert-badge', 'annotation-timeline', 'panel-image'];
export function macrosOfPage(name) {
  const md = readFileSync(path.join(DEMO, 'data', 'pages', SPACE, `${name}.md`), 'utf8');
  const keys = [];
  for (const line of md.split('\n')) {
    const m = /^```([a-z-]+)\s*$/.exec(line);
    if (m && MACRO_KEYS.includes(m[1])) keys.push(m[1]);
  }
  return keys;
}

// Logs in through the real /login form and follows its redirect to `next`.
// Returns the response of the page the form lands on. A refused login fails
// at once, with the heading and text of the page the host answered.
export async function login(page, token, next) {
  await page.goto(`${BASE}/login?next=${encodeURIComponent(next)}`);
  await page.locator('form[action="/login"] input[name="token"]').fill(token);
  const posted = page.waitForResponse(
    (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/login',
  );
  const landed = page.waitForResponse(
    (r) => r.request().method() === 'GET' && r.request().resourceType() === 'document' &&
      new URL(r.url()).pathname === next,
  );
  landed.catch(() => {}); // not awaited when the login is refused
  await page.locator('form[action="/login"] button[type="submit"]').click();
  const post = await posted;
  if (![302, 303].includes(post.status())) {
    await page.waitForLoadState('load');
    const text = (await page.locator('main').textContent().catch(() => '')) || '';
    throw new Error(`POST /login answered ${post.status()}, not a redirect: ${text.trim().slice(0, 300)}`);
  }
  const response = await landed;
  await page.waitForLoadState('load');
  if (new URL(page.url()).pathname !== next) {
    throw new Error(`login did not land on ${next} but on ${page.url()}`);
  }
  return response;
}

// Records what a page does that it should not: dialogs, uncaught errors,
// console errors (the favicon's 404 aside), CSP violations reported in the
// page, failed requests and requests to any other origin.
export function watchPage(page) {
  const seen = { dialogs: [], pageErrors: [], consoleErrors: [], failedRequests: [], foreignRequests: [] };
  const origin = new URL(BASE).origin;
  const isFavicon = (url) => {
    try {
      return new URL(url).pathname === '/favicon.ico';
    } catch {
      return false;
    }
  };
  page.on('dialog', (d) => {
    seen.dialogs.push(`${d.type()}: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  page.on('pageerror', (e) => seen.pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (isFavicon(m.location().url)) return;
    seen.consoleErrors.push(m.text());
  });
  page.on('requestfailed', (r) => {
    if (!isFavicon(r.url())) seen.failedRequests.push(`${r.url()}: ${r.failure()?.errorText}`);
  });
  page.on('request', (r) => {
    const u = r.url();
    if (u.startsWith('data:')) return;
    if (new URL(u).origin !== origin) seen.foreignRequests.push(u);
  });
  return seen;
}

// Runs in every document before its own content: records CSP violations,
// and traps the usual XSS sinks (alert/confirm/prompt/print, and writes to a
// window property) so that any script the page runs leaves a trace even if
// it never opens a dialog.
export function installTraps(page) {
  return page.addInitScript(() => {
    const trace = { calls: [], violations: [] };
    Object.defineProperty(window, '__vitrineE2E', { value: trace });
    for (const name of ['alert', 'confirm', 'prompt', 'print']) {
      const original = window[name];
      window[name] = function trapped(...args) {
        trace.calls.push(`${name}(${args.map(String).join(', ')})`);
        return original.apply(window, args);
      };
    }
    Object.defineProperty(window, 'xss', {
      configurable: false,
      get() {
        trace.calls.push('read window.xss');
        return undefined;
      },
      set(v) {
        trace.calls.push(`write window.xss=${String(v)}`);
      },
    });
    document.addEventListener('securitypolicyviolation', (e) => {
      trace.violations.push(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'}`);
    });
  });
}

export function readTraps(page) {
  return page.evaluate(() => ({ calls: window.__vitrineE2E.calls, violations: window.__vitrineE2E.violations }));
}

// Waits until every <img> of the document finished loading (or failing).
export async function imagesSettled(page) {
  await page.waitForFunction(() => Array.from(document.images).every((i) => i.complete));
}
