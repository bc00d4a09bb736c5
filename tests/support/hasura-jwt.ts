// Checks an access token the way Hasura v2 does in JWT mode, written
// independently of the service's own verifier so that the two cannot agree on a mistake.
import { createHmac, createPublicKey, timingSafeEqual, verify as verifySignature, type JsonWebKey, type KeyObject } from 'node:crypto';

interface ClaimRules {
  claims_namespace?: string;
  claims_format?: 'json' | 'stringified_json';
  issuer?: string;
  audience?: string | string[];
}

/** `{"type":"HS…","key":"…"}`, or `{"jwk_url":"…"}` with the JWK set Hasura keeps for it. */
export type HasuraJwtSecret = HasuraHmacSecret | HasuraJwkUrlSecret;

export interface HasuraJwkUrlSecret extends ClaimRules {
  jwk_url: string;
  /** What Hasura fetched from jwk_url (HasuraJwkSet). */
  keys: HasuraJwkSet;
}

export interface HasuraHmacSecret {
  type: 'HS256' | 'HS384' | 'HS512';
  key: string;
  claims_namespace?: string;
  claims_format?: 'json' | 'stringified_json';
  issuer?: string;
  audience?: string | string[];
}

export interface HasuraSession {
  allowedRoles: string[];
  defaultRole: string;
  variables: Record<string, string>;
  payload: Record<string, unknown>;
}

const HASH = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' } as const;

/** Throws with Hasura-like reasons; returns the session Hasura would build. */
export function hasuraVerify(token: string, secret: HasuraJwtSecret, nowSeconds = Math.floor(Date.now() / 1000)): HasuraSession {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('JWSError: not a compact JWS');
  const [h, p, s] = parts as [string, string, string];
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg?: string; kid?: string };
  if ('jwk_url' in secret) {
    secret.keys.check(header, `${h}.${p}`, Buffer.from(s, 'base64url'));
  } else {
    if (header.alg !== secret.type) throw new Error(`JWSError: alg ${header.alg} is not ${secret.type}`);
    const expected = createHmac(HASH[secret.type], Buffer.from(secret.key, 'utf8')).update(`${h}.${p}`).digest();
    const given = Buffer.from(s, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Error('JWSError: invalid signature');
  }

  const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
  // Zero allowed skew, as Hasura's default.
  if (typeof payload.exp !== 'number' || payload.exp <= nowSeconds) throw new Error('JWTExpired');
  if (payload.iat !== undefined && (typeof payload.iat !== 'number' || payload.iat > nowSeconds)) throw new Error('JWTNotInIssuedAtFuture');
  if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || payload.nbf > nowSeconds)) throw new Error('JWTNotYetValid');
  if (secret.issuer !== undefined && payload.iss !== secret.issuer) throw new Error('JWTNotInIssuer');
  if (secret.audience !== undefined) {
    const wanted = ([] as string[]).concat(secret.audience);
    const got = ([] as unknown[]).concat(payload.aud ?? []);
    if (!got.some((a) => typeof a === 'string' && wanted.includes(a))) throw new Error('JWTNotInAudience');
  }

  const namespace = secret.claims_namespace ?? 'https://hasura.io/jwt/claims';
  let claims = payload[namespace];
  if ((secret.claims_format ?? 'json') === 'stringified_json') {
    if (typeof claims !== 'string') throw new Error('claims must be a JSON string with claims_format stringified_json');
    claims = JSON.parse(claims);
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw new Error(`claims key ${namespace} not found`);
  const c = claims as Record<string, unknown>;
  const allowed = c['x-hasura-allowed-roles'];
  const defaultRole = c['x-hasura-default-role'];
  if (!Array.isArray(allowed) || !allowed.every((r) => typeof r === 'string')) throw new Error('x-hasura-allowed-roles must be a list of strings');
  if (typeof defaultRole !== 'string') throw new Error('x-hasura-default-role must be a string');
  if (!allowed.includes(defaultRole)) throw new Error('default role is not among the allowed roles');
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(c)) {
    if (name === 'x-hasura-allowed-roles' || name === 'x-hasura-default-role') continue;
    if (!name.toLowerCase().startsWith('x-hasura-')) continue;
    if (typeof value !== 'string') throw new Error(`${name} must be a string`);
    variables[name.toLowerCase()] = value;
  }
  return { allowedRoles: allowed as string[], defaultRole, variables, payload };
}

/**
 * The JWK set Hasura holds for a `jwk_url`: fetched once, then again only when the last answer's
 * Cache-Control max-age has passed (Hasura's refresh rule; with no max-age, never again). A token
 * whose kid is not in the set held now is refused — Hasura does not re-fetch for an unknown kid.
 */
export class HasuraJwkSet {
  private keys = new Map<string, { alg: string; key: KeyObject }>();
  private refreshAt: number | undefined;
  /** How many times the set was fetched. */
  fetches = 0;

  constructor(
    readonly url: string,
    /** Hasura's clock, in milliseconds. */
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** Fetches the set when Hasura would: the first time, and after max-age. */
  async refreshIfDue(): Promise<void> {
    if (this.fetches > 0 && (this.refreshAt === undefined || this.nowMs() < this.refreshAt)) return;
    const response = await fetch(this.url);
    if (response.status !== 200) throw new Error(`JWK set at ${this.url} answered ${response.status}`);
    const maxAge = /(?:^|,)\s*(?:s-)?max-age=(\d+)/.exec(response.headers.get('cache-control') ?? '')?.[1];
    this.refreshAt = maxAge === undefined ? undefined : this.nowMs() + Number(maxAge) * 1000;
    const body = (await response.json()) as { keys: Array<JsonWebKey & { kid?: string; alg?: string }> };
    this.keys = new Map(body.keys.map((jwk) => [String(jwk.kid), { alg: String(jwk.alg), key: createPublicKey({ key: jwk, format: 'jwk' }) }]));
    this.fetches += 1;
  }

  kids(): string[] {
    return [...this.keys.keys()];
  }

  /** Throws unless the signature over `signingInput` is right for the header's kid and alg. */
  check(header: { alg?: string; kid?: string }, signingInput: string, signature: Buffer): void {
    const entry = header.kid === undefined ? undefined : this.keys.get(header.kid);
    if (!entry) throw new Error(`JWSError: no key with kid ${String(header.kid)} in the JWK set`);
    if (header.alg !== entry.alg) throw new Error(`JWSError: alg ${String(header.alg)} is not the key's ${entry.alg}`);
    const data = Buffer.from(signingInput);
    const ok =
      entry.alg === 'EdDSA'
        ? verifySignature(null, data, entry.key, signature)
        : entry.alg === 'ES256'
          ? verifySignature('sha256', data, { key: entry.key, dsaEncoding: 'ieee-p1363' }, signature)
          : entry.alg === 'RS256'
            ? verifySignature('sha256', data, entry.key, signature)
            : false;
    if (!ok) throw new Error('JWSError: invalid signature');
  }
}
