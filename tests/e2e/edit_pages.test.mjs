// Editing pages in the browser, on an installation of its own (so the
// shared demo's pages stay as they are): an editor writes a page with the
// live preview and saves it; the history shows the diff and Restore brings
// an old text back; two editors saving from the same base get a conflict in
// which neither text is lost; a pasted Grafana link (on its own line, or in
// the Insert box) becomes its macro block; a viewer reads the history but
// gets no edit link and is refused on every editing route.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { ConsoleHost, loginAt, submit } from './console_host.mjs';
import { launchBrowser, STEP_TIMEOUT } from './lib.mjs';

const SPACE = 'docs';
const GRAFANA = 'https://demo.grafana.net';
let browser;
let host;
let editor;
let viewer;

before(async () => {
  browser = await launchBrowser();
  host = await ConsoleHost.start();
  host.cli('spaces', 'create', SPACE);
  host.cli('spaces', 'create', 'other');
  // An approved plugin whose egress covers the origin lets the space connect
  // (the link converter needs the space's Grafana origin).
  const built = path.resolve(process.env.VITRINE_E2E_CLI, '../../../plugins');
  host.cli('plugins', 'approve', 'dashboard', '--plugins-dir', built);
  host.cli('spaces', 'connect', SPACE, '--origin', GRAFANA);
  editor = host.cli('tokens', 'create', '--role', `editor:${SPACE}`).trim();
  viewer = host.cli('tokens', 'create', '--role', `viewer:${SPACE}`).trim();
});
after(async () => {
  await browser?.close();
  await host?.stop();
});

async function signedIn(token, next) {
  const context = await browser.newContext();
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  await loginAt(page, host.base, token, next);
  return page;
}

