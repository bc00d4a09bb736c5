// A real, certified OpenID provider (oidc-provider) on loopback, run in its own process because
// it is ESM with Koa inside. The parent (tests/support/providers/oidc-provider.ts) sends its
// settings as JSON in argv[2] and reads `{"issuer": "..."}` from the first line of stdout.
//
// Settings: { port, clients: [client metadata], accounts: { <login>: <claims> }, jwks: { keys } }.
// Its development login page accepts any password for a login listed in `accounts`.
import process from 'node:process';
import Provider from 'oidc-provider';

const settings = JSON.parse(process.argv[2]);
const issuer = `http://127.0.0.1:${settings.port}`;

const provider = new Provider(issuer, {
  clients: settings.clients,
  jwks: settings.jwks,
  cookies: { keys: ['test-cookie-key-0123456789abcdef'] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
  },
  // ID tokens carry the claims themselves, as Google's and Microsoft's do.
  conformIdTokenClaims: false,
  async findAccount(_ctx, id) {
    const claims = settings.accounts[id];
    if (!claims) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...claims }) };
  },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  ttl: { IdToken: 300, AccessToken: 300, AuthorizationCode: 60, Session: 3600, Interaction: 600, Grant: 3600 },
});
// The dev login accepts any login; only configured accounts exist.
provider.on('server_error', (_ctx, err) => process.stderr.write(`oidc-provider server_error: ${err.stack}\n`));

const server = provider.listen(settings.port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
