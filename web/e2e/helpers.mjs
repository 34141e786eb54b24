// Shared helpers of the end-to-end tests: the browser, fresh debt positions
// through the operator API, paying through the pagoPA simulator, downloads, axe.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);

function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests through web/e2e/run.sh (make e2e)`);
  return v.replace(/\/+$/, '');
}

export const PORTAL = env('PORTAL_URL');
export const SIMULATOR = env('SIMULATOR_URL');
export const API_KEY = process.env.OPERATOR_API_KEY || 'dev-operator-key';
export const EC = '77777777777';
const ARTIFACTS = process.env.E2E_ARTIFACTS || '';

/** The demo notices of README.md (loaded by the devstack). */
export const DEMO = {
  payable: { notice: '3019 0000 0000 0001 80', cf: 'RSSMRA85T10A562S' },
  expired: { notice: '3019 0000 0000 0002 81', cf: 'CNTCHR83T41D969D' },
  paid: { notice: '3019 0000 0000 0003 82', cf: 'RSSMRA85T10A562S' },
  cancelled: { notice: '3019 0000 0000 0004 83', cf: '01234567897' },
};

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function newContext(browser, options = {}) {
  const context = await browser.newContext({ baseURL: PORTAL, acceptDownloads: true, locale: 'it-IT', ...options });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(20_000);
  return context;
}

function slug(s) {
  return s.replace(/[^a-zA-Z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80);
}

/** Runs `fn(page, context)` in a fresh context; on failure keeps a screenshot and the HTML. */
export async function withPage(browser, name, fn, options = {}) {
  const context = await newContext(browser, options);
  const page = await context.newPage();
  try {
    return await fn(page, context);
  } catch (e) {
    if (ARTIFACTS) {
      try {
        mkdirSync(ARTIFACTS, { recursive: true });
        const base = join(ARTIFACTS, slug(name));
        await page.screenshot({ path: `${base}.png`, fullPage: true });
        writeFileSync(`${base}.html`, `<!-- ${page.url()} -->\n${await page.content()}`);
      } catch {
        // the page may be gone: the error itself matters more
      }
    }
    throw e;
  } finally {
    await context.close();
  }
}

function isoDate(daysFromToday) {
  const d = new Date(Date.now() + daysFromToday * 86_400_000);
  return d.toISOString().slice(0, 10);
}

/** dd/mm/yyyy, as the Italian pages show a date. */
export function italianDate(iso) {
  const [y, m, d] = iso.split('-');
  return `${d}/${m}/${y}`;
}

export function grouped(notice) {
  return notice.replace(/(\d{4})(?=\d)/g, '$1 ');
}

/**
 * A fresh payable position of the test EC (so that payment tests do not depend
 * on each other), through the operator API as the EC's systems do it.
 */
export async function createPosition({
  fiscalCode = 'RSSMRA85T10A562S',
  fullName = 'Mario Rossi',
  type = 'F',
  amountCents = 15050,
  description = 'TARI 2026 rata unica',
  dueInDays = 200,
} = {}) {
  const iupd = `E2E-${Date.now()}-${randomBytes(4).toString('hex')}`;
  const dueDate = isoDate(dueInDays);
  const body = {
    iupd,
    debtor: { type, fiscalCode, fullName },
    serviceCode: 'TARI',
    description: 'TARI 2026',
    paymentOptions: [
      {
        amountCents,
        dueDate,
        description,
        transfers: [
          {
            ecFiscalCode: EC,
            iban: 'IT60X0542811101000000123456',
            amountCents,
            remittanceInformation: 'TARI 2026',
            category: '9/0101100IM/',
          },
        ],
      },
    ],
  };
  const res = await fetch(`${PORTAL}/api/v1/organizations/${EC}/debt-positions`, {
    method: 'POST',
    headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  assert.equal(res.status, 201, `operator API: ${res.status} ${text}`);
  const p = JSON.parse(text);
  const option = p.paymentOptions[0];
  assert.match(option.noticeNumber, /^\d{18}$/);
  return {
    iupd,
    notice: option.noticeNumber,
    noticeGrouped: grouped(option.noticeNumber),
    iuv: option.iuv,
    fiscalCode,
    fullName,
    dueDate,
    description,
  };
}

async function json(res, what) {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${what}: ${res.status} ${text.slice(0, 300)}`);
  }
}

/**
 * Starts a payment without a browser: the portal's payment API records the
 * attempt and creates the cart at Checkout (the simulator). Returns the
 * portal's payment id and the simulator's cart id.
 */
