// GitHub's OAuth endpoints and the two REST calls a sign-in makes, on loopback, as GitHub
// documents them, at the paths of a GitHub Enterprise Server (GITHUB_BASE_URL):
//   GET  /login/oauth/authorize       docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps
//   POST /login/oauth/access_token    JSON with `Accept: application/json`, form-encoded otherwise;
//                                     errors as 200 {"error": "bad_verification_code", …}, like GitHub
//   GET  /api/v3/user                 docs.github.com/en/rest/users/users#get-the-authenticated-user
//   GET  /api/v3/user/emails          docs.github.com/en/rest/users/emails (needs the user:email scope)
// The signed-in user is whoever the test names in `nextUser`: GitHub's own login page is not simulated.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GithubUser {
  id: number;
  login: string;
  name: string | null;
  /** The public email (one of the verified ones, or null). */
  email: string | null;
  emails: { email: string; primary: boolean; verified: boolean; visibility: 'public' | 'private' | null }[];
}

export interface TestGithubServer {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** Who approves the next authorization. */
  nextUser: GithubUser;
  /** Scopes of the last authorization request. */
  lastScope: string | undefined;
  stop(): Promise<void>;
}

export async function startGithubServer(): Promise<TestGithubServer> {
  const clientId = 'Iv1.0123456789abcdef';
  const clientSecret = 'github-client-secret-0123456789abcdef0123';
  const codes = new Map<string, { user: GithubUser; challenge: string | null; redirectUri: string | null; scope: string }>();
  const tokens = new Map<string, { user: GithubUser; scope: string }>();
  let baseUrl = '';

  const state: TestGithubServer = {
    baseUrl: '',
    clientId,
    clientSecret,
    nextUser: { id: 1, login: 'octocat', name: 'The Octocat', email: null, emails: [] },
    lastScope: undefined,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };

  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };
  const unauthorized = (res: http.ServerResponse) => json(res, 401, { message: 'Requires authentication', documentation_url: 'https://docs.github.com/rest' });

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', baseUrl);
    if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') {
      if (url.searchParams.get('client_id') !== clientId) return json(res, 404, { message: 'Not Found' });
      const code = randomBytes(10).toString('hex');
      const scope = url.searchParams.get('scope') ?? '';
      state.lastScope = scope;
      codes.set(code, {
        user: structuredClone(state.nextUser),
        challenge: url.searchParams.get('code_challenge'),
        redirectUri: url.searchParams.get('redirect_uri'),
        scope,
      });
      const back = new URL(url.searchParams.get('redirect_uri') ?? '');
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      res.writeHead(302, { location: back.href });
      return res.end();
    }
    if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
        const [basicId, basicSecret] = basic ? Buffer.from(basic, 'base64').toString().split(':').map(decodeURIComponent) : [];
        const id = form.get('client_id') ?? basicId;
        const secret = form.get('client_secret') ?? basicSecret;
        const pending = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        const verifierOk = !pending?.challenge || createHash('sha256').update(form.get('code_verifier') ?? '').digest('base64url') === pending.challenge;
        const answer: Record<string, string> =
          id !== clientId || secret !== clientSecret
            ? { error: 'incorrect_client_credentials', error_description: 'The client_id and/or client_secret passed are incorrect.' }
            : !pending || !verifierOk || (pending.redirectUri !== null && pending.redirectUri !== form.get('redirect_uri'))
              ? { error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' }
              : (() => {
                  const token = `gho_${randomBytes(18).toString('hex')}`;
                  tokens.set(token, { user: pending.user, scope: pending.scope });
                  return { access_token: token, scope: pending.scope.split(' ').join(','), token_type: 'bearer' };
                })();
        if ((req.headers.accept ?? '').includes('application/json')) return json(res, 200, answer);
        res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' });
        res.end(new URLSearchParams(answer).toString());
      });
      return;
    }
    if (req.method === 'GET' && (url.pathname === '/api/v3/user' || url.pathname === '/api/v3/user/emails')) {
      const token = /^(?:Bearer|token) (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const grant = token ? tokens.get(token) : undefined;
      if (!grant) return unauthorized(res);
      const { user } = grant;
      if (url.pathname === '/api/v3/user') {
        return json(res, 200, {
          login: user.login,
          id: user.id,
          node_id: `U_${user.id}`,
          avatar_url: `${baseUrl}/avatars/u/${user.id}`,
          type: 'User',
          site_admin: false,
          name: user.name,
          email: user.email,
        });
      }
      if (!grant.scope.split(/[ ,]/).includes('user:email') && !grant.scope.split(/[ ,]/).includes('user')) {
        return json(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/users/emails' });
      }
      return json(res, 200, user.emails);
    }
    json(res, 404, { message: 'Not Found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.baseUrl = baseUrl;
  return state;
}
