// An OpenID Connect issuer on loopback whose answers a test scripts: who signs in, and how the
// next answer goes wrong (a foreign nonce or audience, an expired ID token, an error, garbage, no
// answer at all). A certified provider never misbehaves on purpose, so the refusals are tested
// against this one; the well-behaved path runs against oidc-provider (tests/providers/oidc-browser.test.ts).
// It signs in without a login page: /authorize redirects straight back with a code.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export interface ScriptedProfile {
  sub: string;
  email?: string;
  email_verified?: boolean;
  preferred_username?: string;
}

/** How the next token answer goes; reset after each use. */
export interface Misbehaviour {
  idTokenClaims?: Record<string, unknown>;
  /** Sign with a key the issuer does not publish. */
  foreignKey?: boolean;
  tokenStatus?: number;
  tokenBody?: string;
  /** Never answer the token request. */
  hang?: boolean;
  /** Answer /authorize with this OAuth error instead of a code. */
  authorizeError?: string;
}

export interface ScriptedIssuer {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Who the next sign-in is. */
  profile: ScriptedProfile;
  next: Misbehaviour;
  /** The parameters of the last /authorize request. */
  lastAuthorize: URLSearchParams | undefined;
  stop(): Promise<void>;
}

interface PendingCode {
  challenge: string;
  nonce: string | undefined;
  redirectUri: string;
  profile: ScriptedProfile;
}

export async function startScriptedIssuer(clientId = 'scripted-client', clientSecret = 'scripted-secret-0123456789'): Promise<ScriptedIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const foreign = await generateKeyPair('RS256');
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid: 'scripted', alg: 'RS256', use: 'sig' };
  const codes = new Map<string, PendingCode>();
  const hanging = new Set<http.ServerResponse>();
  let origin = '';

  const state: ScriptedIssuer = {
    issuer: '',
    clientId,
    clientSecret,
    profile: { sub: 'scripted-user', email: 'scripted@example.com', email_verified: true },
    next: {},
    lastAuthorize: undefined,
    stop: async () => {
      for (const res of hanging) res.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const idToken = async (pending: PendingCode, extra: Record<string, unknown>, key: CryptoKey) => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { ...pending.profile, nonce: pending.nonce, iss: origin, aud: clientId, iat: now, exp: now + 300, ...extra };
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'scripted' }).sign(key);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(res, 200, {
        issuer: origin,
        authorization_endpoint: `${origin}/authorize`,
        token_endpoint: `${origin}/token`,
        jwks_uri: `${origin}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
      });
    }
    if (url.pathname === '/jwks') return json(res, 200, { keys: [publicJwk] });
    if (url.pathname === '/authorize') {
      state.lastAuthorize = url.searchParams;
      const back = new URL(url.searchParams.get('redirect_uri') ?? '');
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      if (state.next.authorizeError) {
        back.searchParams.set('error', state.next.authorizeError);
        state.next = {};
      } else {
        const code = randomBytes(16).toString('hex');
        codes.set(code, {
          challenge: url.searchParams.get('code_challenge') ?? '',
          nonce: url.searchParams.get('nonce') ?? undefined,
          redirectUri: url.searchParams.get('redirect_uri') ?? '',
          profile: { ...state.profile },
        });
        back.searchParams.set('code', code);
      }
      res.writeHead(302, { location: back.href });
      return res.end();
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        void (async () => {
          const next = state.next;
          state.next = {};
          if (next.hang) {
            hanging.add(res);
            return;
          }
          if (next.tokenStatus !== undefined) {
            res.writeHead(next.tokenStatus, { 'content-type': 'application/json' });
            return res.end(next.tokenBody ?? '');
          }
          const form = new URLSearchParams(body);
          const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
          const authenticated = req.headers.authorization === `Basic ${basic}` || (form.get('client_id') === clientId && form.get('client_secret') === clientSecret);
          const pending = codes.get(form.get('code') ?? '');
          codes.delete(form.get('code') ?? '');
          const challenge = createHash('sha256').update(form.get('code_verifier') ?? '').digest('base64url');
          if (!authenticated) return json(res, 401, { error: 'invalid_client' });
          if (!pending || pending.challenge !== challenge || pending.redirectUri !== form.get('redirect_uri')) {
            return json(res, 400, { error: 'invalid_grant' });
          }
          const token = await idToken(pending, next.idTokenClaims ?? {}, next.foreignKey ? foreign.privateKey : privateKey);
          json(res, 200, { access_token: randomBytes(16).toString('hex'), token_type: 'Bearer', expires_in: 300, id_token: token });
        })();
      });
      return;
    }
    json(res, 404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.issuer = origin;
  return state;
}
