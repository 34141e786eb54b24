// The operators' console in the browser: login as the development provider's
// "Operatore", search, one position with its receipt, edit and cancel, an
// import followed live, payments with the chart and the exports, the
// catalogue, the API keys; grants (another EC's operator sees none of this
// EC's data; a read-only operator changes nothing), CSRF, English, axe.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import {
  EC,
  PORTAL,
  SIMULATOR,
  USERS,
  assertPdf,
  axe,
  createPosition,
  download,
  eventually,
  formatViolations,
  launch,
  payThroughSimulator,
  text,
  tick,
  waitForReceipt,
  withPage,
} from './helpers.mjs';

const OPERATOR = { cf: 'VRDGPP80A01H501U', name: 'Operatore Demo' };
const OTHER_EC = '80001234568';
const ADMIN_KEY = process.env.ADMIN_API_KEY || 'dev-admin-key';
const BO = `/backoffice/${EC}`;

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** The admin API: an operator's grants (an empty list removes them). */
async function grant(cf, grants) {
  const res = await fetch(`${PORTAL}/api/v1/admin/operators/${cf}`, {
    method: 'PUT',
    headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ grants }),
  });
  assert.ok([200, 204].includes(res.status), `admin API: ${res.status} ${await res.text()}`);
}

/** Logs in through the console: /backoffice → login page → the provider's button. */
async function consoleLogin(page, user) {
  await page.goto('/backoffice');
  await page.waitForURL(/\/accesso\?torna=%2Fbackoffice/);
  assert.match(await text(page, '#login-intro'), /Operatori dell'ente/);
  await page.click('#login-spid');
  await page.waitForURL(`${SIMULATOR}/oidc/authorize?**`);
  const label = user === OPERATOR ? `Entra come Operatore (Operatore Demo, ${OPERATOR.cf})` : `Entra come ${user.name} (${user.cf})`;
  await page.getByRole('button', { name: label }).click();
  await page.waitForURL(/\/backoffice/);
}

test('console: login as the demo operator, search, a position, edit it, cancel it', { timeout: 120_000 }, async () => {
  const p = await createPosition({ fiscalCode: USERS.chiara.cf, fullName: USERS.chiara.name, amountCents: 2550, description: 'E2E console modifica' });
  await withPage(browser, 'console search edit cancel', async (page) => {
    await consoleLogin(page, OPERATOR);
    // One EC: straight to its positions.
    await page.waitForURL(`${PORTAL}${BO}/posizioni`);
    assert.match(await text(page, '#ec-name'), /Comune/);
    assert.equal(await text(page, '#role'), 'amministratore');
    assert.equal(await text(page, '#operator-name'), 'Operatore Demo');

    // By notice code (as printed, with spaces), by IUV, by iupd: exactly that position.
    for (const [field, value] of [['#avviso', p.noticeGrouped], ['#iuv', p.iuv], ['#iupd', p.iupd]]) {
      await page.goto(`${BO}/posizioni`);
      await page.fill(field, value);
      await page.click('#search');
      await page.waitForURL(/posizioni\?/);
      const rows = page.locator('#results tbody tr');
      assert.equal(await rows.count(), 1, `search by ${field}`);
      assert.match(await rows.first().innerText(), new RegExp(p.iupd));
    }
    // By fiscal code and state: this one among the debtor's payable positions.
    await page.goto(`${BO}/posizioni`);
    await page.fill('#cf', USERS.chiara.cf.toLowerCase());
    await page.selectOption('#stato', 'payable');
    await page.click('#search');
    await page.waitForURL(/cf=/);
    assert.ok((await page.locator(`#results a:text("${p.iupd}")`).count()) === 1);
    // By due date: a window that excludes it.
    await page.goto(`${BO}/posizioni?iupd=${p.iupd}&scadenza_a=2020-01-01`);
    assert.equal(await page.locator('#results').count(), 0);
    assert.ok(await page.locator('#no-results').isVisible());
    // A wrong field is named, with a 400.
    const bad = await page.goto(`${BO}/posizioni?cf=NOTACF`);
    assert.equal(bad.status(), 400);
    assert.ok(await page.locator('#cf.is-invalid').count());

    // The position: its option, no receipts yet; edit the amount and the due date.
    await page.goto(`${BO}/posizioni/${p.iupd}`);
    assert.match(await text(page, '.option .notice'), new RegExp(p.notice));
    await page.click('#edit');
    await page.fill('#importo_0', '31,20');
    await page.fill('#scadenza_0', '2099-06-30');
    await page.fill('#nome', 'Chiara Conti Bianchi');
    await page.click('#save');
    await page.waitForURL(/esito=modificata/);
    assert.match(await text(page, '#outcome'), /modificata/);
    assert.match(await page.locator('.option').innerText(), /31,20/);
    // The operator API sees the change (the notice number kept).
    const api = await (await fetch(`${PORTAL}/api/v1/organizations/${EC}/debt-positions/${p.iupd}`, { headers: { 'x-api-key': 'dev-operator-key' } })).json();
    assert.equal(api.paymentOptions[0].amountCents, 3120);
    assert.equal(api.paymentOptions[0].dueDate, '2099-06-30');
    assert.equal(api.paymentOptions[0].noticeNumber, p.notice);
    assert.equal(api.debtor.fullName, 'Chiara Conti Bianchi');

    // A mistake is shown on the form, nothing saved.
    await page.goto(`${BO}/posizioni/${p.iupd}/modifica`);
    await page.fill('#importo_0', 'dieci');
    await page.click('#save');
    assert.ok(await page.locator('#form-errors').isVisible());
    assert.ok(await page.locator('#importo_0.is-invalid').count());

    // Cancel: the citizen can no longer pay it.
    await page.goto(`${BO}/posizioni/${p.iupd}`);
    await page.click('#cancel');
    await page.waitForURL(/esito=annullata/);
    assert.match(await text(page, '#position-status'), /nnullat/);
    assert.equal(await page.locator('#edit').count(), 0);
  });
});

test('console: a paid position shows its receipt (PDF, XML) and the mail', { timeout: 120_000 }, async () => {
  const p = await createPosition({ amountCents: 1875, description: 'E2E console ricevuta' });
  await withPage(browser, 'console receipt', async (page) => {
    await consoleLogin(page, OPERATOR);
    // The debtor's email, added in the console: the receipt goes there.
    await page.goto(`${BO}/posizioni/${p.iupd}/modifica`);
    await page.fill('#email', 'mario.rossi@example.org');
    await page.click('#save');
    await page.waitForURL(/esito=modificata/);
    await payThroughSimulator(p.notice, p.fiscalCode);
    await waitForReceipt(p.notice, p.fiscalCode);
    await page.goto(`${BO}/posizioni/${p.iupd}`);
    assert.match(await text(page, '#position-status'), /Pagat/);
    // The PDF link once the receipt worker has stored it.
    await eventually('receipt PDF stored', async () => {
      await page.reload();
      return (await page.locator('.receipt-pdf').count()) === 1;
    });
    assert.equal(await page.locator('#edit').count(), 0, 'a paid position is not editable');
    const pdf = await download(page, () => page.click('.receipt-pdf'));
    assertPdf(pdf.bytes, 'receipt PDF', 1000);
    const xml = await download(page, () => page.click('.receipt-xml'));
    assert.match(xml.bytes.toString('utf8'), new RegExp(p.notice));
    await eventually('mail sent', async () => {
      await page.reload();
      return /inviata/.test(await text(page, '.mail-state'));
    });
  });
});

test('console: an import with a live progress bar, its errors and its report', { timeout: 180_000 }, async () => {
  const tag = randomBytes(4).toString('hex');
  const header =
    'iupd,debtorType,debtorFiscalCode,debtorFullName,serviceCode,description,amountCents,dueDate,optionDescription,installment,transfer1EcFiscalCode,transfer1Iban,transfer1AmountCents,transfer1RemittanceInformation,transfer1Category';
  const rows = [];
  for (let i = 0; i < 400; i++) {
    rows.push(`IMP-${tag}-${i},F,RSSMRA85T10A562S,Mario Rossi,TARI,TARI 2026,${1000 + i},2099-12-31,Rata unica,false,${EC},IT60X0542811101000000123456,${1000 + i},TARI 2026,9/0101100IM/`);
  }
  rows.push(`IMP-${tag}-bad,F,RSSMRA85T10A562X,Mario Rossi,TARI,TARI 2026,500,2099-12-31,Rata unica,false,${EC},IT60X0542811101000000123456,500,TARI 2026,9/0101100IM/`);
  const csv = `${header}\n${rows.join('\n')}\n`;
  await withPage(browser, 'console import', async (page) => {
    await consoleLogin(page, OPERATOR);
    await page.goto(`${BO}/importazioni`);
    await page.setInputFiles('#file', { name: `posizioni-${tag}.csv`, mimeType: 'text/csv', buffer: Buffer.from(csv) });
    // The page polls the import's progress (JSON) while it runs.
    const polled = page.waitForResponse((r) => r.url().includes('formato=json') && r.status() === 200, { timeout: 30_000 });
    await page.click('#upload');
    await page.waitForURL(/\/importazioni\/[0-9a-f]+$/);
    const first = await (await polled).json();
    assert.ok(first.percent >= 0 && first.percent <= 100);
    // Until done: the page reloads itself once final.
    await eventually('import done', async () => /completata/.test(await text(page, '#import-status')), 90_000, 1000);
    assert.equal(await page.locator('#import-progress').getAttribute('value'), '100');
    assert.equal(await text(page, '#rows-done'), '401');
    assert.equal(await text(page, '#rows-created'), '400');
    assert.equal(await text(page, '#rows-failed'), '1');
    assert.match(await page.locator('#row-errors').innerText(), /debtorFiscalCode/);
    const report = await download(page, () => page.click('#report'));
    const lines = report.bytes.toString('utf8').trim().split('\n');
    assert.match(lines[0], /^row,iupd,outcome/);
    assert.equal(lines.length, 402);
    // The list shows it.
    await page.goto(`${BO}/importazioni`);
    assert.match(await page.locator('#imports').innerText(), /completata/);
    // A file over the form's limit: said so on the page, nothing started.
    await page.setInputFiles('#file', { name: 'grande.csv', mimeType: 'text/csv', buffer: Buffer.alloc(4 * 1024 * 1024 + 10, 'a') });
    await page.click('#upload');
    assert.match(await text(page, '#upload-error'), /supera i 4 MB/);
  });
  // Without JavaScript the page refreshes itself until done.
  await withPage(
    browser,
    'console import no js',
    async (page) => {
      await consoleLogin(page, OPERATOR);
      await page.goto(`${BO}/importazioni`);
      await page.setInputFiles('#file', { name: 'uno.ndjson', mimeType: 'application/x-ndjson', buffer: Buffer.from(`{"iupd":"IMP-${tag}-nojs","debtor":{"type":"F","fiscalCode":"RSSMRA85T10A562S","fullName":"Mario Rossi"},"serviceCode":"TARI","description":"TARI","paymentOptions":[{"amountCents":100,"dueDate":"2099-12-31","description":"TARI","transfers":[{"ecFiscalCode":"${EC}","iban":"IT60X0542811101000000123456","amountCents":100,"remittanceInformation":"TARI","category":"9/0101100IM/"}]}]}\n`) });
      await page.click('#upload');
      await page.waitForURL(/\/importazioni\/[0-9a-f]+$/);
      await eventually('import done without js', async () => /completata/.test(await text(page, '#import-status')), 60_000, 1000);
      assert.equal(await text(page, '#rows-created'), '1');
    },
    { javaScriptEnabled: false },
  );
});

test('console: payments per day and per service, reporting, exports', { timeout: 120_000 }, async () => {
  const p = await createPosition({ amountCents: 4321, description: 'E2E console pagamenti' });
  await payThroughSimulator(p.notice, p.fiscalCode);
  await waitForReceipt(p.notice, p.fiscalCode);
  await withPage(browser, 'console payments', async (page) => {
    await consoleLogin(page, OPERATOR);
    await page.goto(`${BO}/pagamenti`);
    const svg = page.locator('#chart-per-day svg[role="img"]');
    assert.equal(await svg.count(), 1);
    assert.ok((await page.locator('#chart-per-day rect').count()) >= 30, 'a bar per day');
    assert.match(await page.locator('#per-service').innerText(), /TARI/);
    assert.equal(await page.locator('#chart-per-service svg[role="img"] rect').count() >= 1, true);
    assert.match(await page.locator('#reporting').innerText(), /Non ancora rendicontati/);
    const csv = await download(page, () => page.click('#export-csv'));
    const csvText = csv.bytes.toString('utf8');
    assert.match(csvText.split('\n')[0], /^paidAt,noticeNumber,iuv/);
    assert.ok(csvText.includes(p.notice), 'the payment is in the CSV');
    const zip = await download(page, () => page.click('#export-zip'));
    assert.equal(zip.bytes.subarray(0, 2).toString('latin1'), 'PK');
    // A wrong period is named.
    const r = await page.goto(`${BO}/pagamenti?da=2026-02-10&a=2026-01-01`);
    assert.equal(r.status(), 400);
    assert.ok(await page.locator('#a.is-invalid').count());
    // Reconciliation on demand (the simulator's FdR API).
    await page.goto(`${BO}/pagamenti`);
    await page.click('#reconcile');
    await page.waitForURL(/esito=riconciliazione/);
  });
});

test('console: the catalogue, a new service, its validation, an edit', { timeout: 90_000 }, async () => {
  const code = `E2E${randomBytes(3).toString('hex').toUpperCase()}`;
  await withPage(browser, 'console catalogue', async (page) => {
    await consoleLogin(page, OPERATOR);
    await page.goto(`${BO}/catalogo`);
    assert.match(await page.locator('#services').innerText(), /CERT/);
    await page.click('#new-service');
    await page.fill('#code', code);
    await page.fill('#name', 'Servizio di prova E2E');
    await page.fill('#category', '9/0301109AP/');
    await page.fill('#iban', 'IT00X0000000000000000000000');
    await page.fill('#fixed', '12,50');
    await page.click('#save');
    // The same checks as the API: the IBAN is refused.
    assert.ok(await page.locator('#form-errors').isVisible());
    assert.equal(await page.inputValue('#name'), 'Servizio di prova E2E', 'what was typed is kept');
    await page.fill('#iban', 'IT60X0542811101000000123456');
    // The form's fields, without JSON: two blank blocks, and one more on demand.
    assert.equal(await page.locator('.form-field').count(), 2);
    await page.fill('#campo_0_nome', 'targa');
    await page.fill('#campo_0_etichetta', 'Targa');
    await page.fill('#campo_0_etichetta_en', 'Plate');
    await tick(page, 'campo_0_obbligatorio');
    await page.fill('#campo_0_max', '10');
    await page.click('#add-field');
    assert.equal(await page.locator('.form-field').count(), 3, 'one more block');
    assert.equal(await page.inputValue('#campo_0_nome'), 'targa', 'what was typed is kept');
    await page.fill('#campo_1_nome', 'zona');
    await page.selectOption('#campo_1_tipo', 'select');
    await page.fill('#campo_1_etichetta', 'Zona');
    await page.fill('#campo_1_opzioni', 'centro | Centro storico | Old town\nperiferia | Periferia');
    await page.fill('#descrizione_modulo', 'Permesso {targa}');
    await page.click('#save');
    await page.waitForURL(/catalogo\?esito=salvato/);
    assert.match(await page.locator('#services').innerText(), new RegExp(code));
    // The API sees it as saved.
    const api = await (await fetch(`${PORTAL}/api/v1/organizations/${EC}/services/${code}`, { headers: { 'x-api-key': 'dev-operator-key' } })).json();
    assert.equal(api.amount.fixedCents, 1250);
    assert.deepEqual(api.form, {
      description: 'Permesso {targa}',
      fields: [
        { name: 'targa', type: 'text', label: { it: 'Targa', en: 'Plate' }, required: true, max: 10 },
        {
          name: 'zona',
          type: 'select',
          label: { it: 'Zona' },
          options: [
            { value: 'centro', label: { it: 'Centro storico', en: 'Old town' } },
            { value: 'periferia', label: { it: 'Periferia' } },
          ],
        },
      ],
    });
    // Edit: a free amount with a maximum; the first field removed (its name cleared).
    await page.click(`#services a:text("${code}")`);
    assert.equal(await page.inputValue('#campo_1_opzioni'), 'centro | Centro storico | Old town\nperiferia | Periferia');
    await tick(page, 'importo-libero');
    await page.fill('#max', '100');
    await page.fill('#name', 'Servizio di prova E2E modificato');
    await page.fill('#campo_0_nome', '');
    await page.fill('#descrizione_modulo', '');
    await page.click('#save');
    await page.waitForURL(/esito=salvato/);
    const edited = await (await fetch(`${PORTAL}/api/v1/organizations/${EC}/services/${code}`, { headers: { 'x-api-key': 'dev-operator-key' } })).json();
    assert.deepEqual(edited.amount, { maxCents: 10000 });
    assert.equal(edited.name, 'Servizio di prova E2E modificato');
    assert.deepEqual(edited.form.fields.map((f) => f.name), ['zona']);
    // A catalogue rule broken in a field (a bad name): the catalogue's message, nothing saved.
    await page.click(`#services a:text("${code}")`);
    await page.fill('#campo_0_nome', 'Zona Centro');
    await page.click('#save');
    assert.ok(await page.locator('#form-errors').isVisible());
    const unchanged = await (await fetch(`${PORTAL}/api/v1/organizations/${EC}/services/${code}`, { headers: { 'x-api-key': 'dev-operator-key' } })).json();
    assert.deepEqual(unchanged.form.fields.map((f) => f.name), ['zona']);
    // Remove it again, through the API (other tests list the catalogue).
    await fetch(`${PORTAL}/api/v1/organizations/${EC}/services/${code}`, { method: 'DELETE', headers: { 'x-api-key': 'dev-operator-key' } });
  });
});

test('console: API keys for the EC administrator', { timeout: 60_000 }, async () => {
  await withPage(browser, 'console keys', async (page) => {
    await consoleLogin(page, OPERATOR);
    await page.goto(`${BO}/chiavi`);
    await page.fill('#label', 'E2E gestionale');
    await page.click('#issue-key');
    const key = await text(page, '#issued-key');
    assert.match(key, /^[0-9a-f]{32}\./);
    // The key works on the operator API, for this EC.
    const r = await fetch(`${PORTAL}/api/v1/organizations/${EC}/services`, { headers: { 'x-api-key': key } });
    assert.equal(r.status, 200);
    // Revoke it: refused at once.
    const id = key.split('.')[0];
    await page.locator(`#keys tr:has(code:text("${id}")) button`).click();
    assert.match(await text(page, '#outcome'), /revocata/);
    const gone = await fetch(`${PORTAL}/api/v1/organizations/${EC}/services`, { headers: { 'x-api-key': key } });
    assert.equal(gone.status, 401);
  });
});

test('console: grants — no grant, another EC, read-only; CSRF', { timeout: 120_000 }, async () => {
  const mine = await createPosition({ amountCents: 700, description: 'E2E console grants' });
  // Mario has no grant: 403 with the explanation.
  await withPage(browser, 'console no grant', async (page) => {
    await consoleLogin(page, USERS.mario);
    assert.match(await text(page, '#console-message'), /non è abilitato/);
  });
  // Chiara: read-only for the other EC only.
  await grant(USERS.chiara.cf, [{ ecFiscalCode: OTHER_EC, role: 'read-only' }]);
  try {
    await withPage(browser, 'console other EC', async (page) => {
      await consoleLogin(page, USERS.chiara);
      await page.waitForURL(`${PORTAL}/backoffice/${OTHER_EC}/posizioni`);
      assert.equal(await text(page, '#role'), 'sola lettura');
      // Nothing of the demo EC, by any address.
      for (const path of [
        `${BO}/posizioni`,
        `${BO}/posizioni/${mine.iupd}`,
        `${BO}/pagamenti`,
        `${BO}/pagamenti/esporta?formato=csv`,
        `${BO}/importazioni`,
        `${BO}/catalogo`,
      ]) {
        const r = await page.request.get(path, { maxRedirects: 0 });
        assert.equal(r.status(), 403, path);
        const body = await r.text();
        // (The page's language link repeats the address: the data must not appear.)
        assert.ok(!body.includes(mine.description) && !body.includes(mine.notice), `${path} leaks the position`);
      }
      // Her own EC's search by that notice finds nothing (another EC's position).
      await page.goto(`/backoffice/${OTHER_EC}/posizioni?avviso=${mine.notice}`);
      assert.equal(await page.locator('#results').count(), 0);
      // Read-only: no upload form, no new service; a POST is refused.
      await page.goto(`/backoffice/${OTHER_EC}/importazioni`);
      assert.equal(await page.locator('#upload-form').count(), 0);
      const csrf = await page.evaluate(() => document.querySelector('input[name=csrf]').value);
      const post = await page.request.post(`/backoffice/${OTHER_EC}/catalogo/nuovo`, { form: { csrf, code: 'RO1', name: 'x' }, maxRedirects: 0 });
      assert.equal(post.status(), 403);
    });
  } finally {
    await grant(USERS.chiara.cf, []);
  }
  // CSRF: every console form, without its token or with another, is refused (the
  // operator holds every role, so nothing else stands in the way).
  await withPage(browser, 'console csrf', async (page) => {
    await consoleLogin(page, OPERATOR);
    const forms = [
      [`${BO}/posizioni/${mine.iupd}/annulla`, {}],
      [`${BO}/posizioni/${mine.iupd}/modifica`, { descrizione: 'x', nome: 'x', importo_0: '1', scadenza_0: '2099-01-01', causale_0: 'x' }],
      [`${BO}/riconciliazione`, {}],
      [`${BO}/catalogo/nuovo`, { code: 'CSRF1', name: 'x' }],
      [`${BO}/catalogo/CERT`, { name: 'x' }],
      [`${BO}/chiavi`, { azione: 'crea', label: 'csrf' }],
    ];
    for (const [path, fields] of forms) {
      for (const csrf of [undefined, 'x'.repeat(32)]) {
        const form = csrf === undefined ? fields : { ...fields, csrf };
        const r = await page.request.post(path, { form, maxRedirects: 0 });
        assert.equal(r.status(), 403, `${path} with csrf=${csrf}`);
      }
    }
    const upload = await page.request.post(`${BO}/importazioni`, {
      multipart: { formato: 'csv', file: { name: 'a.csv', mimeType: 'text/csv', buffer: Buffer.from('iupd\n') } },
      maxRedirects: 0,
    });
    assert.equal(upload.status(), 403, 'upload without csrf');
    await page.goto(`${BO}/posizioni/${mine.iupd}`);
    assert.match(await text(page, '#position-status'), /Da pagare/, 'still payable');
  });
});

test('console: English', { timeout: 60_000 }, async () => {
  await withPage(browser, 'console english', async (page) => {
    await consoleLogin(page, OPERATOR);
    await page.goto(`${BO}/posizioni?lang=en`);
    assert.equal(await text(page, 'h1'), 'Debt positions');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    await page.goto(`${BO}/pagamenti`);
    assert.match(await text(page, 'h1'), /Payments and reconciliation/);
  });
});

test('console: axe on every page', { timeout: 180_000 }, async () => {
  const p = await createPosition({ amountCents: 990, description: 'E2E console axe' });
  const paid = await createPosition({ amountCents: 995, description: 'E2E console axe pagata' });
  await payThroughSimulator(paid.notice, paid.fiscalCode);
  await waitForReceipt(paid.notice, paid.fiscalCode);
  // An import with a row error (its page with the errors table).
  const started = await fetch(`${PORTAL}/api/v1/organizations/${EC}/imports`, {
    method: 'POST',
    headers: { 'x-api-key': 'dev-operator-key', 'content-type': 'text/csv' },
    body:
      'iupd,debtorType,debtorFiscalCode,debtorFullName,serviceCode,description,amountCents,dueDate,optionDescription,installment,transfer1EcFiscalCode,transfer1Iban,transfer1AmountCents,transfer1RemittanceInformation,transfer1Category\n' +
      `AXE-${Date.now()},F,RSSMRA85T10A562X,Mario Rossi,TARI,TARI,100,2099-12-31,TARI,false,${EC},IT60X0542811101000000123456,100,TARI,9/0101100IM/\n`,
  });
  assert.equal(started.status, 202, await started.clone().text());
  const { importId } = await started.json();
  await eventually('import done', async () => {
    const r = await fetch(`${PORTAL}/api/v1/organizations/${EC}/imports/${importId}`, { headers: { 'x-api-key': 'dev-operator-key' } });
    return (await r.json()).status === 'done';
  });
  const reports = [];
  await withPage(
    browser,
    'console axe',
    async (page) => {
      await consoleLogin(page, OPERATOR);
      const pages = [
        `${BO}/posizioni`,
        `${BO}/posizioni?cf=NOTACF`,
        `${BO}/posizioni/${p.iupd}`,
        `${BO}/posizioni/${p.iupd}/modifica`,
        `${BO}/posizioni/${paid.iupd}`,
        `${BO}/importazioni`,
        `${BO}/importazioni/${importId}`,
        `${BO}/pagamenti`,
        `${BO}/catalogo`,
        `${BO}/catalogo/CERT`,
        `${BO}/catalogo/nuovo`,
        `${BO}/chiavi`,
      ];
      for (const path of pages) {
        await page.goto(path);
        reports.push(await axe(page, path));
      }
    },
    { bypassCSP: true },
  );
  const severe = reports
    .map((r) => ({ ...r, violations: r.violations.filter((v) => ['serious', 'critical'].includes(v.impact)) }))
    .filter((r) => r.violations.length);
  assert.equal(severe.length, 0, `serious/critical axe violations:\n${formatViolations(severe)}`);
});
