// Paying a notice in the browser, from the home page to the receipt, and the
// ways a payment at Checkout can end (paid, cancelled, failed); printing the avviso.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  PORTAL,
  SIMULATOR,
  assertPdf,
  createPosition,
  download,
  eventually,
  italianDate,
  launch,
  lookUpNotice,
  payFromSummaryToCheckout,
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

const text = async (page, sel) => ((await page.textContent(sel)) ?? '').replace(/\s+/g, ' ').trim();

test('pay a notice end to end: home → notice → Checkout → outcome → receipt PDF', { timeout: 120_000 }, async () => {
  const pos = await createPosition({ amountCents: 15050 });
  await withPage(browser, 'pay end to end', async (page) => {
    await page.goto('/');
    assert.equal(await text(page, 'h1'), 'Portale dei pagamenti');
    await page.getByRole('link', { name: 'Pagamento con avviso' }).click();
    await page.waitForURL(`${PORTAL}/pagamento-avviso`);
    assert.equal(await text(page, 'h1'), 'Pagamento con avviso');
    assert.equal(await text(page, '#step'), 'Passo 1 di 3');

    // The notice code as printed (groups of four), the fiscal code in lower case.
    await page.fill('#notice', pos.noticeGrouped);
    await page.fill('#fiscalCode', pos.fiscalCode.toLowerCase());
    await page.click('#continue');

    await page.waitForSelector('#full-name');
    assert.equal(await text(page, 'h1'), 'Dati anagrafici del debitore');
    assert.equal(await text(page, '#step'), 'Passo 2 di 3');
    assert.equal(await text(page, '#full-name'), 'Mario Rossi');
    assert.equal(await text(page, '#subject-type'), 'Persona fisica');

    // Procedi without the privacy notice: refused, next to the checkbox.
    await page.click('#proceed');
    await page.waitForSelector('#privacy-error');
    assert.match(await text(page, '#privacy-error'), /informativa/);
    assert.equal(await page.getAttribute('#privacy', 'aria-describedby'), 'privacy-error');

    await tick(page, 'privacy');
    await page.click('#proceed');
    await page.waitForSelector('#summary');
    assert.equal(await text(page, 'h1'), 'Riepilogo');
    assert.equal(await text(page, '#step'), 'Passo 3 di 3');
    assert.equal(await text(page, '#s-notice'), pos.noticeGrouped);
    assert.equal(await text(page, '#s-iuv'), pos.iuv);
    assert.match(await text(page, '#s-ec'), /^Comune di Prova/);
    assert.equal(await text(page, '#s-service'), pos.description);
    assert.equal(await text(page, '#s-holder'), 'Mario Rossi');
    assert.equal(await text(page, '#s-amount'), '150,50 €');
    assert.equal(await text(page, '#s-due'), italianDate(pos.dueDate));
    assert.equal(await text(page, '#s-status'), 'Da pagare');
    assert.equal(await page.locator('#receipt').count(), 0, 'an unpaid notice offers no receipt');
    assert.ok(await page.isVisible('#print'), 'Stampa avviso is offered');

    await page.click('#pay');
    await page.waitForURL(`${PORTAL}/carrello`);
    assert.equal(await text(page, 'h1'), 'Carrello');
    assert.match(await text(page, '#cart-items tbody'), new RegExp(pos.noticeGrouped));
    assert.equal(await text(page, '#cart-total'), '150,50 €');

    await page.fill('#email', 'mario.rossi@example.com');
    await page.click('#checkout');

    // pagoPA Checkout (the simulator).
    await page.waitForURL(`${SIMULATOR}/checkout/carts/**`);
    assert.match(await text(page, 'h1'), /pagoPA Checkout/);
    assert.equal(await text(page, '#total'), '150,50 €');
    assert.match(await text(page, 'tbody'), new RegExp(pos.notice));
    assert.equal(await page.inputValue('#email'), 'mario.rossi@example.com', 'the email reaches Checkout');
    await page.click('#pay');

    await page.waitForURL(/\/pagamento\/esito\/ok\?id=/);
    const outcomeUrl = page.url();
    assert.ok(outcomeUrl.startsWith(`${PORTAL}/pagamento/esito/ok?id=`), outcomeUrl);
    assert.match(outcomeUrl, /\?id=[0-9a-f]{32}$/);
    assert.ok(
      ['Pagamento in verifica', 'Pagamento completato'].includes(await text(page, '#outcome-title')),
      `outcome title: ${await text(page, '#outcome-title')}`,
    );
    await eventually('Pagamento completato', async () => {
      if ((await text(page, '#outcome-title')) === 'Pagamento completato') return true;
      await page.goto(outcomeUrl);
      return (await text(page, '#outcome-title')) === 'Pagamento completato';
    }, 20_000, 1_000);
    assert.match(await text(page, '#outcome-items'), new RegExp(`${pos.noticeGrouped}.*150,50 €.*Pagato`));

    const receipt = await download(page, () => page.getByRole('button', { name: /Scarica la ricevuta/ }).click());
    assertPdf(receipt.bytes, 'receipt');
    assert.equal(receipt.name, `ricevuta-${pos.notice}.pdf`);

    // The cart was emptied when the payment started.
    await page.goto('/carrello');
    assert.ok(await page.isVisible('#cart-empty'), 'the cart is empty after the payment');

    // Looking the notice up again: paid, receipt offered, nothing to pay.
    await lookUpNotice(page, pos.notice, pos.fiscalCode);
    assert.equal(await text(page, '#s-status'), 'Pagato');
    assert.equal(await page.locator('#pay').count(), 0, 'a paid notice cannot be paid again');
    assert.ok(await page.isVisible('#receipt'));
  });
});