export async function startPayment(notice, fiscalCode, email) {
  const res = await fetch(`${PORTAL}/api/v1/payments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ notices: [{ noticeNumber: notice, fiscalCode }], ...(email ? { email } : {}) }),
  });
  const started = await json(res, 'POST /api/v1/payments');
  assert.equal(res.status, 201, `POST /api/v1/payments: ${JSON.stringify(started)}`);
  const m = /\/checkout\/carts\/([0-9a-f]+)$/.exec(started.checkoutUrl);
  assert.ok(m, `unexpected checkoutUrl ${started.checkoutUrl}`);
  assert.ok(started.checkoutUrl.startsWith(SIMULATOR), `checkoutUrl ${started.checkoutUrl} is not the simulator's`);
  return { paymentId: started.cartId, simCart: m[1] };
}

/** The simulator's control API: `pay`, `cancel` or `fail` a cart. */
export async function simulatorControl(simCart, action, opts = {}) {
  const res = await fetch(`${SIMULATOR}/control/carts/${simCart}/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(opts),
  });
  const r = await json(res, `simulator ${action}`);
  assert.equal(res.status, 200, `simulator ${action}: ${JSON.stringify(r)}`);
  return r;
}

/**
 * Pays a notice without a browser: startPayment, then the simulator's control
 * API pays the cart as Checkout and the Nodo do (verify, activate, receipt).
 * `opts` goes to the simulator (`mode`, `delayMs`, `email`).
 */
export async function payThroughSimulator(notice, fiscalCode, opts = {}) {
  const { paymentId, simCart } = await startPayment(notice, fiscalCode);
  const result = await simulatorControl(simCart, 'pay', opts);
  return { paymentId, simCart, result };
}

/** Polls `check` (an async predicate) until it holds or `timeoutMs` passes. */
export async function eventually(what, check, timeoutMs = 20_000, everyMs = 500) {
  const until = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) {
      throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${last.message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Waits until the portal has the receipt of a notice (the simulator's delivery is synchronous, but be tolerant). */
export async function waitForReceipt(notice, fiscalCode) {
  await eventually(`receipt of ${notice}`, async () => {
    const res = await fetch(`${PORTAL}/api/v1/receipts/${notice}?fiscalCode=${fiscalCode}&format=json`);
    return res.status === 200;
  });
}

/** Clicks `trigger` and returns the download it causes: name and bytes. */
export async function download(page, trigger) {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 20_000 }), trigger()]);
  const failure = await dl.failure();
  assert.equal(failure, null, `download failed: ${failure}`);
  const path = await dl.path();
  return { name: dl.suggestedFilename(), bytes: readFileSync(path) };
}

export function assertPdf(bytes, what, minSize = 0) {
  assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-', `${what}: not a PDF (starts with ${JSON.stringify(bytes.subarray(0, 16).toString('latin1'))})`);
  assert.ok(bytes.length > minSize, `${what}: ${bytes.length} bytes, expected more than ${minSize}`);
}

/**
 * Ticks a Bootstrap Italia checkbox or radio as a user does: by its label (the
 * label draws the box and covers the real input).
 */
export async function tick(page, id) {
  await page.click(`label[for="${id}"]`);
  assert.equal(await page.isChecked(`#${id}`), true, `#${id} is not checked after clicking its label`);
}

/**
 * The pay-with-notice journey up to the summary (step 3 of 3), as a user types it.
 */
export async function lookUpNotice(page, notice, fiscalCode, { lang } = {}) {
  await page.goto(lang ? `/pagamento-avviso?lang=${lang}` : '/pagamento-avviso');
  await page.fill('#notice', notice);
  await page.fill('#fiscalCode', fiscalCode);
  await page.click('#continue');
  await page.waitForSelector('#privacy');
  await tick(page, 'privacy');
  await page.click('#proceed');
  await page.waitForSelector('#summary');
}

/** Summary → Paga → cart → email → Vai al pagamento: ends on the simulator's Checkout page. */
export async function payFromSummaryToCheckout(page, email = 'mario.rossi@example.com') {
  await page.click('#pay');
  await page.waitForURL('**/carrello');
  await page.fill('#email', email);
  await page.click('#checkout');
  await page.waitForURL(`${SIMULATOR}/checkout/carts/**`);
}

const AXE = require.resolve('axe-core/axe.min.js');

/** Runs axe on the page; returns the serious and critical violations, and prints every violation. */
export async function axe(page, label) {
  await page.addScriptTag({ path: AXE });
  const results = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
    }));
  });
  return { label, url: page.url(), violations: results };
}

export function formatViolations(reports) {
  return reports
    .flatMap((r) =>
      r.violations.map(
        (v) =>
          `  [${r.label}] ${r.url}\n    ${v.id} (${v.impact}): ${v.help}\n` +
          v.nodes.map((n) => `      - ${n.target}${n.summary ? `\n        ${n.summary.replace(/\n/g, '\n        ')}` : ''}`).join('\n'),
      ),
    )
    .join('\n');
}
