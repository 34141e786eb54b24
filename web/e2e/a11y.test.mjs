// Accessibility: axe-core on every page of the portal, in the states a user meets them.
// The pages' CSP (script-src 'self') would block the injected axe script, so these
// contexts bypass CSP (and only these).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  DEMO,
  axe,
  createPosition,
  formatViolations,
  launch,
  lookUpNotice,
  payThroughSimulator,
  simulatorControl,
  startPayment,
  waitForReceipt,
  withPage,
} from './helpers.mjs';

let browser;
const all = [];
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
  const n = all.reduce((k, r) => k + r.violations.length, 0);
  if (n > 0) console.log(`axe: ${n} violation(s) of any impact over ${all.length} page(s):\n${formatViolations(all)}`);
});

const SEVERE = new Set(['serious', 'critical']);

/** Opens a page (through `reach`), runs axe, asserts no serious or critical violation. */
function a11y(name, reach) {
  test(`axe: ${name}`, { timeout: 60_000 }, async () => {
    await withPage(
      browser,
      `axe ${name}`,
      async (page) => {
        await reach(page);
        // A page may refresh itself (the "in verifica" outcome): retry once if it navigates under axe.
        let report;
        try {
          report = await axe(page, name);
        } catch (e) {
          if (!/context was destroyed|navigat/i.test(e.message)) throw e;
          await page.waitForLoadState();
          report = await axe(page, name);
        }
        all.push(report);
        const severe = { ...report, violations: report.violations.filter((v) => SEVERE.has(v.impact)) };
        assert.equal(severe.violations.length, 0, `serious/critical axe violations:\n${formatViolations([severe])}`);
      },
      { bypassCSP: true },
    );
  });
}

async function expectStatus(page, path, status) {
  const response = await page.goto(path);
  assert.equal(response.status(), status, `${path}: ${response.status()}`);
}

async function toCart(page) {
  const pos = await createPosition();
  await lookUpNotice(page, pos.notice, pos.fiscalCode);
  await page.click('#pay');
  await page.waitForURL('**/carrello');
  await page.waitForSelector('#cart-items');
}

a11y('home', (page) => expectStatus(page, '/', 200));

a11y('home in English', (page) => expectStatus(page, '/?lang=en', 200));

a11y('pay with notice: form', (page) => expectStatus(page, '/pagamento-avviso', 200));

a11y('pay with notice: form with errors', async (page) => {
  await page.goto('/pagamento-avviso');
  await page.fill('#notice', '3019 0000 0000 0001 8');
  await page.fill('#fiscalCode', 'RSSMRA85T10A562X');
  await page.click('#continue');
  await page.waitForSelector('#notice-error');
  await page.waitForSelector('#cf-error');
});

a11y('pay with notice: debtor page', async (page) => {
  await page.goto('/pagamento-avviso');
  await page.fill('#notice', DEMO.payable.notice);
  await page.fill('#fiscalCode', DEMO.payable.cf);
  await page.click('#continue');
  await page.waitForSelector('#privacy');
});

a11y('pay with notice: debtor page with the privacy error', async (page) => {
  await page.goto('/pagamento-avviso');
  await page.fill('#notice', DEMO.payable.notice);
  await page.fill('#fiscalCode', DEMO.payable.cf);
  await page.click('#continue');
  await page.waitForSelector('#privacy');
  await page.click('#proceed');
  await page.waitForSelector('#privacy-error');
});

a11y('pay with notice: summary (payable)', (page) => lookUpNotice(page, DEMO.payable.notice, DEMO.payable.cf));

a11y('pay with notice: summary (expired)', (page) => lookUpNotice(page, DEMO.expired.notice, DEMO.expired.cf));

a11y('pay with notice: summary (paid)', (page) => lookUpNotice(page, DEMO.paid.notice, DEMO.paid.cf));

a11y('cart: empty', async (page) => {
  await expectStatus(page, '/carrello', 200);
  await page.waitForSelector('#cart-empty');
});

a11y('cart: with a notice', toCart);

a11y('cart: with an invalid email', async (page) => {
  await toCart(page);
  await page.fill('#email', 'not an email');
  await page.click('#checkout');
  await page.waitForSelector('#email-error');
});

a11y('outcome: payment completed', async (page) => {
  const pos = await createPosition();
  const { paymentId } = await payThroughSimulator(pos.notice, pos.fiscalCode);
  await waitForReceipt(pos.notice, pos.fiscalCode);
  await page.goto(`/pagamento/esito/ok?id=${paymentId}`);
  assert.equal((await page.textContent('#outcome-title'))?.trim(), 'Pagamento completato');
});

a11y('outcome: payment being verified', async (page) => {
  const pos = await createPosition();
  const { paymentId, simCart } = await startPayment(pos.notice, pos.fiscalCode);
  // The receipt comes late (the stack is gone by then).
  await simulatorControl(simCart, 'pay', { mode: 'late', delayMs: 600_000 });
  await page.goto(`/pagamento/esito/ok?id=${paymentId}`);
  assert.equal((await page.textContent('#outcome-title'))?.trim(), 'Pagamento in verifica');
});

a11y('outcome: payment cancelled', async (page) => {
  const pos = await createPosition();
  const { paymentId, simCart } = await startPayment(pos.notice, pos.fiscalCode);
  await simulatorControl(simCart, 'cancel');
  await page.goto(`/pagamento/esito/annullato?id=${paymentId}`);
  assert.equal((await page.textContent('#outcome-title'))?.trim(), 'Pagamento annullato');
});

a11y('outcome: payment failed', async (page) => {
  const pos = await createPosition();
  const { paymentId, simCart } = await startPayment(pos.notice, pos.fiscalCode);
  await simulatorControl(simCart, 'fail');
  await page.goto(`/pagamento/esito/errore?id=${paymentId}`);
  assert.equal((await page.textContent('#outcome-title'))?.trim(), 'Pagamento non riuscito');
});

a11y('receipt form', (page) => expectStatus(page, '/ricevuta', 200));

a11y('receipt form with an error', async (page) => {
  await page.goto('/ricevuta');
  await page.fill('#notice', DEMO.paid.notice);
  await page.fill('#fiscalCode', DEMO.expired.cf);
  await page.click('#download');
  await page.waitForSelector('#form-errors');
});

a11y('receipt form with field errors', async (page) => {
  await page.goto('/ricevuta');
  await page.fill('#notice', '1234');
  await page.fill('#fiscalCode', 'XYZ');
  await page.click('#download');
  await page.waitForSelector('#notice-error');
  await page.waitForSelector('#cf-error');
});

a11y('privacy', (page) => expectStatus(page, '/privacy', 200));

a11y('404 page', (page) => expectStatus(page, `/pagamento/esito/ok?id=${'0'.repeat(32)}`, 404));

a11y('403 page (expired session)', async (page) => {
  await page.goto('/pagamento-avviso');
  await page.evaluate(() => {
    document.querySelector('input[name="csrf"]').value = 'f'.repeat(32);
  });
  const [response] = await Promise.all([page.waitForNavigation(), page.click('#continue')]);
  assert.equal(response.status(), 403);
});
