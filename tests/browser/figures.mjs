// The figures pages in a real browser (Debian's Chromium through playwright-core), on captures
// sent by simulated phones (tests/browser/setup-figures.sh): the RO accepts them; operators A and
// B, each in their own browser, key the same Form-45 blind with one field different; the RO
// settles it on the corrections page; a station whose figures poll above its registered voters is
// held in quarantine and released with a reason; station 4 never reports; the RO compiles, signs
// and exports Form-47 (the CSV downloaded and checked) with station 4 awaited, and prints the
// printable page to PDF (kept next to the screenshots). axe-core on every page in English and
// Urdu: no serious or critical violation.
//
//   BASE=… SCREENSHOTS=… NODE_MODULES=… ELECTION=… CONSTITUENCY=… RO_LOGIN=… RO_PASSWORD=…
//     OP_A_LOGIN=… OP_A_PASSWORD=… OP_B_LOGIN=… OP_B_PASSWORD=… node tests/browser/figures.mjs
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { axeSource, launch as launchBrowser, tally } from './harness.mjs';

const { check, finish } = tally();

const base = process.env.BASE;
const shots = process.env.SCREENSHOTS;
const e = process.env.ELECTION;
const c = process.env.CONSTITUENCY;
const pages = `${base}/console/${e}/${c}`;
const api = `${base}/api/v1/console/${e}/${c}`;
mkdirSync(shots, { recursive: true });

function launch() {
  // axe is injected as an inline script, which the console's policy (rightly) forbids.
  return launchBrowser({ acceptDownloads: true, bypassCSP: true, viewport: { width: 1280, height: 900 } });
}


/// axe-core on the page as it is, then on the same page in Urdu (right to left); screenshots of
/// both.
async function axeBoth(page, what) {
  const url = page.url();
  for (const lang of ['en', 'ur']) {
    await page.goto(`${url.split('?')[0]}?lang=${lang}`);
    await page.addScriptTag({ content: axeSource });
    const result = await page.evaluate(() => globalThis.axe.run());
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(bad.map((v) => `${what} (${lang}): ${v.id}: ${v.help} ${v.nodes.map((n) => n.target).join(' ')}`), []);
    assert.equal(await page.locator('html').getAttribute('dir'), lang === 'ur' ? 'rtl' : 'ltr');
    await page.screenshot({ path: join(shots, `figures-${what}-${lang}.png`), fullPage: true });
  }
  await page.goto(`${url.split('?')[0]}?lang=en`);
}

async function signIn(page, login, password) {
  await page.goto(`${base}/console/login?lang=en`);
  await page.getByLabel('Login name').fill(login);
  await page.getByLabel('Password').fill(password);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Sign in' }).click()]);
}

async function csrf(page) {
  const r = await page.request.get(`${base}/api/v1/console/session`);
  return (await r.json()).csrf_token;
}

/// Each station's Form-45 capture once verified (the phones synced; analysis may lag a little).
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

// The figures each operator keys (station 1: operator B transposes candidate 2's votes).
const sheet = {
  1: { registered_male: 1450, registered_female: 0, registered_transgender: 0, polled_male: 792, polled_female: 0,
    polled_transgender: 0, candidate_1: 412, candidate_2: 268, candidate_3: 61, candidate_4: 37, total_valid: 778,
    rejected: 14, total_polled: 792 },
  2: { registered_male: 0, registered_female: 1320, registered_transgender: 0, polled_male: 0, polled_female: 1400,
    polled_transgender: 0, candidate_1: 700, candidate_2: 500, candidate_3: 120, candidate_4: 50, total_valid: 1370,
    rejected: 30, total_polled: 1400 },
  3: { registered_male: 980, registered_female: 870, registered_transgender: 0, polled_male: 600, polled_female: 450,
    polled_transgender: 0, candidate_1: 400, candidate_2: 350, candidate_3: 200, candidate_4: 80, total_valid: 1030,
    rejected: 20, total_polled: 1050 },
};

