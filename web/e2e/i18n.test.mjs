// English: ?lang=en (or the header's language link) switches the texts, and the choice sticks.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PORTAL, SERVICES, createPosition, launch, lookUpNotice, text, withPage } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

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

test('spontaneous payments in English: the list, the search, a form and its errors', { timeout: 60_000 }, async () => {
  await withPage(browser, 'english spontaneous', async (page) => {
    await page.goto('/pagamento-spontaneo?lang=en');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await text(page, 'h1'), 'Spontaneous payment');
    assert.equal(await text(page, '#step'), 'Step 1 of 3 · Choose the service');
    assert.equal(await text(page, 'label[for="q"]'), 'Search for a service');
    assert.equal(await text(page, '#search'), 'Search');
    assert.match(await text(page, '#services-count'), /^\d+ services found$/);
    const names = (await page.locator('.service-card .card-title').allTextContents()).map((s) => s.trim());
    assert.ok(names.includes('School canteen top-up'), `English service names: ${names.join(', ')}`);
    assert.ok(!names.includes('Ricarica mensa scolastica'), 'no Italian service name');
    assert.match(await text(page, 'main'), /Free amount from €5\.00 to €500\.00/);

    // The search works on the English texts.
    await page.fill('#q', 'canteen');
    await page.click('#search');
    await page.waitForURL(`${PORTAL}/pagamento-spontaneo?q=canteen`);
    assert.equal(await text(page, '#services-count'), '1 service found');
    await page.fill('#q', 'zzz');
    await page.click('#search');
    await page.waitForSelector('#no-services');
    assert.equal(await text(page, '#no-services'), 'No service matches your search.');

    await page.goto(SERVICES.mensa.path);
    assert.equal(await text(page, 'h1'), 'School canteen top-up');
    assert.equal(await page.getByRole('combobox', { name: /^School\s*\(required\)$/ }).count(), 1, 'the select is named in English');
    assert.equal(await text(page, 'label[for="debtor-type-F"]'), 'Natural person');
    assert.equal(await text(page, '#continue'), 'Continue');
    // Server-side errors (the privacy box unticked) in English.
    await page.fill('#debtor-fiscalCode', 'RSSMRA85T10A562S');
    await page.fill('#debtor-fullName', 'Mario Rossi');
    await page.fill('#f-alunno', 'Giulia Rossi');
    await page.fill('#f-codiceFiscaleAlunno', 'XYZ');
    await page.selectOption('#f-scuola', 'primaria-collodi');
    await page.fill('#amount', '1.00');
    await Promise.all([page.waitForNavigation(), page.click('#continue')]);
    assert.match(await text(page, '#form-errors'), /^Please correct the fields below/);
    assert.equal(await text(page, '#amount-error'), 'Minimum amount: €5.00');
    for (const sel of ['#f-codiceFiscaleAlunno-error', '#amount-error', '#privacy-error']) {
      const message = await text(page, sel);
      assert.notEqual(message, '', sel);
      assert.doesNotMatch(message, /\b(il|deve|cifre|caratteri|importo|minimo|occorre)\b/i, `${sel} is in Italian on the English page: "${message}"`);
    }
  });
});

test('the login page and the identity provider round trip in English', { timeout: 60_000 }, async () => {
  await withPage(browser, 'english login', async (page) => {
    await page.goto('/accesso?lang=en');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await text(page, 'h1'), 'Log in to the reserved area');
    assert.equal(await text(page, '#login-spid'), 'Log in with SPID');
    assert.equal(await text(page, '#login-cie'), 'Log in with CIE');
    assert.equal(await text(page, '#dev-idp'), 'Development environment: login uses a test identity provider.');
    assert.equal(await text(page, '#public-services'), 'Services without login');
    // Cancelled at the provider: the message in English too (the language sticks).
    await page.click('#login-spid');
    await page.getByRole('button', { name: 'Annulla' }).click();
    await page.waitForURL(`${PORTAL}/accesso?esito=annullato`);
    assert.equal(await text(page, '#login-message'), 'Login cancelled.');
  });
});
