// The arrival board and the review of captures in a real browser (Debian's Chromium through
// playwright-core), against a server with the demonstration election and two simulated phones
// (tests/browser/setup-review.sh): the RO signs in, sees the board's states, watches it update
// without reloading when station 2's phone sends a capture, rejects station 1's capture (outside
// its geofence: a failed check) with a reason, asks for a new capture of station 2's, sees the
// phone's new capture supersede it (the old one still listed), reads the board in Urdu (right to
// left), uses the image viewer and reads the review without JavaScript. axe-core: no serious or
// critical violation on the board and review pages in both languages. Screenshots: $SCREENSHOTS.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { axe, launch as launchBrowser, tally } from './harness.mjs';

const { check, finish } = tally();

const base = process.env.BASE;
const shots = process.env.SCREENSHOTS;
const field = process.env.FIELD;
const phone2 = process.env.PHONE_2;
const flagged = process.env.FLAGGED;
const board = `${base}/console/${process.env.ELECTION}/${process.env.CONSTITUENCY}/board`;
const captureUrl = (hash) => `${base}/console/${process.env.ELECTION}/${process.env.CONSTITUENCY}/captures/${hash}`;
mkdirSync(shots, { recursive: true });

function launch(javaScriptEnabled) {
  // axe is injected as an inline script, which the console's policy forbids.
  return launchBrowser({ javaScriptEnabled, bypassCSP: true, viewport: { width: 1280, height: 900 } });
}

/** Text without the bidirectional isolation marks the catalogue puts around inserted values. */
async function text(locator) {
  return (await locator.innerText()).replace(/[\u2068\u2069]/g, '');
}

function phone(...args) {
  return execFileSync(field, ['--data', phone2, ...args], { encoding: 'utf8' });
}


async function signIn(page) {
  await page.goto(`${base}/console/login?lang=en`);
  await page.getByLabel('Login name').fill(process.env.RO_LOGIN);
  await page.getByLabel('Password').fill(process.env.RO_PASSWORD);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Sign in' }).click()]);
  assert.match(page.url(), /\/console$/);
}

async function stationState(page, station, form = 'Form-45') {
  const cell = page.locator(`#station-${station} .form-cell`, { hasText: form });
  return (await cell.locator('.badge').innerText()).trim();
}

/** Reload the page until `ok()` holds (the analysis after intake runs in the background). */
async function eventually(page, ok, what, seconds = 30) {
  for (let i = 0; i < seconds * 2; i += 1) {
    if (await ok()) return;
    await page.waitForTimeout(500);
    await page.reload();
  }
  assert.fail(`never: ${what}`);
}