async function apiGet(path, token = editor) {
  const r = await fetch(`${host.base}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: r.status, body: await r.json() };
}

async function save(page, message) {
  await page.locator('#vitrine-message').fill(message);
  await submit(page, page.locator('#vitrine-editor button[value=save]'));
}

test('an editor writes a page with the live preview and saves it', { timeout: 60_000 }, async () => {
  const page = await signedIn(editor, `/spaces/${SPACE}`);
  await page.locator('#vitrine-new-page').fill('runbook');
  await submit(page, page.getByRole('button', { name: 'New page' }));
  assert.equal(new URL(page.url()).pathname, `/spaces/${SPACE}/edit/runbook`);
  await page.getByLabel('Page text (Markdown)').fill('# Runbook\n\nRestart the **payments** service.\n');
  // The script posts the text after a pause and shows the engine's HTML.
  await page.locator('#vitrine-preview strong', { hasText: 'payments' }).waitFor();
  await save(page, 'First version');
  assert.equal(new URL(page.url()).pathname, `/spaces/${SPACE}/pages/runbook`);
  assert.equal(await page.locator('article.vitrine-page strong').textContent(), 'payments');
  const read = await apiGet(`/api/v1/spaces/${SPACE}/pages/runbook`);
  assert.equal(read.status, 200);
  assert.match(read.body.text, /Restart the \*\*payments\*\* service/);
  assert.match(read.body.revision, /^[0-9a-f]{40}$/);
  await page.context().close();
});

test('the history shows the diff between revisions and Restore brings the old text back', { timeout: 60_000 }, async () => {
  const page = await signedIn(editor, `/spaces/${SPACE}/edit/runbook`);
  await page.getByLabel('Page text (Markdown)').fill('# Runbook\n\nFail over to the standby.\n');
  await save(page, 'Second version');
  await page.goto(`${host.base}/spaces/${SPACE}/history/runbook`);
  await submit(page, page.getByRole('link', { name: 'Diff with previous' }));
  assert.match(await page.locator('pre.diff del').allTextContents().then((t) => t.join('\n')), /-Restart the \*\*payments\*\* service\./);
  assert.match(await page.locator('pre.diff ins').allTextContents().then((t) => t.join('\n')), /\+Fail over to the standby\./);
  await submit(page, page.getByRole('button', { name: /^Restore / }));
  assert.equal(await page.locator('article.vitrine-page strong').textContent(), 'payments');
  assert.equal(await page.getByRole('link', { name: 'Edit' }).count(), 1, 'editors see the Edit link');
  const history = await apiGet(`/api/v1/spaces/${SPACE}/pages/runbook/history`);
  assert.equal(history.body.commits.length, 3);
  const audit = await apiGet(`/api/v1/spaces/${SPACE}/audit`, host.adminToken);
  const actions = JSON.stringify(audit.body);
  for (const a of ['page.create', 'page.edit', 'page.restore']) assert.ok(actions.includes(a), `audit has ${a}`);
  await page.context().close();
});

test('two editors saving from the same base: the second sees both texts and loses neither', { timeout: 60_000 }, async () => {
  const first = await signedIn(editor, `/spaces/${SPACE}/edit/runbook`);
  const second = await signedIn(editor, `/spaces/${SPACE}/edit/runbook`);
  await first.getByLabel('Page text (Markdown)').fill('Text of the first editor.\n');
  await save(first, 'First editor');
  await second.getByLabel('Page text (Markdown)').fill('Text of the second editor.\n');
  const answer = second.waitForResponse((r) => r.request().method() === 'POST');
  await second.locator('#vitrine-message').fill('Second editor');
  await second.locator('#vitrine-editor button[value=save]').click();
  assert.equal((await answer).status(), 409);
  await second.waitForLoadState('load');
  assert.match(await second.getByRole('alert').first().textContent(), /page-edit-conflict/);
  assert.equal(await second.getByLabel('Page text (Markdown)').inputValue(), 'Text of the second editor.\n');
  assert.equal(await second.getByLabel('Current text of the page').inputValue(), 'Text of the first editor.\n');
  const read = await apiGet(`/api/v1/spaces/${SPACE}/pages/runbook`);
  assert.equal(read.body.text, 'Text of the first editor.\n', 'the first save stands');
  // Merged by hand and saved again: now on top of the first editor's revision.
  await second.getByLabel('Page text (Markdown)').fill('Text of the first editor.\nText of the second editor.\n');
  await save(second, 'Merged');
  assert.equal((await apiGet(`/api/v1/spaces/${SPACE}/pages/runbook`)).body.text, 'Text of the first editor.\nText of the second editor.\n');
  await first.context().close();
  await second.context().close();
});

test('a pasted Grafana link becomes its macro block, on its own line or in the Insert box', { timeout: 60_000 }, async () => {
  const page = await signedIn(editor, `/spaces/${SPACE}/edit/links`);
  const text = page.getByLabel('Page text (Markdown)');
  await text.fill('Intro\n');
  await text.press('End');
  await text.evaluate((el) => el.setSelectionRange(el.value.length, el.value.length));
  const paste = async (url) => {
    await text.evaluate((el, u) => {
      const data = new DataTransfer();
      data.setData('text/plain', u);
      el.setRangeText(u, el.selectionStart, el.selectionEnd, 'end');
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true }));
    }, url);
  };
  await paste(`${GRAFANA}/d/abc123/payments`);
  await page.waitForFunction(() => document.getElementById('vitrine-text').value.includes('```dashboard'));
  assert.match(await text.inputValue(), /```dashboard\ndashboard: abc123\n```/);
  await text.evaluate((el) => {
    el.value += '\n';
    el.setSelectionRange(el.value.length, el.value.length);
  });
  await paste(`${GRAFANA}/d/abc123/payments?viewPanel=4&from=now-6h&to=now&var-env=prod`);
  await page.waitForFunction(() => document.getElementById('vitrine-text').value.includes('```panel-image'));
  const value = await text.inputValue();
  assert.match(value, /panel_id: "?4"?/);
  assert.match(value, /from: now-6h/);
  assert.match(value, /variables: "env=prod"/);
  // A solo panel with Grafana's epoch times, and a rounded range ("Yesterday"
  // in Grafana's time picker): each becomes a block the macro reads.
  for (const [url, want] of [
    [`${GRAFANA}/d-solo/abc123/payments?orgId=1&panelId=3&from=1700000000000&to=1700003600000`, /panel_id: "?3"?\nfrom: "2023-11-14T22:13:20Z"\nto: "2023-11-14T23:13:20Z"/],
    [`${GRAFANA}/d/abc123/payments?viewPanel=5&from=now-1d%2Fd&to=now-1d%2Fd`, /panel_id: "?5"?\nfrom: now-1d\/d\nto: now-1d\/d/],
  ]) {
    await text.evaluate((el) => {
      el.value += '\n';
      el.setSelectionRange(el.value.length, el.value.length);
    });
    const before = (await text.inputValue()).split('```panel-image').length;
    await paste(url);
    await page.waitForFunction((n) => document.getElementById('vitrine-text').value.split('```panel-image').length > n, before);
    assert.match(await text.inputValue(), want, url);
  }
  // A link to another stack is refused with its rule, and the text stays.
  await text.evaluate((el) => {
    el.value += '\n';
    el.setSelectionRange(el.value.length, el.value.length);
  });
  await paste('https://evil.example.com/d/abc123/x');
  await page.locator('#vitrine-editor-status', { hasText: 'link-other-origin' }).waitFor();
  assert.match(await text.inputValue(), /\nhttps:\/\/evil\.example\.com\/d\/abc123\/x$/);
  // Without script: the Insert box converts on the server.
  await page.getByLabel('Grafana link to insert as a macro').fill(`${GRAFANA}/d-solo/abc123/payments?panelId=2&from=now-1h&to=now&var-host=a&var-host=b`);
  await submit(page, page.getByRole('button', { name: 'Insert' }));
  const inserted = await page.getByLabel('Page text (Markdown)').inputValue();
  assert.match(inserted, /```panel-image\n/);
  assert.match(inserted, /panel_id: "?2"?/);
  assert.match(inserted, /variables: "host=a&host=b"/);
  assert.match(inserted, /Intro/);
  await page.getByLabel('Grafana link to insert as a macro').fill(`${GRAFANA}/explore`);
  await submit(page, page.getByRole('button', { name: 'Insert' }));
  assert.match(await page.getByRole('alert').first().textContent(), /link-unknown-shape/);
  await page.context().close();
});

test('a viewer reads the history but gets no edit link and is refused on the editing routes', { timeout: 60_000 }, async () => {
  const page = await signedIn(viewer, `/spaces/${SPACE}/pages/runbook`);
  assert.equal(await page.getByRole('link', { name: 'Edit' }).count(), 0);
  assert.equal(await page.locator('#vitrine-new-page').count(), 0);
  // History is for every role of the space: the viewer follows the link,
  // reads a diff, and is offered neither Restore nor Edit.
  await submit(page, page.getByRole('link', { name: 'History' }));
  assert.match(await page.locator('h1').textContent(), /History of runbook/);
  assert.ok((await page.locator('tbody tr').count()) >= 2, 'the runbook has several revisions');
  await submit(page, page.getByRole('link', { name: 'Diff with previous' }).first());
  assert.ok((await page.locator('pre.diff ins, pre.diff del').count()) > 0, 'the diff shows changed lines');
  assert.equal(await page.getByRole('button', { name: /^Restore / }).count(), 0);
  assert.equal(await page.getByRole('link', { name: 'Edit' }).count(), 0);
  for (const path of [`/spaces/${SPACE}/edit/runbook`, `/spaces/${SPACE}/delete/runbook`]) {
    const r = await page.goto(`${host.base}${path}`);
    assert.equal(r.status(), 403, path);
  }
  const restore = await page.request.post(`${host.base}/spaces/${SPACE}/restore/runbook`, {
    form: { revision: 'HEAD', base: '' },
  });
  assert.equal(restore.status(), 403, 'restore stays with editors');
  const other = await page.goto(`${host.base}/spaces/other/edit/runbook`);
  assert.equal(other.status(), 404, 'another space answers like a missing one');
  const put = await fetch(`${host.base}/api/v1/spaces/${SPACE}/pages/runbook`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${viewer}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ text: 'x', base: '' }),
  });
  assert.equal(put.status, 403);
  await page.context().close();
});

test('the pages API writes from a base, refuses a stale base with both texts, renames, restores and deletes', { timeout: 60_000 }, async () => {
  const call = async (method, path, body) => {
    const r = await fetch(`${host.base}/api/v1/spaces/${SPACE}${path}`, {
      method,
      headers: { Authorization: `Bearer ${editor}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, body: await r.json() };
  };
  const created = await call('PUT', '/pages/api-page', { text: 'one\n', base: '' });
  assert.equal(created.status, 201);
  const v1 = created.body.revision;
  const edited = await call('PUT', '/pages/api-page', { text: 'two\n', base: v1, message: 'Two' });
  assert.equal(edited.status, 200);
  const stale = await call('PUT', '/pages/api-page', { text: 'three\n', base: v1 });
  assert.equal(stale.status, 409);
  assert.equal(stale.body.error.code, 'page-edit-conflict');
  assert.equal(stale.body.error.current_text, 'two\n');
  assert.equal(stale.body.error.your_text, 'three\n');
  const diff = await call('GET', `/pages/api-page/diff?from=${v1}&to=${edited.body.revision}`);
  assert.match(diff.body.diff, /-one\n\+two/);
  const renamed = await call('POST', '/pages/api-page/rename', { to: 'api-renamed', base: edited.body.revision });
  assert.equal(renamed.status, 200);
  const restored = await call('POST', '/pages/api-renamed/restore', { revision: v1, base: renamed.body.revision });
  assert.equal(restored.status, 404, 'the old name did not exist as api-renamed at v1');
  const restoredText = await call('PUT', '/pages/api-renamed', { text: 'one\n', base: renamed.body.revision });
  assert.equal(restoredText.status, 200);
  const list = await call('GET', '/pages');
  assert.ok(list.body.pages.includes('api-renamed') && !list.body.pages.includes('api-page'));
  const gone = await call('DELETE', `/pages/api-renamed?base=${restoredText.body.revision}`);
  assert.equal(gone.status, 200);
  assert.equal((await call('GET', '/pages/api-renamed')).status, 404);
});

