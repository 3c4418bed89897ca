// In-browser verification of a station's evidence bundle (docs/portal-verifier.md).
//
// The page holds <section id="verify" data-bundle-url="…" data-keys-url="…"> with a hidden
// <button id="verify-button"> and an <output id="verify-result">. This module shows the button
// when the server has the verifier (core's verifier compiled to WebAssembly, served at
// /static/verifier.wasm), and on a click downloads the bundle, the published keys and the
// election's signed package, runs the verifier here, in the visitor's browser, and writes in plain
// words what it proved and what failed. The words come from the server's catalogue
// (/static/portal-verify-messages.<lang>.json, the page's <html lang> choosing). The page reads
// whole without this script; nothing here is trusted by the server.
//
// The verifier's calling contract (verifier-wasm/src/abi.rs, version 1): tallyseal_input(slot,
// len) gives where to copy input bytes (0 bundle, 1 keys JSON, 2 context JSON);
// tallyseal_describe() or tallyseal_verify(now_ms) writes a JSON answer and returns its length;
// tallyseal_output() gives where it is.

export const ABI_VERSION = 1;

const SLOT_BUNDLE = 0;
const SLOT_KEYS = 1;
const SLOT_CONTEXT = 2;

/** The verifier from the module's bytes (an ArrayBuffer or typed array). */
export async function loadVerifier(bytes) {
  const { instance } = await WebAssembly.instantiate(bytes, {});
  const x = instance.exports;
  if (typeof x.tallyseal_abi_version !== 'function' || x.tallyseal_abi_version() !== ABI_VERSION) {
    throw new Error('the verifier module does not match this page (reload the page)');
  }
  const put = (slot, data) => {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    const at = x.tallyseal_input(slot, bytes.length);
    if (at === 0 && bytes.length > 0) throw new Error('the input is too large for the verifier');
    new Uint8Array(x.memory.buffer, at, bytes.length).set(bytes);
  };
  const answer = (len) =>
    JSON.parse(new TextDecoder().decode(new Uint8Array(x.memory.buffer, x.tallyseal_output(), len)));
  const text = (s) => new TextEncoder().encode(s);
  return {
    /** What the bundle says it is (election, constituency, station, device key), unverified. */
    describe(bundle) {
      put(SLOT_BUNDLE, bundle);
      return answer(x.tallyseal_describe());
    },
    /** Core's verification of `bundle` against the keys (JSON text) and context (object). */
    verify(bundle, keysJson, context, nowMs) {
      put(SLOT_BUNDLE, bundle);
      put(SLOT_KEYS, text(keysJson));
      put(SLOT_CONTEXT, text(JSON.stringify(context || {})));
      return answer(x.tallyseal_verify(nowMs));
    },
  };
}

/**
 * The plain words of a verification answer: the verdict's sentence and three lists of lines
 * (proved, failed, not checked). Each line is [template, values]: the template's {name} marks
 * where a value goes.
 */
export function plainWords(result, words, lang) {
  const m = words.messages;
  const label = (check) => words.checks[check] || check;
  const num = (n) => new Intl.NumberFormat(locale(lang)).format(n);
  const out = { verdict: result.verdict, headline: '', proved: [], failures: [], unchecked: [] };
  if (result.error) {
    out.headline = m.failed;
    out.failures.push([m.error, { reason: result.error }]);
    return out;
  }
  out.headline = {
    verified: m.verified,
    verified_with_warnings: m['verified-with-warnings'],
  }[result.verdict] || m.failed;
  const report = result.report;
  for (const c of report.checks) {
    const v = c.measured || {};
    if (c.outcome === 'fail') {
      out.failures.push([m['check-reason'], { check: label(c.check), reason: c.reason }]);
    } else if (c.outcome === 'warn') {
      out.unchecked.push([m['check-reason'], { check: label(c.check), reason: c.reason }]);
    } else if (c.check === 'signature') {
      out.proved.push([m.signature, { key: v.device_key }]);
    } else if (c.check === 'device_enrolled') {
      out.proved.push([m.enrolled, { constituency: report.constituency, station: num(report.station) }]);
    } else if (c.check === 'image_hash') {
      out.proved.push([m.image, { hash: v.actual_sha256 }]);
    } else if (c.check === 'receipt') {
      out.proved.push([m.receipt, { time: when(v.received_at_ms, lang) }]);
    } else if (c.check === 'log_inclusion') {
      out.proved.push([m.log, { index: num(v.leaf_index), size: num(v.tree_size), origin: v.origin }]);
      const names = v.cosigned_by || [];
      const total = (result.trust && result.trust.witnesses) || 0;
      if (names.length > 0) {
        out.proved.push([m.witnesses, { count: num(names.length), total: num(total), names: names.join(', ') }]);
      } else {
        out.proved.push([m['no-witnesses'], {}]);
      }
    } else {
      out.proved.push([m['check-passed'], { check: label(c.check) }]);
    }
  }
  // What matters most first: the signature, the enrolment, the image, the receipt, the log.
  const rank = (line) => ([m.signature, m.enrolled, m.image, m.receipt, m.log, m.witnesses, m['no-witnesses']]
    .indexOf(line[0]) + 1) || 100;
  out.proved.sort((a, b) => rank(a) - rank(b));
  return out;
}

