// What every browser test shares: Debian's Chromium through playwright-core (a fresh profile per
// launch, the flags the project's browser tests use), axe-core, and the PASS/FAIL tally that
// decides the exit code (no test passed is a failure too: nothing ran).
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const require = createRequire(join(process.env.NODE_MODULES, 'x.js'));
export const { chromium } = require('playwright-core');
export const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** A browser context on a fresh profile; `options` are playwright's (javaScriptEnabled, viewport…). */
export function launch(options = {}) {
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'chromium-')), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    ...options,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** axe-core on the page as it is: no serious or critical violation. */
export async function axe(page, what) {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(() => globalThis.axe.run());
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${what}: ${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(' ')})`), []);
}

/** `check(name, body)` runs one named check and counts it; `finish(label)` prints the tally and exits. */
export function tally() {
  let passed = 0;
  let failed = 0;
  return {
    async check(name, body) {
      try {
        await body();
        passed += 1;
        console.log(`PASS ${name}`);
      } catch (e) {
        failed += 1;
        console.log(`FAIL ${name}\n${e.stack}`);
      }
    },
    finish(label) {
      console.log(`${label}: ${passed} passed, ${failed} failed`);
      process.exit(failed === 0 && passed > 0 ? 0 : 1);
    },
  };
}
