// Login through the development identity provider when it delivers the fiscal
// code and the names only from UserInfo (as SPID and CIE OpenID Connect
// providers do), plain JSON or signed JWT: the simulator's test hook
// POST /control/oidc/claims.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO, SIMULATOR, USERS, launch, login, text, withPage } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await deliver('id-token');
});

async function deliver(delivery) {
  const r = await fetch(`${SIMULATOR}/control/oidc/claims`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ delivery }),
  });
  assert.equal(r.status, 200, await r.text());
}

for (const delivery of ['userinfo-json', 'userinfo-jwt']) {
  test(`reserved area: the fiscal code and the names only from UserInfo (${delivery})`, { timeout: 60_000 }, async () => {
    await deliver(delivery);
    try {
      await withPage(browser, `userinfo ${delivery}`, async (page) => {
        await login(page, USERS.mario);
        assert.equal(await text(page, '#logged-in-as'), `Accesso effettuato come ${USERS.mario.name} (SPID)`);
        assert.match(await text(page, 'main'), new RegExp(DEMO.paid.notice));
      });
    } finally {
      await deliver('id-token');
    }
  });
}