test('git clone and push of the space\'s pages round-trip with the running server', { timeout: 60_000 }, async () => {
  const clone = path.join(host.dir, 'clone');
  const git = (...args) =>
    execFileSync('git', ['-c', 'user.name=Carol', '-c', 'user.email=carol@example.com', ...args], {
      cwd: clone,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  execFileSync('git', ['clone', '-q', path.join(host.data, 'pages', SPACE), clone]);
  writeFileSync(path.join(clone, 'pushed.md'), '# Pushed\n\nWritten with **git**.\n');
  git('add', 'pushed.md');
  git('commit', '-q', '-m', 'From git');
  git('push', '-q', 'origin', 'main');
  const read = await apiGet(`/api/v1/spaces/${SPACE}/pages/pushed`);
  assert.equal(read.status, 200);
  assert.equal(read.body.text, '# Pushed\n\nWritten with **git**.\n');
  const page = await signedIn(editor, `/spaces/${SPACE}/pages/pushed`);
  assert.equal(await page.locator('article.vitrine-page strong').textContent(), 'git');
  await page.context().close();
  // An edit through the API is what the next pull brings.
  const put = await fetch(`${host.base}/api/v1/spaces/${SPACE}/pages/pushed`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${editor}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ text: 'Edited in Vitrine.\n', base: read.body.revision }),
  });
  assert.equal(put.status, 200);
  git('pull', '-q', '--ff-only', 'origin', 'main');
  assert.equal(readFileSync(path.join(clone, 'pushed.md'), 'utf8'), 'Edited in Vitrine.\n');
  assert.match(git('log', '-1', '--format=%an <%ae>'), /<api:/);
});
