// The pages are server-rendered: the whole journey works with JavaScript off.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  PORTAL,
  SERVICES,
  SIMULATOR,
  USERS,
  createPosition,
  eventually,
  fillSpontaneousForm,
  launch,
  login,
  text,
  withPage,
  tick,
} from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('pay a notice with JavaScript disabled', { timeout: 120_000 }, async () => {
  const pos = await createPosition({ amountCents: 15050 });
  await withPage(
    browser,
    'no javascript',
    async (page) => {
      await page.goto('/');
      await page.getByRole('link', { name: 'Pagamento con avviso' }).click();
      await page.waitForURL(`${PORTAL}/pagamento-avviso`);
      await page.fill('#notice', pos.noticeGrouped);
      await page.fill('#fiscalCode', pos.fiscalCode.toLowerCase());
      await page.click('#continue');
      await page.waitForSelector('#full-name');
      assert.equal(await text(page, '#full-name'), 'Mario Rossi');
      await tick(page, 'privacy');
      await page.click('#proceed');
      await page.waitForSelector('#summary');
      assert.equal(await text(page, '#s-amount'), '150,50 €');
      assert.equal(await text(page, '#s-status'), 'Da pagare');

      await page.click('#pay');
      await page.waitForURL(`${PORTAL}/carrello`);
      assert.equal(await text(page, '#cart-total'), '150,50 €');
      await page.fill('#email', 'mario.rossi@example.com');
      await page.click('#checkout');
      await page.waitForURL(`${SIMULATOR}/checkout/carts/**`);
      await page.click('#pay');
      await page.waitForURL(/\/pagamento\/esito\/ok\?id=[0-9a-f]{32}$/);
      const outcomeUrl = page.url();
      await eventually('Pagamento completato', async () => {
        await page.goto(outcomeUrl);
        return (await text(page, '#outcome-title')) === 'Pagamento completato';
      }, 20_000, 1_000);
    },
    { javaScriptEnabled: false },
  );
});

test('a spontaneous payment with JavaScript disabled: the server\'s errors, then the summary and Checkout', { timeout: 120_000 }, async () => {
  await withPage(
    browser,
    'no javascript spontaneous',
    async (page) => {
      await page.goto('/');
      await page.getByRole('link', { name: 'Pagamento spontaneo' }).click();
      await page.waitForURL(`${PORTAL}/pagamento-spontaneo`);
      await page.fill('#q', 'certificati');
      await page.click('#search');
      await page.waitForURL(`${PORTAL}/pagamento-spontaneo?q=certificati`);
      await page.click(`a[href="${SERVICES.cert.path}"]`);
      await page.waitForURL(`${PORTAL}${SERVICES.cert.path}`);

      // Nothing filled in: without forms.js the browser sends the form
      // (novalidate) and the server names every missing field.
      const [rejected] = await Promise.all([page.waitForNavigation(), page.click('#continue')]);
      assert.equal(rejected.status(), 422);
      assert.match(await text(page, '#form-errors'), /^Correggi i campi indicati/);
      for (const id of ['debtor-fiscalCode', 'debtor-fullName', 'f-tipoCertificato', 'f-richiedente', 'privacy']) {
        assert.notEqual(await text(page, `#${id}-error`), '', `#${id}-error`);
        assert.equal(await page.getAttribute(`#${id}`, 'aria-invalid'), 'true', `#${id}`);
      }
      assert.equal(await page.isVisible('#f-motivo-error'), false, 'an optional field is not flagged');

      await fillSpontaneousForm(page, {
        fiscalCode: USERS.chiara.cf.toLowerCase(),
        fullName: USERS.chiara.name,
        fields: { tipoCertificato: 'stato-famiglia', richiedente: USERS.chiara.name },
        privacy: true,
      });
      const [accepted] = await Promise.all([page.waitForNavigation(), page.click('#continue')]);
      assert.equal(accepted.status(), 200);
      assert.equal(await text(page, '#s-amount'), '16,00 €');
      assert.equal(await text(page, '#s-holder'), USERS.chiara.name);
      assert.equal(await text(page, '#s-status'), 'Da pagare');

      await page.click('#pay');
      await page.waitForURL(`${PORTAL}/carrello`);
      assert.equal(await text(page, '#cart-total'), '16,00 €');
      await page.fill('#email', 'chiara.conti@example.com');
      await page.click('#checkout');
      await page.waitForURL(`${SIMULATOR}/checkout/carts/**`);
    },
    { javaScriptEnabled: false },
  );
});

test('the reserved area with JavaScript disabled: login, lists, logout', { timeout: 60_000 }, async () => {
  const pos = await createPosition({ fiscalCode: USERS.luca.cf, fullName: USERS.luca.name });
  await withPage(
    browser,
    'no javascript reserved area',
    async (page) => {
      await login(page, USERS.luca);
      assert.equal(await page.locator(`#da-pagare tr[data-notice="${pos.notice}"]`).count(), 1);
      await page.click('#logout');
      await page.waitForURL(`${PORTAL}/accesso?esito=uscito`);
    },
    { javaScriptEnabled: false },
  );
});
