// The landing page in a real browser (Debian's Chromium through playwright-core): it says what
// the server is, links what it names, reads without JavaScript, and has no serious or critical
// accessibility violation (axe-core). Screenshots go to $SCREENSHOTS.
//
//   BASE=http://127.0.0.1:8080 SCREENSHOTS=target/browser-screenshots node tests/browser/landing.mjs
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { axeSource, launch as launchBrowser, tally } from './harness.mjs';

const { check, finish } = tally();

const base = process.env.BASE;
const shots = process.env.SCREENSHOTS;
mkdirSync(shots, { recursive: true });

// A fresh profile each time; `javaScriptEnabled` false reads the page as a browser without script.
function launch(javaScriptEnabled) {
  return launchBrowser({ javaScriptEnabled });
}
const browser = await launch(false);

try {
  const page = await browser.newPage();
  await check('the landing page says what the server is, without JavaScript', async () => {
    const answer = await page.goto(`${base}/`);
    assert.equal(answer.status(), 200);
    assert.match(answer.headers()['content-type'], /^text\/html/);
    assert.equal(await page.locator('h1').innerText(), 'tallyseal');
    assert.match(await page.title(), /tallyseal/);
    const text = await page.locator('main').innerText();
    assert.match(text, /Form-45/);
    assert.match(text, /No election has been published/);
    assert.ok(await page.locator('table td code', { hasText: 'GET /api/v1/health' }).count() > 0);
    await page.screenshot({ path: join(shots, 'landing-en.png'), fullPage: true });
  });
  await check('every link on the page leads somewhere', async () => {
    const hrefs = await page.locator('a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.ok(hrefs.length >= 3, `links: ${hrefs}`);
    for (const href of hrefs) {
      if (href.startsWith('#')) {
        assert.ok(await page.locator(href).count() === 1, `anchor ${href}`);
        continue;
      }
      const r = await page.request.get(new URL(href, base).toString());
      assert.equal(r.status(), 200, href);
    }
  });
  await check('no serious or critical accessibility violation (axe-core)', async () => {
    // axe needs script: a second browser with JavaScript on, same URL.
    const withScript = await launch(true);
    try {
      const js = await withScript.newPage();
      await js.goto(`${base}/`);
      await js.addScriptTag({ content: axeSource });
      const result = await js.evaluate(() => globalThis.axe.run());
      const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      assert.deepEqual(bad.map((v) => `${v.id}: ${v.help}`), []);
    } finally {
      await withScript.close();
    }
  });
} finally {
  await browser.close();
}
finish('landing.mjs');
