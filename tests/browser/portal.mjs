// The public portal in a real browser (Debian's Chromium through playwright-core), on captures
// sent by simulated phones (tests/browser/setup-portal.sh): a visitor opens the constituency page
// and, without reloading, watches the provisional result and the turnout by gender change as the
// RO accepts captures and two operators' blind entries confirm each Form-45 (through the console's
// API, as the console pages send them); opens a station (its image, confirmed figures, verdict,
// log entry, the verifier's section); switches to Urdu (right to left); reads the page without
// JavaScript. axe-core on the national, constituency, station and ledger pages in English and
// Urdu: no serious or critical violation. Screenshots of each.
//
//   BASE=… SCREENSHOTS=… NODE_MODULES=… ELECTION=… CONSTITUENCY=… RO_LOGIN=… RO_PASSWORD=…
//     OP_A_LOGIN=… OP_A_PASSWORD=… OP_B_LOGIN=… OP_B_PASSWORD=… node tests/browser/portal.mjs
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { axeSource, launch as launchBrowser, tally } from './harness.mjs';

const { check, finish } = tally();

const base = process.env.BASE;
const shots = process.env.SCREENSHOTS;
const e = process.env.ELECTION;
const c = process.env.CONSTITUENCY;
const portal = `${base}/portal/elections/${e}`;
const constituencyUrl = `${portal}/constituencies/${c}`;
const api = `${base}/api/v1/console/${e}/${c}`;
mkdirSync(shots, { recursive: true });

function launch(options = {}) {
  // axe is injected as an inline script, which the portal's policy (rightly) forbids.
  return launchBrowser({ bypassCSP: true, viewport: { width: 1280, height: 900 }, ...options });
}

/// axe-core on `url` in English and Urdu (right to left); a screenshot of each.
async function axeBoth(page, url, what) {
  for (const lang of ['en', 'ur']) {
    await page.goto(`${url}?lang=${lang}`);
    await page.addScriptTag({ content: axeSource });
    const result = await page.evaluate(() => globalThis.axe.run());
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(bad.map((v) => `${what} (${lang}): ${v.id}: ${v.help} ${v.nodes.map((n) => n.target).join(' ')}`), []);
    assert.equal(await page.locator('html').getAttribute('dir'), lang === 'ur' ? 'rtl' : 'ltr');
    await page.screenshot({ path: join(shots, `portal-${what}-${lang}.png`), fullPage: true });
  }
}

async function signIn(page, login, password) {
  await page.goto(`${base}/console/login?lang=en`);
  await page.getByLabel('Login name').fill(login);
  await page.getByLabel('Password').fill(password);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Sign in' }).click()]);
}

async function post(page, path, data) {
  const token = (await (await page.request.get(`${base}/api/v1/console/session`)).json()).csrf_token;
  const r = await page.request.post(`${api}${path}`, { headers: { 'X-CSRF-Token': token, Origin: base }, data });
  assert.ok(r.status() < 300, `${path}: ${r.status()} ${await r.text()}`);
  return r;
}

