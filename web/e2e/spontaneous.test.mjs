// Spontaneous payments in the browser: the list of services with its search,
// a service's form (inline errors, the server's errors, then valid), the
// summary, the avviso, Checkout and the receipt; the same form sent twice.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  MENSA_FORM,
  PORTAL,
  SERVICES,
  SIMULATOR,
  assertPdf,
  download,
  fillSpontaneousForm,
  launch,
  payAtCheckout,
  payFromSummaryToCheckout,
  text,
  withPage,
} from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const NOTICE = /^\d{4} \d{4} \d{4} \d{4} \d{2}$/;
const digits = (grouped) => grouped.replace(/ /g, '');

/** Sends the form and returns the response of the page it leads to. */
async function submit(page) {
  const [response] = await Promise.all([page.waitForNavigation(), page.click('#continue')]);
  return response;
}

test('a spontaneous payment end to end: search → form → errors → summary → avviso → Checkout → receipt', { timeout: 120_000 }, async () => {
  await withPage(browser, 'spontaneous end to end', async (page) => {
    await page.goto('/');
    await page.getByRole('link', { name: 'Pagamento spontaneo' }).click();
    await page.waitForURL(`${PORTAL}/pagamento-spontaneo`);
    assert.equal(await text(page, 'h1'), 'Pagamento spontaneo');
    assert.equal(await text(page, '#step'), 'Passo 1 di 3 · Scegli il servizio');
    const all = await page.locator('.service-card').count();
    assert.ok(all >= 4, `the demo ECs offer at least 4 services, the page lists ${all}`);
    assert.equal(await text(page, '#services-count'), `${all} servizi trovati`);

    // The search narrows the list (words of the name, description or EC).
    await page.fill('#q', 'mensa');
    await page.click('#search');
    await page.waitForURL(`${PORTAL}/pagamento-spontaneo?q=mensa`);
    assert.equal(await page.inputValue('#q'), 'mensa', 'the search keeps its text');
    assert.equal(await page.locator('.service-card').count(), 1);
    assert.equal(await text(page, '#services-count'), '1 servizio trovato');
    assert.equal(await text(page, '.service-card .card-title'), SERVICES.mensa.name);
    assert.match(await text(page, '.service-card'), /Importo libero da 5,00 € a 500,00 €/);
    await page.getByRole('link', { name: new RegExp(`^Compila il modulo\\s?: ${SERVICES.mensa.name}$`) }).click();
    await page.waitForURL(`${PORTAL}${SERVICES.mensa.path}`);

    assert.equal(await text(page, 'h1'), SERVICES.mensa.name);
    assert.equal(await text(page, '#step'), 'Passo 2 di 3 · Compila il modulo');
    assert.ok(await page.isChecked('#debtor-type-F'), 'a natural person by default');

    // Continua with nothing filled in: forms.js stops the submission and flags
    // every required field, the first one focused.
    const url = page.url();
    await page.click('#continue');
    await page.waitForSelector('#debtor-fiscalCode-error.d-block');
    assert.equal(page.url(), url, 'nothing was sent');
    assert.equal(await page.locator('#form-errors').count(), 0, 'no server round trip');
    for (const id of ['debtor-fiscalCode', 'debtor-fullName', 'f-alunno', 'f-codiceFiscaleAlunno', 'f-scuola', 'amount']) {
      assert.ok(await page.isVisible(`#${id}-error`), `#${id}-error is shown`);
      assert.notEqual(await text(page, `#${id}-error`), '', `#${id}-error has a message`);
      assert.equal(await page.getAttribute(`#${id}`, 'aria-invalid'), 'true', `#${id} is aria-invalid`);
      assert.match(await page.getAttribute(`#${id}`, 'aria-describedby'), new RegExp(`\\b${id}-error\\b`), `#${id} points to its error`);
    }
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'debtor-fiscalCode');
    // Optional fields are not flagged; the help text stays attached.
    assert.equal(await page.isVisible('#f-anno-error'), false);
    assert.match(await page.getAttribute('#amount', 'aria-describedby'), /\bamount-help\b/);

    // Inline validation on leaving a field, cleared once it is right.
    await page.fill('#debtor-email', 'mario.rossi@');
    await page.locator('#debtor-email').blur();
    await page.waitForSelector('#debtor-email-error.d-block');
    assert.notEqual(await text(page, '#debtor-email-error'), '');
    await page.fill('#debtor-email', 'mario.rossi@example.com');
    await page.locator('#debtor-email').blur();
    await page.waitForSelector('#debtor-email-error:not(.d-block)', { state: 'attached' });
    assert.equal(await page.getAttribute('#debtor-email', 'aria-invalid'), null);

    // What only the server can tell: a wrong check character, a malformed
    // fiscal code of the pupil, a year and an amount out of range, no privacy.
    await fillSpontaneousForm(page, {
      ...MENSA_FORM,
      fiscalCode: 'RSSMRA85T10A562X',
      fields: { ...MENSA_FORM.fields, codiceFiscaleAlunno: 'XYZ', anno: '2019' },
      amount: '1,00',
      privacy: false,
    });
    const rejected = await submit(page);
    assert.equal(rejected.status(), 422);
    assert.ok(await page.isVisible('#form-errors'), 'the summary of the errors is shown');
    assert.match(await text(page, '#form-errors'), /^Correggi i campi indicati/);
    const expected = {
      'debtor-fiscalCode': /carattere di controllo/,
      'f-codiceFiscaleAlunno': /16 caratteri/,
      'f-anno': /2020/,
      amount: /^Importo minimo: 5,00 €$/,
      privacy: /informativa/,
    };
    for (const [id, message] of Object.entries(expected)) {
      assert.match(await text(page, `#${id}-error`), message, `#${id}-error`);
      assert.equal(await page.getAttribute(`#${id}`, 'aria-invalid'), 'true', `#${id} is aria-invalid`);
      assert.equal(await page.locator(`#form-errors a[href="#${id}"]`).count(), 1, `the summary links to #${id}`);
    }
    assert.equal(await page.locator('#form-errors li').count(), Object.keys(expected).length, 'only the wrong fields are listed');
    // The summary follows the order of the form.
    const order = await page.locator('#form-errors a').evaluateAll((as) => as.map((a) => a.getAttribute('href').slice(1)));
    assert.deepEqual(order, ['debtor-fiscalCode', 'f-codiceFiscaleAlunno', 'f-anno', 'amount', 'privacy']);
    // What was typed is kept.
    assert.equal(await page.inputValue('#debtor-fullName'), 'Mario Rossi');
    assert.equal(await page.inputValue('#f-alunno'), 'Giulia Rossi');
    assert.equal(await page.inputValue('#f-scuola'), 'primaria-collodi');
    assert.equal(await page.inputValue('#amount'), '1,00');

    // Corrected: the position is created and its summary shown.
    await fillSpontaneousForm(page, MENSA_FORM);
    const accepted = await submit(page);
    assert.equal(accepted.status(), 200);
    await page.waitForSelector('#summary');
    assert.equal(await text(page, 'h1'), 'Riepilogo');
    assert.equal(await text(page, '#step'), 'Passo 3 di 3');
    const notice = await text(page, '#s-notice');
    assert.match(notice, NOTICE);
    assert.match(await text(page, '#s-ec'), /^Comune di Prova/);
    assert.equal(await text(page, '#s-service'), 'Ricarica mensa Giulia Rossi - Primaria C. Collodi');
    assert.equal(await text(page, '#s-holder'), 'Mario Rossi');
    assert.equal(await text(page, '#s-amount'), '25,50 €');
    assert.equal(await text(page, '#s-status'), 'Da pagare');

    // Reloading the summary sends the same form again: the same notice.
    await page.reload();
    await page.waitForSelector('#summary');
    assert.equal(await text(page, '#s-notice'), notice, 'a reload does not create a second position');

    // Stampa avviso: the PDF, the page stays on the summary.
    const avviso = await download(page, () => page.click('#print'));
    assertPdf(avviso.bytes, 'avviso', 5 * 1024);
    assert.equal(avviso.name, `avviso-${digits(notice)}.pdf`);
    assert.ok(await page.isVisible('#pay'));

    // Paga: cart, Checkout, outcome, receipt.
    await payFromSummaryToCheckout(page, 'mario.rossi@example.com');
    assert.equal(await text(page, '#total'), '25,50 €');
    assert.match(await text(page, 'tbody'), new RegExp(digits(notice)));
    await payAtCheckout(page);
    assert.match(await text(page, '#outcome-items'), new RegExp(`${notice}.*25,50 €.*Pagato`));
    const receipt = await download(page, () => page.getByRole('button', { name: /Scarica la ricevuta/ }).click());
    assertPdf(receipt.bytes, 'receipt');
    assert.equal(receipt.name, `ricevuta-${digits(notice)}.pdf`);
  });
});

