// The console's shell in a real browser (Debian's Chromium through playwright-core): signing
// in as an RO, a wrong password, the lock-out, the operator page creating an operator, the
// switch to Urdu (dir=rtl), a tablet's width, signing out (the back button then shows no data), and no serious or
// critical accessibility violation (axe-core) on each page. Screenshots go to $SCREENSHOTS.
//
//   BASE=… SCREENSHOTS=… NODE_MODULES=… RO_LOGIN=… RO_PASSWORD=… LOCK_LOGIN=… \
//     node tests/browser/console.mjs
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { axe, launch as launchBrowser, tally } from './harness.mjs';

const { check, finish } = tally();

const base = process.env.BASE;
const shots = process.env.SCREENSHOTS;
const roLogin = process.env.RO_LOGIN;
const roPassword = process.env.RO_PASSWORD;
const lockLogin = process.env.LOCK_LOGIN;
mkdirSync(shots, { recursive: true });

function launch(javaScriptEnabled) {
  // axe is injected as an inline script, which the console's policy (rightly) forbids.
  return launchBrowser({ javaScriptEnabled, bypassCSP: true, viewport: { width: 1024, height: 768 } });
}


async function signIn(page, login, password) {
  await page.goto(`${base}/console/login`);
  await page.getByLabel('Login name').fill(login);
  await page.getByLabel('Password').fill(password);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Sign in' }).click()]);
}

// Without script: the sign-in page reads and works as plain HTML.
const plain = await launch(false);
try {
  const page = await plain.newPage();
  await check('the sign-in page reads without JavaScript', async () => {
    const r = await page.goto(`${base}/console`);
    assert.equal(r.status(), 200);
    assert.match(page.url(), /\/console\/login$/);
    assert.equal(await page.locator('html').getAttribute('dir'), 'ltr');
    assert.equal(await page.locator('h1').innerText(), 'Sign in to the console');
  });
} finally {
  await plain.close();
}

const browser = await launch(true);
try {
  const page = await browser.newPage();
  await check('a wrong password is refused', async () => {
    await signIn(page, roLogin, 'not the password at all');
    assert.match(await page.getByRole('alert').innerText(), /Wrong login name or password/);
    assert.match(page.url(), /\/console\/login$/);
    await page.screenshot({ path: join(shots, 'console-login-wrong.png'), fullPage: true });
    await axe(page, 'sign-in');
  });
  await check('five failures lock the account', async () => {
    for (let i = 0; i < 5; i += 1) await signIn(page, lockLogin, `wrong ${i} password`);
    await signIn(page, lockLogin, 'still wrong password');
    assert.match(await page.getByRole('alert').innerText(), /Too many failed sign-ins/);
    await page.screenshot({ path: join(shots, 'console-login-locked.png'), fullPage: true });
  });
  await check('an RO signs in and sees their constituency', async () => {
    await signIn(page, roLogin, roPassword);
    assert.match(page.url(), /\/console$/);
    assert.equal(await page.locator('h1').innerText(), 'Your constituencies');
    assert.ok(await page.locator('a[href$="/NA-46/board"]').count() === 1);
    assert.match(await page.locator('header .who').innerText(), new RegExp(roLogin));
    await page.screenshot({ path: join(shots, 'console-home-en.png'), fullPage: true });
    await axe(page, 'home');
  });
  await check('the operator page creates an operator', async () => {
    await page.getByRole('link', { name: 'Operators' }).click();
    await page.waitForURL(/\/console\/operators$/);
    await page.getByLabel('Login name').fill('op-browser');
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Create the account' }).click()]);
    assert.match(await page.getByRole('status').first().innerText(), /op-browser/);
    const password = (await page.locator('#new-password').innerText()).trim();
    assert.equal(password.length, 16);
    assert.ok(await page.locator('table td code', { hasText: 'op-browser' }).count() === 1);
    await page.screenshot({ path: join(shots, 'console-operators-en.png'), fullPage: true });
    await axe(page, 'operators');
  });
  await check('the language switch shows Urdu, right to left', async () => {
    await page.goto(`${base}/console`);
    await Promise.all([page.waitForLoadState('load'), page.locator('a[hreflang="ur"]').click()]);
    assert.equal(await page.locator('html').getAttribute('dir'), 'rtl');
    assert.equal(await page.locator('html').getAttribute('lang'), 'ur');
    assert.equal(await page.locator('h1').innerText(), 'آپ کے حلقے');
    await page.screenshot({ path: join(shots, 'console-home-ur.png'), fullPage: true });
    await axe(page, 'home (ur)');
    await page.goto(`${base}/console/operators`);
    await page.screenshot({ path: join(shots, 'console-operators-ur.png'), fullPage: true });
    await axe(page, 'operators (ur)');
    await Promise.all([page.waitForLoadState('load'), page.locator('a[hreflang="en"]').click()]);
    assert.equal(await page.locator('html').getAttribute('dir'), 'ltr');
  });
  await check('the pages fit a tablet held upright (no sideways scrolling)', async () => {
    await page.setViewportSize({ width: 800, height: 1280 });
    for (const [path, name] of [['/console/operators', 'operators'], ['/console?lang=ur', 'home-ur'], ['/console?lang=en', 'home']]) {
      await page.goto(`${base}${path}`);
      const [scroll, client] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
      assert.ok(scroll <= client, `${path}: ${scroll} > ${client}`);
      await page.screenshot({ path: join(shots, `console-tablet-${name}.png`), fullPage: true });
    }
    await page.setViewportSize({ width: 1024, height: 768 });
  });
  await check('signing out ends the session; the back button shows no data', async () => {
    await page.goto(`${base}/console/operators`);
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Sign out' }).click()]);
    assert.match(page.url(), /\/console\/login\?signed_out=1$/);
    assert.match(await page.getByRole('status').innerText(), /signed out/);
    await page.goBack();
    await page.waitForLoadState('load');
    const text = await page.locator('body').innerText();
    assert.ok(!text.includes('op-browser'), `after back: ${text}`);
    assert.match(page.url(), /\/console\/login/);
    await page.screenshot({ path: join(shots, 'console-after-sign-out-back.png'), fullPage: true });
  });
} finally {
  await browser.close();
}
finish('console.mjs');
