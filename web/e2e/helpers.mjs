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
 * on each other), through the operator API as the EC's systems do it. An
 * expired one: a negative `dueInDays` with `switchToExpired: true`.
 */
export async function createPosition({
  fiscalCode = 'RSSMRA85T10A562S',
  fullName = 'Mario Rossi',
  type = 'F',
  amountCents = 15050,
  description = 'TARI 2026 rata unica',
  dueInDays = 200,
  switchToExpired,
} = {}) {
  const iupd = `E2E-${Date.now()}-${randomBytes(4).toString('hex')}`;
  const dueDate = isoDate(dueInDays);
  const body = {
    iupd,
    debtor: { type, fiscalCode, fullName },
    serviceCode: 'TARI',
    description: 'TARI 2026',
    ...(switchToExpired === undefined ? {} : { switchToExpired }),
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

/** The text of an element, with its white space collapsed. */
export async function text(page, selector) {
  return ((await page.textContent(selector)) ?? '').replace(/\s+/g, ' ').trim();
}

/**
 * At Checkout (the simulator): Paga, then the portal's outcome page until it
 * says "Pagamento completato" (the receipt may come a moment later). Returns
 * the outcome page's address.
 */
export async function payAtCheckout(page) {
  await page.click('#pay');
  await page.waitForURL(/\/pagamento\/esito\/ok\?id=[0-9a-f]{32}$/);
  const outcomeUrl = page.url();
  await eventually('Pagamento completato', async () => {
    if ((await text(page, '#outcome-title')) === 'Pagamento completato') return true;
    await page.goto(outcomeUrl);
    return (await text(page, '#outcome-title')) === 'Pagamento completato';
  }, 20_000, 1_000);
  return outcomeUrl;
}

/** The spontaneous-payment services of infra/config/services.json the tests use. */
export const SERVICES = {
  // Free amount from 5,00 to 500,00 €; fields alunno, codiceFiscaleAlunno, scuola (select), anno (2020–2035).
  mensa: { ec: EC, code: 'MENSA', name: 'Ricarica mensa scolastica', path: `/pagamento-spontaneo/${EC}/MENSA` },
  // Fixed 16,00 €; fields tipoCertificato (select), richiedente, motivo (optional).
  cert: {
    ec: EC,
    code: 'CERT',
    name: 'Diritti di segreteria per certificati anagrafici',
    path: `/pagamento-spontaneo/${EC}/CERT`,
  },
};

/**
 * Fills a spontaneous-payment form as a user does; only what is given:
 * `type` ('F' or 'G'), the debtor's `fiscalCode`, `fullName`, `email`, the
 * service's `fields` by name (a select gets the option's value), `amount`
 * (euro, as typed: "25,50") and `privacy` (true ticks the box).
 */
export async function fillSpontaneousForm(page, { type, fiscalCode, fullName, email, fields = {}, amount, privacy } = {}) {
  if (type) await tick(page, `debtor-type-${type}`);
  if (fiscalCode !== undefined) await page.fill('#debtor-fiscalCode', fiscalCode);
  if (fullName !== undefined) await page.fill('#debtor-fullName', fullName);
  if (email !== undefined) await page.fill('#debtor-email', email);
  for (const [name, value] of Object.entries(fields)) {
    const input = page.locator(`#f-${name}`);
    if ((await input.evaluate((el) => el.tagName)) === 'SELECT') await input.selectOption(value);
    else await input.fill(value);
  }
  if (amount !== undefined) await page.fill('#amount', amount);
  if (privacy && !(await page.isChecked('#privacy'))) await tick(page, 'privacy');
}

/** A valid canteen top-up (MENSA) of 25,50 € for Mario Rossi's daughter. */
export const MENSA_FORM = {
  fiscalCode: 'RSSMRA85T10A562S',
  fullName: 'Mario Rossi',
  fields: { alunno: 'Giulia Rossi', codiceFiscaleAlunno: 'RSSGLI15S50H501V', scuola: 'primaria-collodi', anno: '2025' },
  amount: '25,50',
  privacy: true,
};

/** The development identity provider's test citizens (tests/pagopa-simulator/src/oidc.rs). */
export const USERS = {
  mario: { cf: 'RSSMRA85T10A562S', name: 'Mario Rossi' },
  chiara: { cf: 'CNTCHR83T41D969D', name: 'Chiara Conti' },
  luca: { cf: 'BNCLCU90E12H501G', name: 'Luca Bianchi' },
};

/**
 * Logs in as a test citizen: the login page, SPID (or `method`), the
 * development identity provider's "Entra come …", back to the reserved area.
 */
export async function login(page, user, { method = 'spid' } = {}) {
  await page.goto('/accesso');
  await page.click(`#login-${method}`);
  await page.waitForURL(`${SIMULATOR}/oidc/authorize?**`);
  await page.getByRole('button', { name: `Entra come ${user.name} (${user.cf})` }).click();
  await page.waitForURL(`${PORTAL}/area-riservata`);
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
