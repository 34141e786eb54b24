// Recovering the receipt of a paid notice on /ricevuta: XML, PDF, and the errors.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  DEMO,
  PORTAL,
  assertPdf,
  createPosition,
  download,
  launch,
  payThroughSimulator,
  waitForReceipt,
  withPage,
  tick,
} from './helpers.mjs';

let browser;
let paid;
before(async () => {
  browser = await launch();
  // A notice paid through the simulator (Checkout + Nodo: verify, activate, receipt).
  paid = await createPosition({ amountCents: 4200, description: 'Ricevuta e2e' });
  const { result } = await payThroughSimulator(paid.notice, paid.fiscalCode, { email: 'payer@example.com' });
  assert.equal(result.outcome, 'ok', JSON.stringify(result));
  await waitForReceipt(paid.notice, paid.fiscalCode);
});
after(async () => {
  await browser?.close();
});

const text = async (page, sel) => ((await page.textContent(sel)) ?? '').replace(/\s+/g, ' ').trim();

async function fillReceiptForm(page, notice, fiscalCode, format) {
  await page.goto('/ricevuta');
  assert.equal(await text(page, 'h1'), 'Recupera ricevuta telematica');
  await page.fill('#notice', notice);
  await page.fill('#fiscalCode', fiscalCode);
  if (format === 'xml') await tick(page, 'format-xml');
  if (format === 'pdf') await tick(page, 'format-pdf');
}

test('recover a receipt as XML: the pagoPA receipt', { timeout: 60_000 }, async () => {
  await withPage(browser, 'receipt xml', async (page) => {
    await page.goto('/');
    await page.getByRole('link', { name: 'Recupera ricevuta' }).click();
    await page.waitForURL(`${PORTAL}/ricevuta`);
    await fillReceiptForm(page, paid.noticeGrouped, paid.fiscalCode, 'xml');
    const xml = await download(page, () => page.click('#download'));
    const body = xml.bytes.toString('utf8');
    assert.equal(xml.name, `ricevuta-${paid.notice}.xml`);
    assert.match(body, /<receiptId>[^<]+<\/receiptId>/, `no <receiptId> in ${body.slice(0, 300)}`);
    assert.ok(body.includes(`<noticeNumber>${paid.notice}</noticeNumber>`), 'the receipt names the notice');
  });
});

test('recover a receipt as PDF (fiscal code in lower case)', { timeout: 60_000 }, async () => {
  await withPage(browser, 'receipt pdf', async (page) => {
    await fillReceiptForm(page, paid.notice, paid.fiscalCode.toLowerCase(), 'pdf');
    const pdf = await download(page, () => page.click('#download'));
    assertPdf(pdf.bytes, 'receipt', 1024);
    assert.equal(pdf.name, `ricevuta-${paid.notice}.pdf`);
  });
});

test('a fiscal code that is not the debtor\'s: "nessuna ricevuta corrisponde", values kept', { timeout: 60_000 }, async () => {
  await withPage(browser, 'receipt wrong cf', async (page) => {
    await fillReceiptForm(page, paid.noticeGrouped, DEMO.expired.cf, 'pdf');
    await page.click('#download');
    await page.waitForSelector('#form-errors');
    assert.match(await text(page, '#form-errors'), /nessuna ricevuta corrisponde/i);
    assert.equal(await page.inputValue('#notice'), paid.noticeGrouped);
    assert.equal(await page.inputValue('#fiscalCode'), DEMO.expired.cf);
  });
});

test('an unpaid notice has no receipt', { timeout: 60_000 }, async () => {
  const unpaid = await createPosition();
  await withPage(browser, 'receipt unpaid', async (page) => {
    await fillReceiptForm(page, unpaid.notice, unpaid.fiscalCode, 'xml');
    await page.click('#download');
    await page.waitForSelector('#form-errors');
    assert.match(await text(page, '#form-errors'), /nessuna ricevuta corrisponde/i);
  });
});

test('a malformed notice code on the receipt form: inline error, value kept', { timeout: 60_000 }, async () => {
  await withPage(browser, 'receipt malformed', async (page) => {
    await fillReceiptForm(page, '1234', paid.fiscalCode, 'pdf');
    await page.click('#download');
    await page.waitForSelector('#notice-error');
    assert.ok((await text(page, '#notice-error')).length > 0);
    assert.match((await page.getAttribute('#notice', 'aria-describedby')) ?? '', /\bnotice-error\b/);
    assert.equal(await page.inputValue('#notice'), '1234');
  });
});