test('print the avviso from the summary: a PDF download', { timeout: 60_000 }, async () => {
  const pos = await createPosition();
  await withPage(browser, 'print avviso', async (page) => {
    await lookUpNotice(page, pos.noticeGrouped, pos.fiscalCode);
    assert.equal(await text(page, '#print'), 'Stampa avviso');
    const avviso = await download(page, () => page.click('#print'));
    assertPdf(avviso.bytes, 'avviso', 5 * 1024);
    assert.equal(avviso.name, `avviso-${pos.notice}.pdf`);
    // The page stays on the summary, ready to pay.
    assert.ok(await page.isVisible('#pay'));
  });
});

test('cancel at Checkout: "Pagamento annullato" with Riprova, the notice still to pay', { timeout: 60_000 }, async () => {
  const pos = await createPosition();
  await withPage(browser, 'cancel at checkout', async (page) => {
    await lookUpNotice(page, pos.notice, pos.fiscalCode);
    await payFromSummaryToCheckout(page);
    await page.click('#cancel');
    await page.waitForURL(/\/pagamento\/esito\/annullato\?id=[0-9a-f]{32}$/);
    assert.equal(await text(page, '#outcome-title'), 'Pagamento annullato');
    assert.match(await text(page, '#outcome-text'), /annullato/);
    assert.match(await text(page, '#outcome-items'), /Da pagare/);
    const retry = page.getByRole('link', { name: 'Riprova' });
    assert.equal(await retry.count(), 1, 'Riprova is offered');
    assert.equal(await page.locator('meta[http-equiv="refresh"]').count(), 0, 'a final outcome does not refresh');
  });
});

test('after a cancelled payment, Riprova leads to paying the same notice again', { timeout: 60_000 }, async () => {
  const pos = await createPosition();
  await withPage(browser, 'retry after cancel', async (page) => {
    await lookUpNotice(page, pos.notice, pos.fiscalCode);
    await payFromSummaryToCheckout(page);
    await page.click('#cancel');
    await page.waitForURL(/\/pagamento\/esito\/annullato/);
    await page.getByRole('link', { name: 'Riprova' }).click();
    await page.waitForLoadState();
    const body = await text(page, 'main');
    assert.ok(
      body.includes(pos.noticeGrouped) && (await page.locator('#checkout').count()) === 1,
      `Riprova should offer to pay ${pos.noticeGrouped} again; it shows ${page.url()}: "${body.slice(0, 200)}"`,
    );
  });
});