/// Each station's Form-45 capture once verified.
async function verifiedCaptures(page) {
  for (let i = 0; i < 100; i += 1) {
    const board = await (await page.request.get(`${api}/board`)).json();
    const found = {};
    for (const s of board.stations) {
      const f = s.forms.find((x) => x.form === 'form45');
      if (f && f.pages.length && ['verified', 'flagged'].includes(f.state)) found[s.station] = f.pages[0].manifest_hash;
    }
    if (Object.keys(found).length === 3) return found;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error('the three captures were not verified');
}

const sheet = {
  1: { registered_male: 1450, registered_female: 0, registered_transgender: 0, polled_male: 792, polled_female: 0,
    polled_transgender: 0, candidate_1: 412, candidate_2: 305, candidate_3: 61, total_valid: 778,
    rejected: 14, total_polled: 792 },
  3: { registered_male: 980, registered_female: 870, registered_transgender: 0, polled_male: 600, polled_female: 450,
    polled_transgender: 0, candidate_1: 400, candidate_2: 350, candidate_3: 280, total_valid: 1030,
    rejected: 20, total_polled: 1050 },
};

/// Both operators' blind entries of a capture: the figures are confirmed on agreement.
async function doubleEntry(a, b, hash, figures) {
  for (const [page, slot] of [[a, 1], [b, 2]]) {
    await post(page, `/figures/entries/${hash}/${slot}/claim`, { id: randomUUID(), origin: 'ws-1' });
    await post(page, `/figures/entries/${hash}/${slot}/submit`, { id: randomUUID(), origin: 'ws-1', version: 1, figures });
  }
}

/// A locator's text without the bidirectional isolation marks around inserted values.
async function plain(locator) {
  return (await locator.innerText()).replace(/[\u2068\u2069]/g, '').trim();
}

async function text(page, selector) {
  return plain(page.locator(selector));
}

async function until(page, what, test) {
  for (let i = 0; i < 60; i += 1) {
    if (await test()) return;
    await page.waitForTimeout(250);
  }
  throw new Error(`not within 15 s: ${what}`);
}

const staff = await launch();
const opA = await launch();
const opB = await launch();
const visitor = await launch();
let hashes;
try {
  const ro = await staff.newPage();
  const a = await opA.newPage();
  const b = await opB.newPage();
  await signIn(ro, process.env.RO_LOGIN, process.env.RO_PASSWORD);
  await signIn(a, process.env.OP_A_LOGIN, process.env.OP_A_PASSWORD);
  await signIn(b, process.env.OP_B_LOGIN, process.env.OP_B_PASSWORD);
  hashes = await verifiedCaptures(ro);
  const page = await visitor.newPage();

  await check('the constituency page updates live as Form-45 figures are confirmed', async () => {
    await page.goto(`${constituencyUrl}?lang=en`);
    assert.equal(await text(page, '#counted'), '0');
    assert.equal(await page.locator('#live').getAttribute('data-live'), 'on');
    await page.screenshot({ path: join(shots, 'portal-live-before-en.png'), fullPage: true });
    await page.evaluate(() => { globalThis.samePage = true; });
    for (const n of [1, 3]) {
      await post(ro, `/captures/${hashes[n]}/decisions`, { decision_id: randomUUID(), action: 'accept' });
    }
    await doubleEntry(a, b, hashes[1], sheet[1]);
    await until(page, 'station 1 counted', async () => (await text(page, '#counted')) === '1');
    assert.equal(await text(page, '#total-valid'), '778');
    const menRow = page.locator('#turnout-table tbody tr').first();
    assert.match(await plain(menRow), /Men\s+1,450\s+792\s+54\.6\s*%/);
    const women = page.locator('#turnout-table tbody tr').nth(1);
    assert.match(await plain(women), /Women\s+0\s+0\s+—/);
    await doubleEntry(a, b, hashes[3], sheet[3]);
    await until(page, 'station 3 counted', async () => (await text(page, '#counted')) === '2');
    assert.equal(await text(page, '#total-valid'), '1,808');
    assert.match(await plain(women), /Women\s+870\s+450\s+51\.7\s*%/);
    assert.match(await page.locator('#candidates tbody tr').first().innerText(), /Muhammad Aun Saqlain\s+PML\(N\)\s+812/);
    // Never reloaded: the script swapped the results in place.
    assert.equal(await page.evaluate(() => globalThis.samePage), true);
    assert.equal(await page.locator('#women-flag').count(), 0);
    await page.screenshot({ path: join(shots, 'portal-live-after-en.png'), fullPage: true });
  });

  await check('a station shows its image, confirmed figures, verdict, times and the verifier', async () => {
    await page.locator('a[href="stations/1?lang=en"]').click();
    await page.waitForURL(/\/stations\/1\?lang=en$/);
    const capture = page.locator(`#c-${hashes[1]}`);
    const img = capture.locator('img');
    await img.scrollIntoViewIfNeeded();
    await until(page, 'the image loads', async () => img.evaluate((i) => i.complete && i.naturalWidth > 0));
    assert.equal(await img.getAttribute('loading'), 'lazy');
    assert.ok(Number(await img.getAttribute('width')) > 0);
    assert.match(await capture.locator('.figures').innerText(), /Muhammad Aun Saqlain \(PML\(N\)\)\s+412/);
    assert.match(await capture.innerText(), /Accepted by the Returning Officer/);
    await capture.locator('summary').click();
    assert.ok(await capture.locator('details table tbody tr').count() > 5);
    const verify = page.locator('section#verify');
    assert.equal(await verify.getAttribute('data-bundle-url'), `/api/v1/captures/${hashes[1]}/bundle`);
    assert.equal(await verify.getAttribute('data-keys-url'), '/api/v1/keys');
    assert.match(await verify.innerText(), new RegExp(`tallyseal verify ${hashes[1]}\\.tsb`));
    const bundle = await page.request.get(`${base}/api/v1/captures/${hashes[1]}/bundle`);
    assert.equal(bundle.status(), 200);
    await page.screenshot({ path: join(shots, 'portal-station-1-en.png'), fullPage: true });
  });

  await check('the language switch gives the Urdu page, right to left', async () => {
    await page.getByRole('link', { name: 'اردو' }).click();
    await page.waitForURL(/\?lang=ur$/);
    assert.equal(await page.locator('html').getAttribute('dir'), 'rtl');
    assert.equal(await page.locator('html').getAttribute('lang'), 'ur');
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).direction), 'rtl');
    assert.match(await page.locator('h1').innerText(), /پولنگ اسٹیشن/);
    // The brand sits at the right edge in a right-to-left layout.
    const brand = await page.locator('header .brand').boundingBox();
    assert.ok(brand.x > 600, `brand at x=${brand.x}`);
    await page.screenshot({ path: join(shots, 'portal-station-1-ur.png'), fullPage: true });
  });

  await check('the national, constituency, station and ledger pages pass axe in both languages', async () => {
    await axeBoth(page, `${base}/portal`, 'elections');
    await axeBoth(page, portal, 'national');
    await axeBoth(page, constituencyUrl, 'constituency');
    await axeBoth(page, `${constituencyUrl}/stations/1`, 'station');
    await axeBoth(page, `${constituencyUrl}/stations/4`, 'station-awaited');
    await axeBoth(page, `${portal}/ledger`, 'ledger');
  });

  await check('without JavaScript the constituency page reads whole', async () => {
    const plain = await launch({ javaScriptEnabled: false });
    try {
      const p = await plain.newPage();
      await p.goto(`${constituencyUrl}?lang=en`);
      assert.equal(await text(p, '#counted'), '2');
      assert.equal(await p.locator('#live').getAttribute('data-live'), null);
      assert.equal(await p.locator('table.ledger tbody tr').count(), 4);
      await p.screenshot({ path: join(shots, 'portal-constituency-nojs-en.png'), fullPage: true });
    } finally {
      await plain.close();
    }
  });
} finally {
  await staff.close();
  await opA.close();
  await opB.close();
  await visitor.close();
}
finish('portal');
