// What the citizen sees when something is wrong: a malformed code, a notice
// that is expired, cancelled or already paid.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO, assertPdf, download, launch, lookUpNotice, withPage, tick } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const text = async (page, sel) => ((await page.textContent(sel)) ?? '').replace(/\s+/g, ' ').trim();

async function submitNoticeForm(page, notice, fiscalCode) {
  await page.goto('/pagamento-avviso');
  await page.fill('#notice', notice);
  await page.fill('#fiscalCode', fiscalCode);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/pagamento-avviso') && r.request().method() === 'POST'),
    page.click('#continue'),
  ]);
  await page.waitForLoadState();
  return response;
}

test('a malformed notice code: inline error tied to the field, typed values kept', { timeout: 60_000 }, async () => {
  await withPage(browser, 'malformed notice', async (page) => {
    const typed = '3019 0000 0000 0001 8';
    const response = await submitNoticeForm(page, typed, DEMO.payable.cf);
    assert.equal(response.status(), 422);
    assert.equal(await text(page, 'h1'), 'Pagamento con avviso', 'still on the form');
    assert.ok(await page.isVisible('#form-errors'), 'the summary of errors is shown');
    assert.ok(await page.isVisible('#notice-error'), 'the error is next to the field');
    assert.ok((await text(page, '#notice-error')).length > 0);
    const describedBy = ((await page.getAttribute('#notice', 'aria-describedby')) ?? '').split(/\s+/);
    assert.ok(describedBy.includes('notice-error'), `aria-describedby="${describedBy.join(' ')}" does not point to the error`);
    assert.equal(await page.inputValue('#notice'), typed, 'the typed notice code is kept');
    assert.equal(await page.inputValue('#fiscalCode'), DEMO.payable.cf, 'the typed fiscal code is kept');
    assert.equal(await page.locator('#cf-error').count(), 0, 'no error on a valid fiscal code');
  });
});

test('a wrong check digit and a malformed fiscal code: both fields flagged', { timeout: 60_000 }, async () => {
  await withPage(browser, 'bad check digit', async (page) => {
    const response = await submitNoticeForm(page, '3019 0000 0000 0001 81', 'RSSMRA85T10A562X');
    assert.equal(response.status(), 422);
    assert.ok(await page.isVisible('#notice-error'));
    assert.ok(await page.isVisible('#cf-error'));
    const describedBy = ((await page.getAttribute('#fiscalCode', 'aria-describedby')) ?? '').split(/\s+/);
    assert.ok(describedBy.includes('cf-error'), `aria-describedby="${describedBy.join(' ')}"`);
    assert.equal(await page.inputValue('#fiscalCode'), 'RSSMRA85T10A562X');
  });
});

test('a notice that is not the debtor\'s: "nessun avviso corrisponde", no details leaked', { timeout: 60_000 }, async () => {
  await withPage(browser, 'notice of someone else', async (page) => {
    await submitNoticeForm(page, DEMO.payable.notice, DEMO.expired.cf);
    assert.match(await text(page, '#notice-error'), /nessun avviso corrisponde/i);
    assert.equal(await page.locator('#full-name').count(), 0);
    assert.doesNotMatch(await text(page, 'main'), /Mario Rossi/);
  });
});

test('an expired notice: the summary says so and offers no Paga', { timeout: 60_000 }, async () => {
  await withPage(browser, 'expired notice', async (page) => {
    await lookUpNotice(page, DEMO.expired.notice, DEMO.expired.cf);
    assert.equal(await text(page, '#s-status'), 'Scaduto');
    assert.match(await text(page, '#status-text'), /scaduto/);
    assert.equal(await page.locator('#pay').count(), 0, 'no Paga button');
    assert.equal(await page.locator('#receipt').count(), 0);
  });
});

test('a cancelled notice (legal person): the summary says it is cancelled', { timeout: 60_000 }, async () => {
  await withPage(browser, 'cancelled notice', async (page) => {
    await page.goto('/pagamento-avviso');
    await page.fill('#notice', DEMO.cancelled.notice);
    await page.fill('#fiscalCode', DEMO.cancelled.cf);
    await page.click('#continue');
    await page.waitForSelector('#subject-type');
    assert.equal(await text(page, '#subject-type'), 'Persona giuridica');
    assert.equal(await text(page, '#full-name'), 'Esempio Servizi S.r.l.');
    await tick(page, 'privacy');
    await page.click('#proceed');
    await page.waitForSelector('#summary');
    assert.equal(await text(page, '#s-status'), 'Annullato');
    assert.match(await text(page, '#status-text'), /annullato/);
    assert.equal(await page.locator('#pay').count(), 0, 'no Paga button');
    assert.equal(await page.locator('#print').count(), 0, 'no Stampa avviso');
  });
});

test('a paid notice: the summary offers the receipt, which downloads', { timeout: 60_000 }, async () => {
  await withPage(browser, 'paid notice', async (page) => {
    await lookUpNotice(page, DEMO.paid.notice, DEMO.paid.cf);
    assert.equal(await text(page, '#s-status'), 'Pagato');
    assert.match(await text(page, '#status-text'), /già pagato/);
    assert.equal(await page.locator('#pay').count(), 0, 'no Paga button');
    assert.equal(await text(page, '#receipt'), 'Scarica la ricevuta');
    const receipt = await download(page, () => page.click('#receipt'));
    assertPdf(receipt.bytes, 'receipt of the demo paid notice');
  });
});
