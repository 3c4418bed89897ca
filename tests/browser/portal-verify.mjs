// In-browser verification of a station's evidence bundle (docs/portal-verifier.md) in a real
// browser (Debian's Chromium through playwright-core), against a server with one real capture
// (tests/browser/setup-portal-verify.sh): the button appears, a click runs core's verifier
// (WebAssembly) on the bundle and the published keys and says in plain words what it proved, in
// English and in Urdu (right to left); a bundle tampered on the way (one byte of the image, the
// checksum made right again; one byte anywhere) fails; and `tallyseal verify` on the downloaded
// bundle, with the same published keys, package and enrolment records, reaches the same verdict. axe-core: no
// serious or critical violation. Screenshots: $SCREENSHOTS.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { axe, launch, tally } from './harness.mjs';

const { check, finish } = tally();

const base = process.env.BASE;
const hash = process.env.HASH;
const tallyseal = process.env.TALLYSEAL;
const work = process.env.WORK;
const shots = process.env.SCREENSHOTS;
const bundlePath = `/api/v1/captures/${hash}/bundle`;
mkdirSync(shots, { recursive: true });

/** The portal's station page of the capture's station in `lang` (its `#verify` section and
 *  script: docs/portal-verifier.md). */
async function openStation(page, lang) {
  const url = `${base}/portal/elections/${process.env.ELECTION}/constituencies/${process.env.CONSTITUENCY}/stations/1?lang=${lang}`;
  const r = await page.goto(url);
  if (r.status() !== 200) throw new Error(`${url}: HTTP ${r.status()}`);
}

/** Text without the bidirectional isolation marks the catalogue puts around inserted values. */
async function text(locator) {
  return (await locator.innerText()).replace(/[\u2068\u2069]/g, '');
}

/** Click verify and wait for the verdict the script writes on the output. */
async function verify(page) {
  await page.locator('#verify-button').waitFor({ state: 'visible', timeout: 10000 });
  await page.locator('#verify-button').click();
  await page.waitForFunction(() => {
    const v = document.getElementById('verify-result').dataset.verdict;
    return v && v !== 'working';
  }, null, { timeout: 30000 });
  return page.locator('#verify-result').getAttribute('data-verdict');
}

// The evidence bundle's sections (docs/bundle.md): "TSBUNDLE", u16 version, then tag | u64 | payload.
function sections(bytes) {
  const out = [];
  let at = 10;
  while (at < bytes.length) {
    const tag = bytes.subarray(at, at + 4).toString('latin1');
    const len = Number(bytes.readBigUInt64BE(at + 4));
    out.push({ tag, start: at, payload: at + 12, len });
    at += 12 + len;
  }
  return out;
}

/** One byte of the image flipped and the END. checksum recomputed: a well-formed bundle whose
 *  image is not the one the phone signed. */
function tamperImage(original) {
  const bytes = Buffer.from(original);
  const all = sections(bytes);
  const image = all.find((s) => s.tag === 'IMAG');
  const end = all.find((s) => s.tag === 'END.');
  assert.ok(image && end, 'the bundle has an image and a checksum');
  bytes[image.payload + Math.floor(image.len / 2)] ^= 0x01;
  createHash('sha256').update(bytes.subarray(0, end.start)).digest().copy(bytes, end.payload);
  return bytes;
}

async function get(path) {
  const r = await fetch(`${base}${path}`);
  assert.equal(r.status, 200, path);
  return r;
}

/** `tallyseal verify --json` on `bundle` with the published keys and the election's package. */
function cliVerdict(bundle, name) {
  const file = join(work, `${name}.tsb`);
  writeFileSync(file, bundle);
  try {
    const out = execFileSync(tallyseal, ['verify', file, '--json', ...cli.args], { encoding: 'utf8' });
    return JSON.parse(out).verdict;
  } catch (e) {
    // Exit 1 (failed) and 3 (with warnings) still print the report.
    if (e.stdout) return JSON.parse(e.stdout).verdict;
    throw e;
  }
}

// Wait until the capture's bundle carries its log proof (the log's sequencer runs each second).
let bundle;
for (let i = 0; i < 60; i += 1) {
  bundle = Buffer.from(await (await get(bundlePath)).arrayBuffer());
  if (sections(bundle).some((s) => s.tag === 'LOGP')) break;
  await new Promise((r) => setTimeout(r, 500));
}
assert.ok(sections(bundle).some((s) => s.tag === 'LOGP'), 'the bundle has its log proof');

// What `tallyseal verify` is given: the same published keys and the election's signed package.
const keys = await (await get('/api/v1/keys')).json();
const manifest = sections(bundle).find((s) => s.tag === 'MANI');
const election = JSON.parse(bundle.subarray(manifest.payload, manifest.payload + manifest.len)).election;
const cli = { args: [] };

