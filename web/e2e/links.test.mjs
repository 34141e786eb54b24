// Every link of the pages leads somewhere: an HTML page for the pages, a file for the assets.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PORTAL, launch, withPage } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('every link of the public pages leads to a page', { timeout: 60_000 }, async () => {
  await withPage(browser, 'links', async (page) => {
    const links = new Set();
    for (const path of ['/', '/?lang=en', '/pagamento-avviso', '/ricevuta', '/carrello', '/privacy']) {
      await page.goto(path);
      for (const href of await page.$$eval('a[href]', (as) => as.map((a) => a.href))) {
        const u = new URL(href);
        if (u.origin === PORTAL && !u.hash) links.add(u.pathname + u.search);
      }
    }
    assert.ok(links.size >= 6, `found only ${[...links].join(', ')}`);
    const broken = [];
    for (const link of [...links].sort()) {
      const response = await page.request.get(link);
      const type = response.headers()['content-type'] ?? '';
      if (response.status() >= 400 || !type.startsWith('text/html')) {
        broken.push(`${link} → ${response.status()} ${type}`);
      }
    }
    assert.deepEqual(broken, [], `links that do not lead to a page:\n  ${broken.join('\n  ')}`);
  });
});

test('an unknown address shows the portal\'s "Pagina non trovata" page', { timeout: 60_000 }, async () => {
  await withPage(browser, 'unknown address', async (page) => {
    const response = await page.goto('/pagina-che-non-esiste');
    assert.equal(response.status(), 404);
    assert.match(response.headers()['content-type'] ?? '', /^text\/html/, 'a browser gets an HTML page, not a problem+json document');
    assert.equal((await page.textContent('h1'))?.trim(), 'Pagina non trovata');
  });
});
