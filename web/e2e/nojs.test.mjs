// The pages are server-rendered: the whole journey works with JavaScript off.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PORTAL, SIMULATOR, createPosition, eventually, launch, withPage, tick } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const text = async (page, sel) => ((await page.textContent(sel)) ?? '').replace(/\s+/g, ' ').trim();

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
