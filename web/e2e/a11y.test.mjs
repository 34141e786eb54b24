// Accessibility: axe-core on every page of the portal, in the states a user meets them.
// The pages' CSP (script-src 'self') would block the injected axe script, so these
// contexts bypass CSP (and only these).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  DEMO,
  MENSA_FORM,
  SERVICES,
  USERS,
  axe,
  createPosition,
  fillSpontaneousForm,
  formatViolations,
  launch,
  login,
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

a11y('spontaneous payment: list of services', (page) => expectStatus(page, '/pagamento-spontaneo', 200));

a11y('spontaneous payment: a search without results', async (page) => {
  await expectStatus(page, '/pagamento-spontaneo?q=zzz-nessun-servizio', 200);
  await page.waitForSelector('#no-services');
});

a11y('spontaneous payment: list in English', (page) => expectStatus(page, '/pagamento-spontaneo?lang=en', 200));

a11y('spontaneous payment: form (free amount)', (page) => expectStatus(page, SERVICES.mensa.path, 200));

a11y('spontaneous payment: form (fixed amount)', (page) => expectStatus(page, SERVICES.cert.path, 200));

a11y('spontaneous payment: form with inline errors', async (page) => {
  await expectStatus(page, SERVICES.mensa.path, 200);
  await page.click('#continue');
  await page.waitForSelector('#debtor-fiscalCode-error.d-block');
});

a11y('spontaneous payment: form with the server\'s errors', async (page) => {
  await expectStatus(page, SERVICES.mensa.path, 200);
  await fillSpontaneousForm(page, { ...MENSA_FORM, fiscalCode: 'RSSMRA85T10A562X', amount: '1,00', privacy: false });
  const [response] = await Promise.all([page.waitForNavigation(), page.click('#continue')]);
  assert.equal(response.status(), 422);
  await page.waitForSelector('#form-errors');
});

a11y('spontaneous payment: summary', async (page) => {
  await expectStatus(page, SERVICES.mensa.path, 200);
  await fillSpontaneousForm(page, MENSA_FORM);
  await page.click('#continue');
  await page.waitForSelector('#summary');
});

a11y('login page', (page) => expectStatus(page, '/accesso', 200));

a11y('login page in English', (page) => expectStatus(page, '/accesso?lang=en', 200));

a11y('login page after logout', (page) => expectStatus(page, '/accesso?esito=uscito', 200));

a11y('login page after a cancelled login', (page) => expectStatus(page, '/accesso?esito=annullato', 200));

/** Luca Bianchi with something in each of the reserved area's lists. */
async function lucaWithData() {
  const debtor = { fiscalCode: USERS.luca.cf, fullName: USERS.luca.name };
  const payable = await createPosition({ ...debtor, description: 'Accessibilità da pagare' });
  await createPosition({ ...debtor, description: 'Accessibilità scaduto', dueInDays: -5, switchToExpired: true });
  const paid = await createPosition({ ...debtor, description: 'Accessibilità pagato' });
  await payThroughSimulator(paid.notice, paid.fiscalCode);
  await waitForReceipt(paid.notice, paid.fiscalCode);
  return { payable, paid };
}

a11y('reserved area: the three lists', async (page) => {
  await lucaWithData();
  await login(page, USERS.luca);
  await page.waitForSelector('#da-pagare tr[data-notice]');
  await page.waitForSelector('#scaduti tr[data-notice]');
  await page.waitForSelector('#pagati tr[data-notice]');
});

a11y('reserved area: empty lists', async (page) => {
  // Mario's demo notices are paid or payable: log in with a fiscal code that has nothing.
  await page.goto('/accesso');
  await page.click('#login-spid');
  await page.fill('#cf', '01234567897');
  await page.getByRole('button', { name: 'Entra', exact: true }).click();
  await page.waitForURL('**/area-riservata');
});

a11y('reserved area: a notice to pay', async (page) => {
  const { payable } = await lucaWithData();
  await login(page, USERS.luca);
  await expectStatus(page, `/area-riservata/avvisi/${payable.notice}`, 200);
  await page.waitForSelector('#pay');
});

a11y('reserved area: a paid notice', async (page) => {
  const { paid } = await lucaWithData();
  await login(page, USERS.luca);
  await expectStatus(page, `/area-riservata/avvisi/${paid.notice}`, 200);
  await page.waitForSelector('#receipt');
});
