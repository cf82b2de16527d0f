// A real OpenID provider (the npm package oidc-provider) on loopback, for the single
// sign-on tests. Started by tests/idp/oidc_support.py:
//
//   node provider.js <port> <clients.json> <accounts.json>
//
// clients.json: the registered clients (client_id, client_secret, redirect_uris).
// accounts.json: login -> claims (sub, email, preferred_username, name, groups); read at
// every sign-in, so a test changes a person's groups between two sign-ins.
// The login form is served here (oidc-provider's development form loads web fonts from
// the internet, which a test machine may not reach): any login listed in accounts.json
// signs in (no password: this provider is for tests only, on loopback).
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const [port, clientsFile, accountsFile] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const accounts = () => JSON.parse(readFileSync(accountsFile, 'utf8'));

const provider = new Provider(issuer, {
  clients: JSON.parse(readFileSync(clientsFile, 'utf8')),
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
    groups: ['groups'],
  },
  // Every claim in the ID token, as Entra ID, Okta and Keycloak can be told to do.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  // PKCE required of every client: a sign-in without it fails at the provider.
  pkce: { required: () => true },
  async findAccount(ctx, id) {
    const person = accounts()[id];
    if (!person) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, email_verified: true, ...person }) };
  },
  // No consent page: the grant is given for what the client asks.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile groups');
    grant.addOIDCClaims(['email', 'name', 'preferred_username', 'groups']);
    await grant.save();
    return grant;
  },
  ttl: { Session: 600, Interaction: 600, Grant: 600, AuthorizationCode: 60, IdToken: 300, AccessToken: 300 },
});
const page = (uid, error) => `<!doctype html>
<html><head><title>Acme OpenID provider</title></head>
<body style="font-family: sans-serif; max-width: 24rem; margin: 4rem auto">
<h1>Acme OpenID provider</h1>${error ? `<p style="color: #b00">${error}</p>` : ''}
<form method="post" action="/interaction/${uid}">
  <label>Login <input name="login" id="login" autofocus></label>
  <button type="submit" id="sign-in">Sign in</button>
</form></body></html>`;

async function formBody(req) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return new URLSearchParams(raw);
}

provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([\w-]+)$/);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (ctx.method === 'GET') {
    ctx.type = 'html';
    ctx.body = page(details.uid);
    return undefined;
  }
  const login = (await formBody(ctx.req)).get('login') || '';
  if (!accounts()[login]) {
    ctx.type = 'html';
    ctx.body = page(details.uid, 'Unknown login');
    return undefined;
  }
  const to = await provider.interactionResult(ctx.req, ctx.res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
  ctx.status = 303;
  ctx.redirect(to);
  return undefined;
});
provider.proxy = false;
provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
