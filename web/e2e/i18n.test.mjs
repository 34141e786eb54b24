// English: ?lang=en (or the header's language link) switches the texts, and the choice sticks.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PORTAL, createPosition, launch, lookUpNotice, withPage } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const text = async (page, sel) => ((await page.textContent(sel)) ?? '').replace(/\s+/g, ' ').trim();

test('?lang=en shows the pages in English, and the choice is remembered', { timeout: 60_000 }, async () => {
  await withPage(browser, 'english', async (page) => {
    const response = await page.goto('/?lang=en');
    assert.equal(response.headers()['content-language'], 'en');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await text(page, 'h1'), 'Payments portal');
    assert.equal(await text(page, 'main h2'), 'Services without login');

    await page.getByRole('link', { name: 'Pay a notice' }).click();
    await page.waitForURL(`${PORTAL}/pagamento-avviso`);
    assert.equal(await text(page, 'h1'), 'Pay a notice', 'the language sticks without ?lang');
    assert.equal(await text(page, 'label[for="notice"]'), 'Notice code');
    assert.equal(await text(page, '#continue'), 'Continue');

    await page.goto('/ricevuta');
    assert.equal(await text(page, 'h1'), 'Get a payment receipt');

    await page.goto('/?lang=it');
    assert.equal(await page.getAttribute('html', 'lang'), 'it');
    assert.equal(await text(page, 'h1'), 'Portale dei pagamenti');
  });
});

test('the header link switches language on the page the user is on', { timeout: 60_000 }, async () => {
  await withPage(browser, 'language link', async (page) => {
    await page.goto('/privacy');
    assert.equal(await text(page, 'h1'), 'Informativa privacy');
    await page.getByRole('link', { name: 'English' }).click();
    await page.waitForURL(`${PORTAL}/privacy?lang=en`);
    assert.equal(await text(page, 'h1'), 'Privacy notice');
    await page.getByRole('link', { name: 'Italiano' }).click();
    await page.waitForURL(`${PORTAL}/privacy?lang=it`);
    assert.equal(await text(page, 'h1'), 'Informativa privacy');
  });
});

test('the summary in English: labels, amount and state', { timeout: 60_000 }, async () => {
  const pos = await createPosition({ amountCents: 15050 });
  await withPage(browser, 'english summary', async (page) => {
    await lookUpNotice(page, pos.notice, pos.fiscalCode, { lang: 'en' });
    assert.equal(await text(page, 'h1'), 'Summary');
    assert.equal(await text(page, '#s-amount'), '€150.50');
    assert.equal(await text(page, '#s-status'), 'To be paid');
    assert.equal(await text(page, '#pay'), 'Pay');
  });
});

test('form errors in English are in English', { timeout: 60_000 }, async () => {
  await withPage(browser, 'english errors', async (page) => {
    await page.goto('/pagamento-avviso?lang=en');
    await page.fill('#notice', '123');
    await page.fill('#fiscalCode', 'XYZ');
    await page.click('#continue');
    await page.waitForSelector('#notice-error');
    assert.equal(await text(page, '#form-errors'), 'Please correct the fields below');
    for (const sel of ['#notice-error', '#cf-error']) {
      const message = await text(page, sel);
      assert.doesNotMatch(message, /\b(il|deve|cifre|caratteri|nessun)\b/, `${sel} is in Italian on the English page: "${message}"`);
    }
  });
});