let station2Capture = null;
const browser = await launch(true);
try {
  const page = await browser.newPage();
  await signIn(page);

  await check('the board shows every station with its state, counts and the stations awaited', async () => {
    await page.goto(board);
    await eventually(page, async () => (await stationState(page, 1)) === 'Flagged', 'station 1 flagged');
    assert.match(await page.locator('h1').innerText(), /NA-128/);
    assert.equal(await stationState(page, 2), 'Awaited');
    assert.match(await page.locator('#board-live').innerText(), /Asia\/Karachi \(UTC\+05:00\)/);
    const awaited = await page.locator('ul.awaited li', { hasText: 'Form-45' }).innerText();
    assert.match(awaited, /\b2\b/);
    assert.doesNotMatch(awaited.split(':')[1], /(^|\D)1(\D|$)/);
    assert.ok(await page.locator('#station-1 a[href*="/captures/"]').count() >= 1);
    await page.screenshot({ path: join(shots, 'review-board-en.png'), fullPage: true });
    await axe(page, 'board');
  });

  await check('filters narrow the stations (a GET form)', async () => {
    await page.selectOption('#f-state', 'flagged');
    await page.selectOption('#f-form', 'form45');
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Show', exact: true }).click()]);
    assert.match(page.url(), /state=flagged/);
    assert.equal(await page.locator('table.stations tbody tr').count(), 1);
    await page.screenshot({ path: join(shots, 'review-board-filtered.png'), fullPage: true });
  });

  await check('the board updates without reloading when a phone sends a capture', async () => {
    await page.goto(board);
    await page.waitForFunction(() => document.getElementById('board-live').getAttribute('data-live') === 'on');
    await page.evaluate(() => { window.stillTheSamePage = true; });
    // Give the event stream a moment to be connected on the server side.
    await page.waitForTimeout(1000);
    const out = phone('capture', '--figures', 'none', '--photo-kb', '60', '--seed', '2');
    station2Capture = /manifest=([0-9a-f]{64})/.exec(out)[1];
    phone('sync', '--wait', '30');
    await page.waitForFunction(() => {
      const b = document.querySelector('#station-2 .form-cell .badge');
      return b && b.textContent.trim() !== 'Awaited';
    }, null, { timeout: 20000 });
    assert.equal(await page.evaluate(() => window.stillTheSamePage), true);
    await page.screenshot({ path: join(shots, 'review-board-live.png'), fullPage: true });
  });

  await check('the capture with a failed check: checks in plain words, map, times, device', async () => {
    await page.goto(captureUrl(flagged));
    assert.match(await text(page.locator('h1')), /station 1/);
    const geofence = page.locator('table.checks tr', { hasText: "Inside the station's area" });
    assert.equal(await geofence.getAttribute('class'), 'outcome-fail');
    assert.match(await geofence.innerText(), /outside the station's area/);
    assert.match(await page.locator('#capture-state').innerText(), /Flagged/);
    const map = page.locator('img.map');
    await map.scrollIntoViewIfNeeded();
    assert.ok(await map.evaluate((img) => img.complete && img.naturalWidth > 0));
    const img = page.locator('.viewer img').first();
    assert.ok(await img.evaluate((i) => i.complete && i.naturalWidth > 0));
    assert.match(await page.locator('body').innerText(), /Sequence number/);
    await page.screenshot({ path: join(shots, 'review-capture-flagged-en.png'), fullPage: true });
    await axe(page, 'review');
  });

  await check('the image viewer zooms, rotates and resets', async () => {
    const frame = page.locator('.viewer').first();
    await page.getByRole('button', { name: 'Zoom in' }).first().click();
    assert.ok(Number(await frame.getAttribute('data-zoom')) > 1);
    await page.getByRole('button', { name: 'Rotate' }).first().click();
    assert.equal(await frame.getAttribute('data-angle'), '90');
    const box = await frame.boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 60, box.y + box.height / 2 + 30);
    await page.mouse.up();
    assert.match(await page.locator('.viewer img').first().evaluate((i) => i.style.transform), /translate\(60px, ?30px\)/);
    await frame.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, 'review-viewer.png') });
    await page.getByRole('button', { name: 'Reset' }).first().click();
    assert.equal(await frame.getAttribute('data-zoom'), '1');
  });

  await check('the RO rejects it with a reason (script in the text shown as text)', async () => {
    await page.selectOption('#reject-code', 'failed-verification');
    await page.fill('#reject-text', 'Taken 9 km from the station <script>alert(1)</script>');
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Reject', exact: true }).click()]);
    assert.match(page.url(), /decided=1$/);
    assert.match(await page.getByRole('status').innerText(), /Your decision is recorded/);
    assert.match(await page.locator('#capture-state').innerText(), /Rejected/);
    assert.equal(await page.locator('blockquote.reason-text').innerText(), 'Taken 9 km from the station <script>alert(1)</script>');
    await page.screenshot({ path: join(shots, 'review-capture-rejected.png'), fullPage: true });
  });

  await check('the RO asks for a new capture of station 2', async () => {
    await page.goto(board);
    await Promise.all([page.waitForLoadState('load'), page.locator('#station-2 a[href*="/captures/"]').first().click()]);
    assert.ok(page.url().endsWith(station2Capture), page.url());
    await page.selectOption('#recapture-code', 'illegible');
    await page.fill('#recapture-text', 'The totals row is in shadow; please photograph again in daylight.');
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Ask for a new capture' }).click()]);
    assert.match(await page.locator('#capture-state').innerText(), /New capture requested/);
    await page.screenshot({ path: join(shots, 'review-capture-recapture-requested.png'), fullPage: true });
  });

  await check('the phone answers with a capture that supersedes the old one, still listed', async () => {
    phone('sync', '--force');
    assert.match(phone('recaptures'), new RegExp(`RECAPTURE .*manifest=${station2Capture}`));
    const out = phone('recapture', '--figures', 'none', '--photo-kb', '60', '--seed', '3');
    const fresh = /SEALED .*manifest=([0-9a-f]{64}).*supersedes=/.exec(out)[1];
    phone('sync', '--wait', '30');
    await page.goto(captureUrl(station2Capture));
    const row = page.locator('table.others tr', { hasText: 'Replaces this one' });
    assert.equal(await row.count(), 1);
    assert.equal(await row.locator('a').getAttribute('href'), new URL(captureUrl(fresh)).pathname);
    assert.match(await row.innerText(), /.+/);
    await page.screenshot({ path: join(shots, 'review-capture-superseded.png'), fullPage: true });
    await page.goto(captureUrl(fresh));
    assert.equal(await page.locator('table.others tr', { hasText: 'Replaced by this one' }).count(), 1);
    assert.match(await page.locator('body').innerText(), /Why this capture replaces an earlier one/);
    await page.screenshot({ path: join(shots, 'review-capture-new.png'), fullPage: true });
    await page.goto(board);
    const cell = page.locator('#station-2 .form-cell', { hasText: 'Form-45' });
    assert.match(await text(cell), /1 earlier/);
    assert.equal(await cell.locator(`a[href$="${fresh}"]`).count(), 1);
    await page.screenshot({ path: join(shots, 'review-board-after.png'), fullPage: true });
  });

  await check('the board and the review in Urdu, right to left', async () => {
    await page.goto(`${board}?lang=ur`);
    assert.equal(await page.locator('html').getAttribute('dir'), 'rtl');
    assert.match(await page.locator('h1').innerText(), /آمد کا بورڈ/);
    await page.screenshot({ path: join(shots, 'review-board-ur.png'), fullPage: true });
    await axe(page, 'board (ur)');
    await page.goto(captureUrl(flagged));
    assert.equal(await page.locator('html').getAttribute('dir'), 'rtl');
    await page.screenshot({ path: join(shots, 'review-capture-ur.png'), fullPage: true });
    await axe(page, 'review (ur)');
    await page.goto(`${board}?lang=en`);
  });

  await check('the board and review fit a tablet held upright', async () => {
    await page.setViewportSize({ width: 800, height: 1280 });
    for (const [url, name] of [[board, 'board'], [captureUrl(flagged), 'capture']]) {
      await page.goto(url);
      await page.screenshot({ path: join(shots, `review-tablet-${name}.png`), fullPage: true });
      const [scroll, client, widest] = await page.evaluate(() => {
        const w = document.documentElement.clientWidth;
        const over = [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > w + 1);
        return [document.documentElement.scrollWidth, w, over.slice(0, 3).map((e) => e.tagName + '.' + e.className).join(' ')];
      });
      assert.ok(scroll <= client, `${name}: ${scroll} > ${client} (${widest})`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });
} finally {
  await browser.close();
}

const plain = await launch(false);
try {
  const page = await plain.newPage();
  await check('without JavaScript the review reads whole, with the plain image', async () => {
    await signIn(page);
    await page.goto(captureUrl(flagged));
    assert.equal(await page.locator('.viewer-tools').count(), 0);
    assert.ok(await page.locator('.viewer img').first().evaluate((i) => i.complete && i.naturalWidth > 0));
    assert.match(await page.locator('#capture-state').innerText(), /Rejected/);
    await page.screenshot({ path: join(shots, 'review-capture-no-js.png'), fullPage: true });
    await page.goto(board);
    assert.equal(await stationState(page, 1), 'Rejected');
  });
} finally {
  await plain.close();
}
finish('review.mjs');