test('back from the summary and the same data sent again: the same notice; other data: another one', { timeout: 60_000 }, async () => {
  await withPage(browser, 'spontaneous back and resubmit', async (page) => {
    await page.goto(SERVICES.mensa.path);
    await fillSpontaneousForm(page, { ...MENSA_FORM, amount: '12,00' });
    await submit(page);
    await page.waitForSelector('#summary');
    const first = await text(page, '#s-notice');
    assert.match(first, NOTICE);

    await page.goBack();
    await page.waitForSelector('#continue');
    // The browser may or may not restore what was typed: type it again.
    await fillSpontaneousForm(page, { ...MENSA_FORM, amount: '12,00' });
    await submit(page);
    await page.waitForSelector('#summary');
    assert.equal(await text(page, '#s-notice'), first, 'the same form sent twice makes one position');

    await page.goBack();
    await page.waitForSelector('#continue');
    await fillSpontaneousForm(page, { ...MENSA_FORM, amount: '13,00' });
    await submit(page);
    await page.waitForSelector('#summary');
    assert.notEqual(await text(page, '#s-notice'), first, 'changed data make a new position');
    assert.equal(await text(page, '#s-amount'), '13,00 €');
  });
});

test('a fixed-amount service: no amount to type, a legal person as debtor', { timeout: 60_000 }, async () => {
  await withPage(browser, 'spontaneous fixed amount', async (page) => {
    await page.goto('/pagamento-spontaneo?q=certificati');
    await page.getByRole('link', { name: new RegExp(`^Compila il modulo\\s?: ${SERVICES.cert.name}$`) }).click();
    await page.waitForURL(`${PORTAL}${SERVICES.cert.path}`);
    assert.match(await text(page, '#amount-rule'), /16,00 €/);
    assert.equal(await page.locator('#amount').count(), 0, 'a fixed amount is not typed');
    await fillSpontaneousForm(page, {
      type: 'G',
      fiscalCode: '01234567897',
      fullName: 'Esempio Servizi S.r.l.',
      fields: { tipoCertificato: 'residenza', richiedente: 'Mario Rossi' },
      privacy: true,
    });
    await submit(page);
    await page.waitForSelector('#summary');
    assert.equal(await text(page, '#s-amount'), '16,00 €');
    assert.equal(await text(page, '#s-holder'), 'Esempio Servizi S.r.l.');
    assert.equal(await text(page, '#s-service'), 'Certificato di residenza - Mario Rossi');
    await payFromSummaryToCheckout(page, 'ufficio@example.com');
    assert.equal(await text(page, '#total'), '16,00 €');
    assert.ok(page.url().startsWith(`${SIMULATOR}/checkout/carts/`));
  });
});

