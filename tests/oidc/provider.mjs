// A real OpenID provider for the sign-in tests: oidc-provider (OpenID
// Certified), pinned in package-lock.json, on 127.0.0.1 over plain http
// (loopback only). Its built-in development login accepts any password;
// the login name picks the user:
//   ada  groups [grafana-admins]   -> platform-admin
//   bob  groups [team-alpha]       -> space-admin:alpha
//   eve  groups [marketing]        -> no role (refused with oidc-no-role)
//   node provider.mjs PORT VITRINE_BASE CLIENT_SECRET_FILE
// Prints "ready ISSUER" when listening.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const [port, vitrineBase, secretFile] = process.argv.slice(2);
const nodeModules = process.env.VITRINE_OIDC_NODE_MODULES;
const require = createRequire(path.join(nodeModules, 'resolve.cjs'));
const { default: Provider } = await import(require.resolve('oidc-provider'));

const users = {
  ada: { name: 'Ada Admin', groups: ['grafana-admins'] },
  bob: { name: 'Bob Payments', groups: ['team-alpha'] },
  eve: { name: 'Eve Marketing', groups: ['marketing'] },
};
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'vitrine-e2e',
      client_secret: readFileSync(secretFile, 'utf8').trim(),
      redirect_uris: [`${vitrineBase}/login/oidc/callback`],
      post_logout_redirect_uris: [`${vitrineBase}/login`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
  ],
  scopes: ['openid', 'profile', 'email', 'groups'],
  claims: { openid: ['sub'], profile: ['name'], email: ['email'], groups: ['groups'] },
  // The groups claim goes into the ID token (not only /userinfo).
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  async findAccount(ctx, id) {
    const u = users[id];
    if (!u) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, name: u.name, email: `${id}@example.test`, groups: u.groups };
      },
    };
  },
});
provider.listen(Number(port), '127.0.0.1', () => console.log(`ready ${issuer}`));
