// Sign-in through a real OpenID provider in headless Chromium: the login
// page's single sign-on button, the provider's login and consent, groups
// mapped to roles, a replayed callback refused, a user without a role
// refused, and sign-out at the provider (RP-initiated logout).
// Run through tests/oidc/run.sh BUILD_DIR.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, test } from 'node:test';

function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests through tests/oidc/run.sh BUILD_DIR`);
  return v;
}
const BASE = env('VITRINE_OIDC_BASE');
const ISSUER = env('VITRINE_OIDC_ISSUER');
const ARTIFACTS = env('VITRINE_OIDC_ARTIFACTS');
const require = createRequire(path.join(env('VITRINE_OIDC_NODE_MODULES'), 'resolve.cjs'));
const { chromium } = require('playwright-core');
const STEP = 15_000;

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.VITRINE_E2E_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 30_000,
  });
});
after(async () => browser?.close());

// From Vitrine's login page through the provider's login and consent.
async function signIn(page, login, next = '/') {
  await page.goto(`${BASE}/login?next=${encodeURIComponent(next)}`, { timeout: STEP });
  await page.click('#sso', { timeout: STEP });
  await page.waitForURL((u) => u.href.startsWith(ISSUER), { timeout: STEP });
  await page.fill('input[name="login"]', login, { timeout: STEP });
  await page.fill('input[name="password"]', 'any password', { timeout: STEP });
  await page.click('button[type="submit"]', { timeout: STEP });
  // Consent (first sign-in of this browser context).
  const consent = page.locator('button:has-text("Continue")');
  await page.waitForLoadState('load', { timeout: STEP });
  if (page.url().startsWith(ISSUER) && (await consent.count()) > 0) {
    await consent.click({ timeout: STEP });
  }
  await page.waitForURL((u) => u.href.startsWith(BASE), { timeout: STEP });
}

test('a platform admin signs in through the provider, sees every space and signs out there', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await signIn(page, 'ada');
    assert.equal(new URL(page.url()).pathname, '/');
    const body = await page.content();
    assert.match(body, /href="\/spaces\/alpha"/);
    assert.match(body, /href="\/spaces\/beta"/);
    const cookies = await context.cookies(BASE);
    const session = cookies.find((c) => c.name === 'vitrine_session');
    assert.ok(session, 'the session cookie is set');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    await page.screenshot({ path: path.join(ARTIFACTS, 'oidc-signed-in.png') });

    // Sign-out: Vitrine ends its session and sends the browser to the
    // provider's end_session_endpoint, which asks and then returns to /login.
    await page.click('form[action="/logout"] button', { timeout: STEP });
    await page.waitForURL((u) => u.href.startsWith(ISSUER), { timeout: STEP });
    await page.click('button[name="logout"][value="yes"]', { timeout: STEP });
    await page.waitForURL(`${BASE}/login`, { timeout: STEP });
    await page.goto(`${BASE}/`, { timeout: STEP });
    assert.equal(new URL(page.url()).pathname, '/login');
  } finally {
    await context.close();
  }
});

test('a space admin sees only their space, and a replayed callback is refused', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  let callback;
  page.on('request', (r) => {
    if (r.url().startsWith(`${BASE}/login/oidc/callback`)) callback = r.url();
  });
  try {
    await signIn(page, 'bob', '/spaces/alpha');
    assert.equal(new URL(page.url()).pathname, '/spaces/alpha');
    await page.goto(`${BASE}/`, { timeout: STEP });
    const body = await page.content();
    assert.match(body, /href="\/spaces\/alpha"/);
    assert.doesNotMatch(body, /href="\/spaces\/beta"/);
    const other = await page.goto(`${BASE}/spaces/beta`, { timeout: STEP });
    assert.equal(other.status(), 404);

    assert.ok(callback, 'the provider sent the browser back to the callback');
    const replay = await page.goto(callback, { timeout: STEP });
    assert.equal(replay.status(), 400);
    assert.match(await page.content(), /<code>oidc-state<\/code>/);
  } finally {
    await context.close();
  }
});

test('a user whose groups map to no role is refused with a page that says so', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await signIn(page, 'eve');
    const body = await page.content();
    assert.match(body, /none of your groups has a role/);
    assert.match(body, /<code>oidc-no-role<\/code>/);
    const cookies = await context.cookies(BASE);
    assert.equal(cookies.find((c) => c.name === 'vitrine_session'), undefined);
    await page.screenshot({ path: path.join(ARTIFACTS, 'oidc-no-role.png') });
  } finally {
    await context.close();
  }
});
