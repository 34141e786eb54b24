// Security of the pages: headers, CSRF protection of every form, cookies, no CSP violations.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO, SIMULATOR, createPosition, launch, lookUpNotice, withPage } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('pages carry the security headers, with a strict CSP', { timeout: 60_000 }, async () => {
  await withPage(browser, 'security headers', async (page) => {
    for (const path of ['/', '/pagamento-avviso', '/ricevuta', '/carrello', '/privacy']) {
      const response = await page.goto(path);
      assert.equal(response.status(), 200, path);
      const h = response.headers();
      const csp = h['content-security-policy'] ?? '';
      assert.match(csp, /(^|;)\s*script-src 'self'\s*(;|$)/, `${path}: CSP ${csp}`);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, `${path}: CSP ${csp}`);
      assert.match(csp, /frame-ancestors 'none'/, `${path}: CSP ${csp}`);
      assert.ok(csp.includes(new URL(SIMULATOR).origin), `${path}: form-action must allow Checkout (${csp})`);
      assert.equal(h['x-content-type-options'], 'nosniff', path);
      assert.equal(h['x-frame-options'], 'DENY', path);
      assert.equal(h['cache-control'], 'no-store', path);
    }
  });
});

test('the CSRF cookie is HttpOnly and SameSite', { timeout: 60_000 }, async () => {
  await withPage(browser, 'csrf cookie', async (page, context) => {
    await page.goto('/pagamento-avviso');
    const csrf = (await context.cookies()).find((c) => /csrf$/.test(c.name));
    assert.ok(csrf, 'a CSRF cookie is set');
    assert.equal(csrf.httpOnly, true);
    assert.equal(csrf.sameSite, 'Lax');
    assert.equal(await page.inputValue('input[name="csrf"]'), csrf.value, 'the form carries the token of the cookie');
  });
});

test('every form refuses a post without the CSRF token (403), and accepts it with the token', { timeout: 60_000 }, async () => {
  await withPage(browser, 'csrf', async (page) => {
    await page.goto('/pagamento-avviso');
    const token = await page.inputValue('input[name="csrf"]');
    const verify = { step: 'verify', notice: DEMO.payable.notice, fiscalCode: DEMO.payable.cf };
    const forms = [
      ['/pagamento-avviso', verify],
      ['/avviso', { notice: DEMO.payable.notice, fiscalCode: DEMO.payable.cf }],
      ['/carrello', { notice: DEMO.payable.notice, fiscalCode: DEMO.payable.cf }],
      ['/carrello/rimuovi', { notice: DEMO.payable.notice }],
      ['/pagamento', { email: '' }],
      ['/ricevuta', { notice: DEMO.paid.notice, fiscalCode: DEMO.paid.cf, format: 'pdf' }],
    ];
    for (const [path, form] of forms) {
      const missing = await page.request.post(path, { form, maxRedirects: 0 });
      assert.equal(missing.status(), 403, `${path} without a token: ${missing.status()}`);
      assert.match(await missing.text(), /sessione è scaduta/, `${path}: the 403 page explains`);
      const wrong = await page.request.post(path, { form: { ...form, csrf: 'f'.repeat(32) }, maxRedirects: 0 });
      assert.equal(wrong.status(), 403, `${path} with a wrong token: ${wrong.status()}`);
    }
    // The same post with the page's token goes through.
    const ok = await page.request.post('/pagamento-avviso', { form: { ...verify, csrf: token } });
    assert.equal(ok.status(), 200);
    assert.match(await ok.text(), /id="full-name"/);
  });
});

test('no Content-Security-Policy violations along the journey', { timeout: 60_000 }, async () => {
  const pos = await createPosition();
  await withPage(browser, 'csp violations', async (page) => {
    const violations = [];
    page.on('console', (m) => {
      const t = m.text();
      if (!/Content Security Policy|Refused to/i.test(t)) return;
      // Known and harmless: bootstrap-italia.min.css embeds Video.js's icon font as a data:
      // URL, which font-src 'self' blocks; the portal has no video player.
      if (/Loading the font 'data:application\/font-woff/.test(t) && /font-src/.test(t)) return;
      violations.push(`${page.url()}: ${t.slice(0, 300)}`);
    });
    await page.goto('/');
    await page.goto('/privacy');
    await page.goto('/ricevuta');
    await lookUpNotice(page, pos.notice, pos.fiscalCode);
    await page.click('#pay');
    await page.waitForURL('**/carrello');
    await page.click('#checkout');
    await page.waitForURL(`${SIMULATOR}/**`);
    assert.deepEqual(violations, []);
  });
});