test('fail at Checkout: "Pagamento non riuscito" with Riprova', { timeout: 60_000 }, async () => {
  const pos = await createPosition();
  await withPage(browser, 'fail at checkout', async (page) => {
    await lookUpNotice(page, pos.notice, pos.fiscalCode);
    await payFromSummaryToCheckout(page);
    await page.click('#fail');
    await page.waitForURL(/\/pagamento\/esito\/errore\?id=[0-9a-f]{32}$/);
    assert.equal(await text(page, '#outcome-title'), 'Pagamento non riuscito');
    assert.match(await text(page, '#outcome-items'), /Da pagare/);
    assert.equal(await page.getByRole('link', { name: 'Riprova' }).count(), 1, 'Riprova is offered');
    // Nothing was paid: the notice can still be paid.
    await lookUpNotice(page, pos.notice, pos.fiscalCode);
    assert.equal(await text(page, '#s-status'), 'Da pagare');
    assert.ok(await page.isVisible('#pay'));
  });
});

test('a cart of several notices: add, remove one, pay the others together', { timeout: 120_000 }, async () => {
  const a = await createPosition({ amountCents: 1000, description: 'Carrello A' });
  const b = await createPosition({ amountCents: 2050, description: 'Carrello B' });
  const c = await createPosition({ amountCents: 4000, description: 'Carrello C' });
  await withPage(browser, 'cart of several', async (page) => {
    for (const [i, pos] of [a, b, c].entries()) {
      if (i === 0) {
        await lookUpNotice(page, pos.notice, pos.fiscalCode);
      } else {
        // From the cart, "Aggiungi un altro avviso" starts again at step 1.
        await page.getByRole('link', { name: 'Aggiungi un altro avviso' }).click();
        await page.waitForURL(`${PORTAL}/pagamento-avviso`);
        await lookUpNotice(page, pos.notice, pos.fiscalCode);
      }
      await page.click('#pay');
      await page.waitForURL(`${PORTAL}/carrello`);
      assert.equal(await page.locator('#cart-items tbody tr').count(), i + 1);
    }
    assert.equal(await text(page, '#cart-total'), '70,50 €');

    await page.getByRole('button', { name: `Rimuovi ${b.noticeGrouped}` }).click();
    await page.waitForURL(`${PORTAL}/carrello`);
    assert.equal(await page.locator('#cart-items tbody tr').count(), 2);
    assert.doesNotMatch(await text(page, '#cart-items tbody'), new RegExp(b.noticeGrouped));
    assert.equal(await text(page, '#cart-total'), '50,00 €');

    await page.click('#checkout');
    await page.waitForURL(`${SIMULATOR}/checkout/carts/**`);
    assert.equal(await page.locator('tbody tr').count(), 2, 'Checkout gets the two notices');
    assert.equal(await text(page, '#total'), '50,00 €');
    await page.click('#pay');
    await page.waitForURL(/\/pagamento\/esito\/ok\?id=/);
    const outcomeUrl = page.url();
    await eventually('Pagamento completato', async () => {
      await page.goto(outcomeUrl);
      return (await text(page, '#outcome-title')) === 'Pagamento completato';
    }, 20_000, 1_000);
    const items = await text(page, '#outcome-items');
    assert.match(items, new RegExp(`${a.noticeGrouped}.*Pagato`));
    assert.match(items, new RegExp(`${c.noticeGrouped}.*Pagato`));
    assert.equal(await page.getByRole('button', { name: /Scarica la ricevuta/ }).count(), 2, 'one receipt per notice');

    // The removed notice was not paid.
    await lookUpNotice(page, b.notice, b.fiscalCode);
    assert.equal(await text(page, '#s-status'), 'Da pagare');
  });
});