async function keyEntry(page, hash, slot, figures, shot, expectRule) {
  await page.goto(`${pages}/entries?lang=en`);
  await Promise.all([
    page.waitForURL(new RegExp(`/entries/${hash}/${slot}`)),
    page.locator(`form[action$="/entries/${hash}/${slot}/claim"] button`).click(),
  ]);
  // Never the other entry or the PO's figures on the entry page.
  assert.equal(await page.locator('th', { hasText: "Presiding Officer's figures" }).count(), 0);
  assert.equal(await page.locator('input[name^="f."]').count(), Object.keys(figures).length);
  if (shot) await axeBoth(page, shot);
  for (const [field, value] of Object.entries(figures)) {
    await page.fill(`#f-${field}`, String(value));
  }
  // Core's rules as the operator types (htmx), shown next to the fields.
  await page.waitForTimeout(900);
  const rules = await page.locator('#rules').innerText();
  if (shot) await page.screenshot({ path: join(shots, `figures-${shot}-typed-en.png`), fullPage: true });
  if (expectRule) assert.match(rules, expectRule);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Save draft' }).click()]);
  assert.match(await page.locator('.notice').first().innerText(), /Draft saved/);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Submit the entry' }).click()]);
  if (process.env.DEBUG_FIGURES) writeFileSync('/tmp/pf-submit.html', await page.content());
  assert.match(await page.locator('.notice').first().innerText(), /Entry submitted/);
}