test('a search that matches nothing says so; a search by EC lists only its services', { timeout: 60_000 }, async () => {
  await withPage(browser, 'spontaneous search', async (page) => {
    await page.goto('/pagamento-spontaneo');
    await page.fill('#q', 'zzz-nessun-servizio');
    await page.click('#search');
    await page.waitForSelector('#no-services');
    assert.equal(await text(page, '#no-services'), 'Nessun servizio corrisponde alla ricerca.');
    assert.equal(await text(page, '#services-count'), '0 servizi trovati');
    assert.equal(await page.locator('.service-card').count(), 0);

    await page.fill('#q', 'Borgo Esempio');
    await page.click('#search');
    await page.waitForURL(/\?q=Borgo(\+|%20)Esempio$/);
    const ecs = await page.locator('main section h2').allTextContents();
    assert.deepEqual(ecs.map((s) => s.trim()), ['Comune di Borgo Esempio']);
    assert.ok((await page.locator('.service-card').count()) >= 1);
  });
});

test('an unknown service is "Pagina non trovata"', { timeout: 30_000 }, async () => {
  await withPage(browser, 'spontaneous unknown service', async (page) => {
    const response = await page.goto(`/pagamento-spontaneo/${SERVICES.mensa.ec}/NOPE`);
    assert.equal(response.status(), 404);
    assert.equal(await text(page, 'h1'), 'Pagina non trovata');
    // TARI is in the catalogue but not offered for spontaneous payment.
    const tari = await page.goto(`/pagamento-spontaneo/${SERVICES.mensa.ec}/TARI`);
    assert.equal(tari.status(), 404);
  });
});
