// A standard OpenID Connect provider (node-oidc-provider) for the end-to-end
// tests of the portal's login against a provider that is not the simulator's.
// Development only: plain http on 127.0.0.1, keys generated at start, anyone
// may log in with any fiscal code.
//
// It delivers the claims as SPID and CIE OpenID Connect providers do: the ID
// token carries sub and acr (SpidL2) but no personal data; the fiscal code
// (`https://attributes.eid.gov.it/fiscal_number`, `TINIT-<CF>`) and the names
// come from UserInfo only, when asked for with the `claims` parameter.
//
// Clients (client_secret_basic, PKCE S256 required, redirect URI
// `<PORTAL_URL>/accesso/callback` for each portal of PORTAL_URL, comma-separated):
//   portale-json / portale-json-secret   UserInfo as plain JSON
//   portale-jwt  / portale-jwt-secret    UserInfo as a JWT signed RS256
//   portale-jwt-es / portale-jwt-es-secret  UserInfo and ID token signed ES256
//
//   OIDC_PROVIDER_PORT=3002 PORTAL_URL=http://127.0.0.1:3000 node server.mjs
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PROVIDER_PORT || 3002);
const portals = (process.env.PORTAL_URL || 'http://127.0.0.1:3000')
  .split(',')
  .map((p) => p.trim().replace(/\/+$/, ''))
  .filter(Boolean);
const issuer = `http://127.0.0.1:${port}`;

const FISCAL_NUMBER = 'https://attributes.eid.gov.it/fiscal_number';
const SPID_L2 = 'https://www.spid.gov.it/SpidL2';

/** Names of the citizens the provider knows; any other valid fiscal code logs in without names. */
const PEOPLE = {
  RSSMRA85T10A562S: { given_name: 'Mario', family_name: 'Rossi' },
  CNTCHR83T41D969D: { given_name: 'Chiara', family_name: 'Conti' },
  BNCLCU90E12H501G: { given_name: 'Luca', family_name: 'Bianchi' },
  VRDGPP80A01H501U: { given_name: 'Operatore', family_name: 'Demo' },
};
// A codice fiscale (16 characters) or a legal person's (11 digits); the
// portal checks the check character.
const FISCAL_CODE = /^([A-Z0-9]{16}|[0-9]{11})$/;

function signingKey(type, options, alg, kid) {
  const { privateKey } = generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), alg, use: 'sig', kid };
}

function client(id, extra = {}) {
  return {
    client_id: id,
    client_secret: `${id}-secret`,
    client_name: `Portale dei Pagamenti (${id})`,
    redirect_uris: portals.map((p) => `${p}/accesso/callback`),
    post_logout_redirect_uris: portals.map((p) => `${p}/accesso?esito=uscito`),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    ...extra,
  };
}

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!doctype html><html lang="it"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
label,button{display:block;margin-top:.75rem}input,button{font-size:1rem;padding:.4rem}</style></head>
<body><main><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