function locale(lang) {
  return lang === 'ur' ? 'ur-PK' : 'en-GB';
}

function when(ms, lang) {
  if (typeof ms !== 'number') return '';
  return new Date(ms).toLocaleString(locale(lang), {
    dateStyle: 'medium',
    timeStyle: 'long',
    timeZone: 'UTC',
  });
}

// Values that are identifiers (keys, hashes, the log's origin) are shown as code, left to right.
const CODE_VALUES = new Set(['key', 'hash', 'origin', 'names']);

function fill(template, values) {
  const frag = document.createDocumentFragment();
  const parts = template.split(/\{(\w+)\}/);
  parts.forEach((part, i) => {
    if (i % 2 === 0) {
      if (part) frag.append(part);
      return;
    }
    const value = values[part] === undefined || values[part] === null ? '' : String(values[part]);
    if (CODE_VALUES.has(part)) {
      const code = document.createElement('code');
      code.dir = 'ltr';
      code.textContent = value;
      frag.append(code);
    } else if (part === 'reason') {
      // The verifier's own reasons are in English.
      const span = document.createElement('span');
      span.lang = 'en';
      span.dir = 'ltr';
      span.textContent = value;
      frag.append(span);
    } else {
      frag.append(value);
    }
  });
  return frag;
}

function render(output, words, lang) {
  output.replaceChildren();
  const headline = document.createElement('p');
  headline.className = 'verify-verdict';
  headline.append(words.headline);
  output.append(headline);
  for (const [key, lines] of [['failures', words.failures], ['unchecked', words.unchecked], ['proved', words.proved]]) {
    if (lines.length === 0) continue;
    const heading = document.createElement('p');
    heading.className = 'verify-heading';
    heading.textContent = words.messages[key];
    const list = document.createElement('ul');
    list.className = 'verify-' + key;
    for (const [template, values] of lines) {
      const item = document.createElement('li');
      item.append(fill(template, values));
      list.append(item);
    }
    output.append(heading, list);
  }
  output.dataset.verdict = words.verdict;
  output.lang = lang;
}

async function fetchOk(url, how) {
  const r = await fetch(url, { credentials: 'same-origin', ...how });
  if (!r.ok) throw new Error(url + ': ' + r.status);
  return r;
}

async function start(section) {
  const button = document.getElementById('verify-button');
  const output = document.getElementById('verify-result');
  if (!button || !output) return;
  const lang = (document.documentElement.lang || 'en').toLowerCase().startsWith('ur') ? 'ur' : 'en';
  const words = await (await fetchOk('/static/portal-verify-messages.' + lang + '.json')).json();
  if (!words.available) {
    output.textContent = words.messages.unavailable;
    output.dataset.verdict = 'unavailable';
    return;
  }
  if (!button.textContent.trim()) button.textContent = words.messages.button;
  button.hidden = false;
  button.addEventListener('click', async () => {
    button.disabled = true;
    output.dataset.verdict = 'working';
    output.textContent = words.messages.working;
    try {
      let bundle, keys, verifier;
      try {
        const keysUrl = new URL(section.dataset.keysUrl, document.baseURI);
        [bundle, keys, verifier] = await Promise.all([
          fetchOk(section.dataset.bundleUrl).then((r) => r.arrayBuffer()),
          fetchOk(keysUrl).then((r) => r.text()),
          fetchOk('/static/verifier.wasm', { cache: 'no-cache' })
            .then((r) => r.arrayBuffer())
            .then(loadVerifier),
        ]);
        const context = {};
        const about = verifier.describe(bundle);
        if (about.election) {
          // From the same API as the keys: the election's signed package (the verifier opens it
          // with the published package keys; one that does not verify is an error) and the
          // enrolment records of the constituency's phones. What is missing is "not checked".
          const election = 'elections/' + encodeURIComponent(about.election);
          const devicesPath = election + '/constituencies/' + encodeURIComponent(about.constituency) + '/devices';
          const [note, devices] = await Promise.all([
            fetch(new URL(election + '/package', keysUrl), { credentials: 'same-origin' })
              .then((r) => (r.ok ? r.text() : null)),
            fetch(new URL(devicesPath, keysUrl), { credentials: 'same-origin' })
              .then((r) => (r.ok ? r.json() : null)),
          ]);
          if (note !== null) context.package_note = note;
          if (devices && Array.isArray(devices.devices)) context.devices = devices.devices;
        }
        const result = verifier.verify(bundle, keys, context, Date.now());
        render(output, { ...words, ...plainWords(result, words, lang) }, lang);
      } catch (e) {
        output.textContent = words.messages['download-failed'].replace('{reason}', String(e.message || e));
        output.dataset.verdict = 'error';
      }
    } finally {
      button.disabled = false;
    }
  });
}

if (typeof document !== 'undefined') {
  const section = document.getElementById('verify');
  if (section) start(section);
}