const ro = await launch();
const opA = await launch();
const opB = await launch();
let hashes;
try {
  const roPage = await ro.newPage();
  await signIn(roPage, process.env.RO_LOGIN, process.env.RO_PASSWORD);

  await check('the RO accepts the three captures', async () => {
    hashes = await verifiedCaptures(roPage);
    const token = await csrf(roPage);
    for (const hash of Object.values(hashes)) {
      const r = await roPage.request.post(`${api}/captures/${hash}/decisions`, {
        headers: { 'X-CSRF-Token': token, Origin: base },
        data: { decision_id: randomUUID(), action: 'accept' },
      });
      assert.equal(r.status(), 201, await r.text());
    }
  });

  const a = await opA.newPage();
  const b = await opB.newPage();
  await signIn(a, process.env.OP_A_LOGIN, process.env.OP_A_PASSWORD);
  await signIn(b, process.env.OP_B_LOGIN, process.env.OP_B_PASSWORD);

  await check('operators A and B key the three Form-45s blind, one field different', async () => {
    await a.goto(`${pages}/entries?lang=en`);
    assert.equal(await a.locator('tbody tr').count(), 3);
    await axeBoth(a, 'entries');
    const typo = { ...sheet[1], candidate_2: 286 };
    await keyEntry(a, hashes[1], 1, sheet[1], 'entry', /Every check passes/);
    // While B types, core's rule says the candidates do not add up (htmx).
    await keyEntry(b, hashes[1], 2, typo, 'entry-rules', /do not add up to the total valid votes/);
    for (const n of [2, 3]) {
      await keyEntry(a, hashes[n], 1, sheet[n]);
      await keyEntry(b, hashes[n], 2, sheet[n]);
    }
  });

  await check('the RO settles the differing field on the corrections page', async () => {
    await roPage.goto(`${pages}/corrections?lang=en`);
    await axeBoth(roPage, 'corrections-list');
    await roPage.locator(`a[href$="/corrections/${hashes[1]}"]`).click();
    await roPage.waitForLoadState('load');
    assert.equal(await roPage.locator('tr.differs').count(), 1);
    assert.equal(await roPage.locator('tr.differs').getAttribute('id'), 'differs-candidate_2');
    await axeBoth(roPage, 'corrections');
    await roPage.fill('#v-candidate_2', '268');
    await roPage.fill('#r-candidate_2', 'The photograph reads 268; entry 2 transposed the digits.');
    await Promise.all([roPage.waitForLoadState('load'), roPage.getByRole('button', { name: 'Settle the figures' }).click()]);
    assert.match(await roPage.locator('.notice').first().innerText(), /settled and confirmed/);
  });

  await check('a station polled above its registered voters is released with a reason', async () => {
    await roPage.goto(`${pages}/quarantine?lang=en`);
    const row = roPage.locator('#station-2');
    assert.match(await row.innerText(), /More votes polled than voters registered/);
    await axeBoth(roPage, 'quarantine');
    await roPage.fill('#reason-2', 'Checked against the marked roll: 80 voters were added by court order <script>x</script>.');
    await Promise.all([roPage.waitForLoadState('load'), roPage.locator('#station-2 button').click()]);
    assert.match(await roPage.locator('.notice').first().innerText(), /released/);
    assert.match(await roPage.locator('#station-2').innerText(), /Released/);
  });

  let csv;
  await check('the RO compiles, signs and exports Form-47 with station 4 awaited', async () => {
    await roPage.goto(`${pages}/forms/form47?lang=en`);
    assert.match(await roPage.locator('#stations-awaited').innerText(), /4\s.*No photograph received/s);
    assert.equal(await roPage.locator('#total-valid').innerText(), '3178');
    assert.match(await roPage.locator('#deadline').innerText(), /On time/);
    await axeBoth(roPage, 'form47');
    await Promise.all([roPage.waitForLoadState('load'), roPage.locator('#sign').click()]);
    assert.match(await roPage.locator('.notice').first().innerText(), /signed/);
    await roPage.screenshot({ path: join(shots, 'figures-form47-signed-en.png'), fullPage: true });
    const [download] = await Promise.all([
      roPage.waitForEvent('download'),
      roPage.locator('#versions a[href$="/versions/1/export.csv"]').click(),
    ]);
    csv = readFileSync(await download.path(), 'utf8');
    writeFileSync(join(shots, 'figures-form47-v1.csv'), csv);
    assert.match(csv, /1512/);
    assert.match(csv, /3178/);
    assert.match(csv, /Muhammad Aun Saqlain/);
  });

  await check('Form-48, and Form-49 with the postal ballots the RO enters', async () => {
    await roPage.goto(`${pages}/forms/form48?lang=en`);
    assert.equal(await roPage.locator('#total-valid').innerText(), '3178');
    await axeBoth(roPage, 'form48');
    await roPage.goto(`${pages}/forms/form49?lang=en`);
    await axeBoth(roPage, 'form49');
    // The RO enters the postal ballots; Form-49 adds them to the stations' votes.
    for (const [n, v] of [[1, 12], [2, 9], [3, 4], [4, 1]]) await roPage.fill(`#p-candidate_${n}`, String(v));
    await roPage.fill('#postal-rejected', '2');
    await roPage.fill('#postal-reason', 'Postal ballots counted at the RO office on polling day.');
    await Promise.all([roPage.waitForLoadState('load'), roPage.getByRole('button', { name: 'Save the postal ballots' }).click()]);
    assert.match(await roPage.locator('.notice').first().innerText(), /postal ballots are saved/);
    assert.equal(await roPage.locator('#total-valid').innerText(), String(3178 + 26));
    await roPage.screenshot({ path: join(shots, 'figures-form49-postal-en.png'), fullPage: true });
  });

  await check('the printable Form-47 prints to an A4 PDF with its totals', async () => {
    await roPage.goto(`${pages}/forms/form47/versions/1/print?lang=en`);
    assert.match(await roPage.locator('#candidate-totals').innerText(), /1512/);
    await roPage.screenshot({ path: join(shots, 'figures-form47-print-en.png'), fullPage: true });
    await roPage.emulateMedia({ media: 'print' });
    const pdf = await roPage.pdf({ path: join(shots, 'figures-form47-v1.pdf'), preferCSSPageSize: true, printBackground: true });
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
    const text = pdf.toString('latin1');
    assert.match(text, /\/MediaBox\s*\[\s*0 0 59[45](\.\d+)? 84[12](\.\d+)?\s*\]/);
    assert.equal(pdfTitle(text).includes('3178'), true, pdfTitle(text));
    await roPage.emulateMedia({ media: 'screen' });
    await roPage.goto(`${pages}/forms/form47/versions/1/print?lang=ur`);
    await roPage.screenshot({ path: join(shots, 'figures-form47-print-ur.png'), fullPage: true });
  });
} finally {
  await Promise.all([ro.close(), opA.close(), opB.close()]);
}

/// The document title of a PDF (its Info dictionary's /Title, literal or hex UTF-16BE).
function pdfTitle(text) {
  const at = text.indexOf('/Title');
  if (at < 0) return '';
  const rest = text.slice(at + 6).trimStart();
  let bytes = [];
  if (rest[0] === '<') {
    const hex = rest.slice(1, rest.indexOf('>'));
    for (let i = 0; i + 1 < hex.length; i += 2) bytes.push(parseInt(hex.slice(i, i + 2), 16));
  } else if (rest[0] === '(') {
    for (let i = 1; i < rest.length && rest[i] !== ')'; i += 1) {
      if (rest[i] === '\\') {
        i += 1;
        if (/[0-7]/.test(rest[i])) {
          const oct = rest.slice(i).match(/^[0-7]{1,3}/)[0];
          bytes.push(parseInt(oct, 8));
          i += oct.length - 1;
        } else bytes.push(rest.charCodeAt(i));
      } else bytes.push(rest.charCodeAt(i));
    }
  }
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    let s = '';
    for (let i = 2; i + 1 < bytes.length; i += 2) s += String.fromCharCode((bytes[i] << 8) | bytes[i + 1]);
    return s;
  }
  return String.fromCharCode(...bytes);
}

finish('figures.mjs');
