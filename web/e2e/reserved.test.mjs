// The reserved area in the browser: login through the development identity
// provider (the simulator plays the SPID/CIE gateway), the citizen's three
// lists, paying one of their notices, its receipt, logout; a cancelled login.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  PORTAL,
  SIMULATOR,
  USERS,
  assertPdf,
  createPosition,
  download,
  grouped,
  italianDate,
  launch,
  login,
  payAtCheckout,
  payFromSummaryToCheckout,
  payThroughSimulator,
  text,
  waitForReceipt,
  withPage,
} from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** `GET /api/v1/me/positions` from the page, with the page's cookies. */
async function myPositions(page) {
  return page.evaluate(async () => {
    const r = await fetch('/api/v1/me/positions', { headers: { accept: 'application/json' } });
    return { status: r.status, body: await r.text() };
  });
}

const row = (section, notice) => `#${section} tr[data-notice="${notice}"]`;

test('reserved area: login, the three lists, pay a notice, its receipt, logout', { timeout: 180_000 }, async () => {
  const luca = USERS.luca;
  const debtor = { fiscalCode: luca.cf, fullName: luca.name };
  const payable = await createPosition({ ...debtor, amountCents: 4200, description: 'E2E area riservata da pagare', dueInDays: 30 });
  const expired = await createPosition({
    ...debtor,
    amountCents: 1300,
    description: 'E2E area riservata scaduto',
    dueInDays: -10,
    switchToExpired: true,
  });
  const paid = await createPosition({ ...debtor, amountCents: 900, description: 'E2E area riservata pagato' });
  await payThroughSimulator(paid.notice, paid.fiscalCode);
  await waitForReceipt(paid.notice, paid.fiscalCode);

  await withPage(browser, 'reserved area', async (page, context) => {
    // Home → Area riservata → the login page (no session yet).
    await page.goto('/');
    await page.click('#reserved-area');
    await page.waitForURL(`${PORTAL}/accesso`);
    assert.equal(await text(page, 'h1'), "Accedi all'area riservata");
    assert.ok(await page.isVisible('#dev-idp'), 'the development identity provider is announced');
    assert.equal(await page.locator('#login-message').count(), 0);
    assert.equal(await text(page, '#login-spid'), 'Entra con SPID');
    assert.equal(await text(page, '#login-cie'), 'Entra con CIE');

    // SPID → the development identity provider → back, logged in.
    await page.click('#login-spid');
    await page.waitForURL(`${SIMULATOR}/oidc/authorize?**`);
    const authorize = new URL(page.url());
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256', 'PKCE');
    assert.ok(authorize.searchParams.get('state') && authorize.searchParams.get('nonce'), 'state and nonce');
    assert.equal(authorize.searchParams.get('redirect_uri'), `${PORTAL}/accesso/callback`);
    for (const u of Object.values(USERS)) {
      assert.equal(await page.getByRole('button', { name: `Entra come ${u.name} (${u.cf})` }).count(), 1, u.name);
    }
    await page.getByRole('button', { name: `Entra come ${luca.name} (${luca.cf})` }).click();
    await page.waitForURL(`${PORTAL}/area-riservata`);
    assert.equal(await text(page, 'h1'), 'Le mie posizioni');
    assert.equal(await text(page, '#logged-in-as'), `Accesso effettuato come ${luca.name} (SPID)`);
    const session = (await context.cookies()).find((c) => /session$/.test(c.name));
    assert.ok(session, 'a session cookie is set');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Lax');

    // The three lists, each with its own notice.
    assert.equal(await text(page, '#da-pagare h2'), 'Da pagare');
    assert.equal(await text(page, '#scaduti h2'), 'Scaduti');
    assert.equal(await text(page, '#pagati h2'), 'Pagati');
    assert.match(await text(page, row('da-pagare', payable.notice)), new RegExp(`${payable.noticeGrouped}.*42,00 €.*${italianDate(payable.dueDate)}`));
    assert.match(await text(page, row('da-pagare', payable.notice)), /E2E area riservata da pagare/);
    assert.match(await text(page, row('scaduti', expired.notice)), new RegExp(`${expired.noticeGrouped}.*13,00 €.*${italianDate(expired.dueDate)}`));
    assert.match(await text(page, row('pagati', paid.notice)), new RegExp(`${paid.noticeGrouped}.*9,00 €`));
    for (const [section, notice] of [['scaduti', payable.notice], ['pagati', payable.notice], ['da-pagare', expired.notice], ['da-pagare', paid.notice]]) {
      assert.equal(await page.locator(row(section, notice)).count(), 0, `${notice} is not in #${section}`);
    }
    // Nobody else's notices: the demo ones are Mario's and Chiara's.
    assert.doesNotMatch(await text(page, 'main'), /3019 0000 0000 000/);

    // The same lists as JSON, with the session cookie.
    const api = await myPositions(page);
    assert.equal(api.status, 200, api.body);
    const mine = JSON.parse(api.body);
    assert.ok(mine.toPay.some((e) => e.noticeNumber === payable.notice));
    assert.ok(mine.expired.some((e) => e.noticeNumber === expired.notice));
    assert.ok(mine.paid.some((e) => e.noticeNumber === paid.notice));

    // Dettagli → the notice's summary, with Paga and Stampa avviso.
    await page.locator(row('da-pagare', payable.notice)).getByRole('link', { name: /Dettagli/ }).click();
    await page.waitForURL(`${PORTAL}/area-riservata/avvisi/${payable.notice}`);
    assert.equal(await text(page, '#s-notice'), payable.noticeGrouped);
    assert.equal(await text(page, '#s-holder'), luca.name);
    assert.equal(await text(page, '#s-amount'), '42,00 €');
    assert.equal(await text(page, '#s-status'), 'Da pagare');
    assert.ok(await page.isVisible('#print'), 'Stampa avviso is offered');

    // Paga → cart → Checkout → outcome.
    await payFromSummaryToCheckout(page, 'luca.bianchi@example.com');
    assert.equal(await text(page, '#total'), '42,00 €');
    await payAtCheckout(page);
    assert.match(await text(page, '#outcome-items'), new RegExp(`${payable.noticeGrouped}.*42,00 €.*Pagato`));

    // Back in the reserved area the notice is among the paid ones.
    await page.goto('/area-riservata');
    assert.equal(await page.locator(row('da-pagare', payable.notice)).count(), 0, 'no longer to pay');
    const paidRow = page.locator(row('pagati', payable.notice));
    assert.match(await paidRow.textContent(), new RegExp(`42,00 €`));
    const pdf = await download(page, () => paidRow.locator('.receipt-pdf').click());
    assertPdf(pdf.bytes, 'receipt');
    assert.equal(pdf.name, `ricevuta-${payable.notice}.pdf`);
    const xml = await download(page, () => paidRow.locator('.receipt-xml').click());
    assert.equal(xml.name, `ricevuta-${payable.notice}.xml`);
    assert.ok(xml.bytes.toString('utf8').includes(`<noticeNumber>${payable.notice}</noticeNumber>`), 'the XML receipt names the notice');
    assert.equal(page.url(), `${PORTAL}/area-riservata`, 'the downloads leave the page where it was');

    // A paid notice's page offers the receipt instead of Paga.
    await page.goto(`/area-riservata/avvisi/${payable.notice}`);
    assert.equal(await text(page, '#s-status'), 'Pagato');
    assert.equal(await page.locator('#pay').count(), 0);
    assert.ok(await page.isVisible('#receipt'));

    // Esci: the session ends on the server, not only in the browser.
    await page.goto('/area-riservata');
    await page.click('#logout');
    await page.waitForURL(`${PORTAL}/accesso?esito=uscito`);
    assert.equal(await text(page, '#login-message'), "Sei uscito dall'area riservata.");
    await page.goto('/area-riservata');
    assert.equal(page.url(), `${PORTAL}/accesso`, 'after logout the reserved area asks to log in');
    assert.equal((await myPositions(page)).status, 401);
    // The old cookie, put back, is worth nothing.
    await context.addCookies([session]);
    assert.equal((await myPositions(page)).status, 401, 'the old session cookie no longer works');
    await page.goto('/area-riservata');
    assert.equal(page.url(), `${PORTAL}/accesso`);
    await page.click('#public-services');
    await page.waitForURL(`${PORTAL}/`);
  });
});