// The page runs under its own Content-Security-Policy (the verifier needs 'wasm-unsafe-eval');
// axe-core is injected as an inline script, so it runs on a copy of the page's DOM in a second
// browser that ignores the policy.
const browser = await launch({ viewport: { width: 1000, height: 900 } });
const page = await browser.newPage();
const auditor = await launch({ bypassCSP: true, viewport: { width: 1000, height: 900 } });
async function axeOf(what) {
  const copy = await auditor.newPage();
  await copy.goto(`${base}/api/v1/health`);
  await copy.setContent(await page.content(), { waitUntil: 'load' });
  await axe(copy, what);
  await copy.close();
}
let browserVerdict;

await check('the bundle verifies in the browser and the page says what was proved (English)', async () => {
  await openStation(page, 'en');
  assert.equal(await page.locator('#verify-button').innerText(), 'Verify this sheet in your browser');
  browserVerdict = await verify(page);
  const out = await text(page.locator('#verify-result'));
  assert.ok(['verified', 'verified_with_warnings'].includes(browserVerdict), `${browserVerdict}: ${out}`);
  assert.equal(await page.locator('#verify-result .verify-failures').count(), 0, out);
  for (const proved of [
    'Verified in your browser',
    'The sheet\'s record was signed by the phone key',
    'That phone key is enrolled for constituency NA-128, polling station 1.',
    'The image is exactly the one the phone signed',
    'The server signed a receipt for it with the Commission key',
    'It is in the public transparency log at index',
    'signed by the log key of',
    'The polling station: passed.',
  ]) {
    assert.ok(out.includes(proved), `${proved} missing from:\n${out}`);
  }
  await page.screenshot({ path: join(shots, 'portal-verify-en.png'), fullPage: true });
  await axeOf('verification (en)');
});

await check('in Urdu the page reads right to left and says the same', async () => {
  await openStation(page, 'ur');
  assert.equal(await page.locator('#verify-button').innerText(), 'اس شیٹ کی تصدیق اپنے براؤزر میں کریں');
  const verdict = await verify(page);
  assert.equal(verdict, browserVerdict);
  const out = await text(page.locator('#verify-result'));
  assert.ok(out.includes('تصویر بالکل وہی ہے جس پر فون نے دستخط کیے تھے'), out);
  assert.ok(out.includes('عوامی شفاف لاگ میں اندراج نمبر'), out);
  const dir = await page.locator('#verify-result').evaluate((e) => getComputedStyle(e).direction);
  assert.equal(dir, 'rtl');
  await page.screenshot({ path: join(shots, 'portal-verify-ur.png'), fullPage: true });
  await axeOf('verification (ur)');
});

await check('a bundle whose image was changed on the way fails, naming the image', async () => {
  await openStation(page, 'en');
  await page.route(`**${bundlePath}`, async (route) => {
    const original = await route.fetch();
    await route.fulfill({ response: original, body: tamperImage(await original.body()) });
  });
  const verdict = await verify(page);
  await page.unroute(`**${bundlePath}`);
  const out = await text(page.locator('#verify-result'));
  assert.equal(verdict, 'failed', out);
  assert.ok(out.startsWith('Not verified'), out);
  const failures = await text(page.locator('#verify-result .verify-failures'));
  assert.ok(failures.includes('The image: the image is not the one that was signed'), failures);
  await page.screenshot({ path: join(shots, 'portal-verify-tampered-en.png'), fullPage: true });
});

await check('a bundle with one byte changed anywhere fails', async () => {
  await openStation(page, 'en');
  await page.route(`**${bundlePath}`, async (route) => {
    const original = await route.fetch();
    const body = Buffer.from(await original.body());
    body[Math.floor(body.length / 3)] ^= 0x01;
    await route.fulfill({ response: original, body });
  });
  const verdict = await verify(page);
  await page.unroute(`**${bundlePath}`);
  const out = await text(page.locator('#verify-result'));
  assert.equal(verdict, 'failed', out);
  assert.ok(out.includes('not a valid evidence bundle'), out);
});

await check('tallyseal verify on the downloaded bundle reaches the browser\'s verdicts', async () => {
  const packageNote = await (await get(`/api/v1/elections/${encodeURIComponent(election)}/package`)).text();
  const { devices } = await (await get(`/api/v1/elections/${encodeURIComponent(election)}/constituencies/NA-128/devices`)).json();
  const context = join(work, 'context.json');
  writeFileSync(context, JSON.stringify({
    package_note: packageNote,
    devices,
    commission_keys: keys.package_verifiers,
    server_keys: [keys.commission_key],
    time_anchor_keys: [keys.commission_key],
  }));
  cli.args = ['--context', context, '--log-key', keys.log_vkey,
    ...keys.witness_vkeys.flatMap((w) => ['--witness', w]),
    ...(keys.witness_vkeys.length ? ['--witness-policy', String(keys.witness_policy)] : [])];
  assert.equal(cliVerdict(bundle, 'downloaded'), browserVerdict);
  assert.equal(cliVerdict(tamperImage(bundle), 'tampered'), 'failed');
});

await browser.close();
await auditor.close();
finish('portal-verify');