const configuration = {
  clients: [
    client('portale-json'),
    client('portale-jwt', { userinfo_signed_response_alg: 'RS256' }),
    client('portale-jwt-es', { userinfo_signed_response_alg: 'ES256', id_token_signed_response_alg: 'ES256' }),
  ],
  jwks: {
    keys: [
      signingKey('rsa', { modulusLength: 2048 }, 'RS256', 'rsa-1'),
      signingKey('ec', { namedCurve: 'P-256' }, 'ES256', 'ec-1'),
    ],
  },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  ttl: { AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
  acrValues: ['https://www.spid.gov.it/SpidL1', SPID_L2, 'https://www.spid.gov.it/SpidL3'],
  // The fiscal code belongs to no scope: it is released when asked for with
  // the claims parameter, as SPID/CIE providers do.
  claims: { openid: ['sub'], profile: ['given_name', 'family_name'], acr: null, [FISCAL_NUMBER]: null },
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    claimsParameter: { enabled: true },
    userinfo: { enabled: true },
    jwtUserinfo: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource(ctx, form) {
        ctx.body = page(
          'Uscita dal provider di identità',
          `<p>Vuoi uscire anche dal provider di identità?</p>${form}
<button type="submit" form="op.logoutForm" value="yes" name="logout">Sì, esci</button>
<button type="submit" form="op.logoutForm">No, resta collegato</button>`,
        );
      },
      postLogoutSuccessSource(ctx) {
        ctx.body = page('Uscita completata', '<p>Sei uscito dal provider di identità.</p>');
      },
    },
  },
  async findAccount(_ctx, sub) {
    return {
      accountId: sub,
      // Personal data from UserInfo only, never in the ID token.
      async claims(use) {
        const claims = { sub };
        if (use === 'userinfo') {
          claims[FISCAL_NUMBER] = `TINIT-${sub}`;
          Object.assign(claims, PEOPLE[sub] || {});
        }
        return claims;
      },
    };
  },
  // No consent page: the grant covers the scopes and the claims asked for.
  async loadExistingGrant(ctx) {
    const { oidc } = ctx;
    const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
    const grant = (grantId && (await oidc.provider.Grant.find(grantId)))
      || new oidc.provider.Grant({ clientId: oidc.client.clientId, accountId: oidc.session.accountId });
    grant.addOIDCScope('openid profile');
    grant.addOIDCClaims([...oidc.requestParamClaims]);
    await grant.save();
    return grant;
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Errore del provider di identità', `<p>${esc(out.error)}: ${esc(out.error_description || '')}</p>`);
  },
};

const provider = new Provider(issuer, configuration);
provider.on('server_error', (_ctx, err) => console.error('oidc-provider: server error', err));
const oidc = provider.callback();

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 10_000) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

function html(res, status, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(body);
}

function loginPage(uid, client, error = '') {
  return page(
    'Provider OpenID Connect di prova — non usare in produzione',
    `<p>Accesso a <strong>${esc(client)}</strong>. Nessuna identità viene verificata.</p>
${error ? `<p role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}/login">
<label for="fiscal-code">Codice fiscale</label>
<input id="fiscal-code" name="fiscal_code" autocomplete="off" spellcheck="false" required>
<button type="submit">Accedi</button></form>`,
  );
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return html(res, 400, page('Richiesta non valida', '<p>Interazione scaduta.</p>'));
  const client = details.params.client_id;
  if (req.method === 'GET' && !action) {
    if (details.prompt.name === 'login') return html(res, 200, loginPage(uid, client));
    // Consent is granted by loadExistingGrant; anything else just goes on.
    return provider.interactionFinished(req, res, {}, { mergeWithLastSubmission: true });
  }
  if (req.method === 'POST' && action === 'login') {
    const form = await readForm(req);
    const cf = (form.get('fiscal_code') || '').trim().toUpperCase();
    if (!FISCAL_CODE.test(cf)) return html(res, 400, loginPage(uid, client, 'Codice fiscale non valido.'));
    // No fiscal code in the log.
    console.log(`oidc-provider: login for ${client}`);
    return provider.interactionFinished(
      req,
      res,
      { login: { accountId: cf, acr: SPID_L2, amr: ['pwd'] } },
      { mergeWithLastSubmission: false },
    );
  }
  return html(res, 405, page('Metodo non ammesso', ''));
}

const server = createServer(async (req, res) => {
  const m = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login))?\/?$/.exec(new URL(req.url, issuer).pathname);
  if (!m) return oidc(req, res);
  try {
    await interaction(req, res, m[1], m[2]);
  } catch (err) {
    console.error('oidc-provider: interaction failed:', err.name, err.message);
    if (!res.headersSent) html(res, 400, page('Richiesta non valida', `<p>${esc(err.message)}</p>`));
  }
});

server.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider: issuer ${issuer}, clients portale-json, portale-jwt, portale-jwt-es for ${portals.join(', ')}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