test('cancel at the identity provider: back at the login page, "Accesso annullato"', { timeout: 60_000 }, async () => {
  await withPage(browser, 'login cancelled', async (page, context) => {
    await page.goto('/accesso');
    await page.click('#login-cie');
    await page.waitForURL(`${SIMULATOR}/oidc/authorize?**`);
    assert.match(await text(page, 'body'), /accesso con CIE/);
    await page.getByRole('button', { name: 'Annulla' }).click();
    await page.waitForURL(`${PORTAL}/accesso?esito=annullato`);
    assert.equal(await text(page, '#login-message'), 'Accesso annullato.');
    assert.equal((await context.cookies()).filter((c) => /session$/.test(c.name)).length, 0, 'no session');
    assert.equal((await myPositions(page)).status, 401);
    // And one can try again.
    assert.ok(await page.isVisible('#login-spid'));
  });
});

test('without a session: the pages send to the login page, the API answers 401', { timeout: 60_000 }, async () => {
  const pos = await createPosition({ fiscalCode: USERS.luca.cf, fullName: USERS.luca.name });
  await withPage(browser, 'no session', async (page) => {
    await page.goto('/area-riservata');
    assert.equal(page.url(), `${PORTAL}/accesso`);
    // A reserved-area page asked for is where the login lands afterwards.
    const asked = `/area-riservata/avvisi/${pos.notice}`;
    await page.goto(asked);
    assert.equal(page.url(), `${PORTAL}/accesso?torna=${asked}`);
    await page.click('#login-spid');
    await page.waitForURL(`${SIMULATOR}/oidc/authorize?**`);
    await page.getByRole('button', { name: `Entra come ${USERS.luca.name} (${USERS.luca.cf})` }).click();
    await page.waitForURL(`${PORTAL}${asked}`);
    assert.ok(await page.locator('#pay').isVisible(), 'the notice asked for, payable');
    await page.click('#back-to-my-positions');
    await page.waitForURL(`${PORTAL}/area-riservata`);
    await page.click('#logout');
    await page.waitForURL(`${PORTAL}/accesso?esito=uscito`);
    const api = await myPositions(page);
    assert.equal(api.status, 401);
    assert.match(api.body, /"status":\s*401/);
  });
});

test("a citizen cannot open someone else's notice in the reserved area", { timeout: 60_000 }, async () => {
  const marios = await createPosition({ description: 'E2E di Mario' });
  await withPage(browser, 'others notice', async (page) => {
    await login(page, USERS.chiara);
    assert.equal(await page.locator(`tr[data-notice="${marios.notice}"]`).count(), 0);
    const response = await page.goto(`/area-riservata/avvisi/${marios.notice}`);
    assert.equal(response.status(), 404);
    const body = await text(page, 'main');
    assert.doesNotMatch(body, /Mario Rossi|E2E di Mario|150,50/, 'nothing of the notice leaks');
    assert.doesNotMatch(body, new RegExp(grouped(marios.notice)));
  });
});
