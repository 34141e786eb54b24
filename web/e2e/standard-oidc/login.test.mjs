// Login through a standard OpenID Connect provider (node-oidc-provider,
// tests/oidc-provider) instead of the development one: it delivers the fiscal
// code and the names from UserInfo only, as SPID and CIE OpenID Connect
// providers do; plain JSON or a signed JWT depending on the client
// (OIDC_CLIENT_ID). Started by web/e2e/standard-oidc.sh, one stack per client.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO, PORTAL, USERS, launch, text, withPage } from '../helpers.mjs';

const PROVIDER = process.env.OIDC_PROVIDER_URL;
const CLIENT = process.env.OIDC_CLIENT_ID;
if (!PROVIDER || !CLIENT) throw new Error('OIDC_PROVIDER_URL and OIDC_CLIENT_ID are not set: run web/e2e/standard-oidc.sh');

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test(`standard provider (${CLIENT}): login with the fiscal code from UserInfo, the reserved area, logout`, { timeout: 90_000 }, async () => {
  const mario = USERS.mario;
  await withPage(browser, `standard provider ${CLIENT}`, async (page) => {
    await page.goto('/accesso');
    assert.equal(await page.locator('#dev-idp').count(), 0, 'no development provider announced');

    // The portal → the provider's authorization endpoint → its login page.
    const authorize = page.waitForRequest((r) => r.url().startsWith(`${PROVIDER}/auth?`));
    await page.click('#login-spid');
    const url = new URL((await authorize).url());
    assert.equal(url.searchParams.get('client_id'), CLIENT);
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(url.searchParams.get('acr_values'), 'https://www.spid.gov.it/SpidL2');
    const claims = JSON.parse(url.searchParams.get('claims'));
    assert.deepEqual(claims.userinfo['https://attributes.eid.gov.it/fiscal_number'], { essential: true });
    assert.ok('family_name' in claims.id_token && 'given_name' in claims.userinfo);
    await page.waitForURL(`${PROVIDER}/interaction/**`);

    await page.fill('#fiscal-code', mario.cf);
    await page.getByRole('button', { name: 'Accedi' }).click();
    await page.waitForURL(`${PORTAL}/area-riservata`);
    assert.equal(await text(page, 'h1'), 'Le mie posizioni');
    assert.equal(await text(page, '#logged-in-as'), `Accesso effettuato come ${mario.name} (SPID)`);
    // Mario's demo notice: the fiscal code is the one UserInfo gave.
    assert.match(await text(page, '#da-pagare'), new RegExp(DEMO.payable.notice));

    // Esci: the portal, then the provider's own logout, back to the portal.
    await page.click('#logout');
    await page.waitForURL(`${PROVIDER}/session/end**`);
    await page.getByRole('button', { name: 'Sì, esci' }).click();
    await page.waitForURL(`${PORTAL}/accesso?esito=uscito`);
    assert.equal(await text(page, '#login-message'), "Sei uscito dall'area riservata.");
    await page.goto('/area-riservata');
    assert.equal(page.url(), `${PORTAL}/accesso`, 'after logout the reserved area asks to log in');
  });
});

test(`standard provider (${CLIENT}): an invalid fiscal code is refused by the provider`, { timeout: 60_000 }, async () => {
  await withPage(browser, `standard provider ${CLIENT} invalid`, async (page) => {
    await page.goto('/accesso');
    await page.click('#login-cie');
    await page.waitForURL(`${PROVIDER}/interaction/**`);
    await page.fill('#fiscal-code', 'NON-VALIDO');
    await page.getByRole('button', { name: 'Accedi' }).click();
    assert.equal(await text(page, '[role=alert]'), 'Codice fiscale non valido.');
  });
});
