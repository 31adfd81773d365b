// Loads built MkDocs sites (each served by a tiny static server on
// 127.0.0.1) in Debian's headless Chromium and checks what the vitrine
// plugin put in: the macros render inside the mkdocs-material theme, the
// panel image written beside the page loads, the failing macro shows its
// error box, an ordinary code block stays code, the stylesheet loads.
//   node check_site.mjs SITE_DIR...
import assert from 'node:assert/strict';
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';

const { chromium } = createRequire(path.join(process.env.VITRINE_E2E_NODE_MODULES, 'resolve.cjs'))('playwright-core');
const TYPES = { '.html': 'text/html; charset=utf-8', '.css': 'text/css', '.js': 'text/javascript', '.png': 'image/png', '.svg': 'image/svg+xml', '.json': 'application/json' };

async function serve(dir) {
  const server = http.createServer((req, res) => {
    let p = path.join(dir, decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (!p.startsWith(dir)) p = dir;
    if (existsSync(p) && statSync(p).isDirectory()) p = path.join(p, 'index.html');
    if (!existsSync(p)) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(p)] || 'application/octet-stream' });
    createReadStream(p).pipe(res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, base: `http://127.0.0.1:${server.address().port}` };
}

const browser = await chromium.launch({
  executablePath: process.env.VITRINE_E2E_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = false;
for (const dir of process.argv.slice(2)) {
  const { server, base } = await serve(path.resolve(dir));
  const page = await browser.newPage();
  page.setDefaultTimeout(15_000);
  const foreign = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(base) && !r.url().startsWith('data:')) foreign.push(r.url());
  });
  try {
    await page.goto(`${base}/`);
    assert.ok(await page.locator('.md-header').count() > 0, 'the mkdocs-material theme');
    assert.deepEqual(await page.locator('.vitrine-macro').evaluateAll((e) => e.map((x) => x.dataset.macro)), ['dashboard']);
    assert.equal(await page.locator('.vitrine-dashboard-title').textContent(), 'Checkout service');
    assert.match(await page.locator('pre code').first().textContent(), /not-a-macro/, 'a yaml block stays code');
    const css = await page.evaluate(() => Array.from(document.styleSheets)
      .filter((s) => s.href && s.href.endsWith('/vitrine-assets/vitrine.css'))
      .map((s) => s.cssRules.length));
    assert.ok(css.length === 1 && css[0] > 0, `vitrine.css loads: ${css}`);

    await page.goto(`${base}/runbook/`);
    assert.deepEqual(await page.locator('.vitrine-macro').evaluateAll((e) => e.map((x) => x.dataset.macro)),
      ['alert-list', 'panel-image', 'dashboard']);
    assert.ok(await page.locator('table.vitrine-alert-table tbody tr').count() > 0, 'alert rows');
    const img = page.locator('img.vitrine-panel-image-img');
    assert.match(await img.getAttribute('src'), /^vitrine-assets\/[0-9a-f]{64}\.png$/);
    await page.waitForFunction(() => Array.from(document.images).every((i) => i.complete));
    assert.equal(await img.evaluate((i) => i.naturalWidth), 800, 'the image beside the page loads');
    const error = page.locator('.vitrine-macro.vitrine-error');
    assert.equal(await error.count(), 1);
    assert.match(await error.textContent(), /no-such-dashboard-mkdocs/);
    assert.deepEqual(foreign, [], 'a built page loads nothing from another origin');
    console.log(`ok ${dir}: 4 macros on 2 pages, 1 image, 1 error box, material theme`);
  } catch (e) {
    failed = true;
    console.error(`not ok ${dir}: ${e.message}`);
  } finally {
    await page.close();
    server.close();
  }
}
await browser.close();
process.exit(failed ? 1 : 0);
