// Access tokens: JWTs that Hasura accepts as they are. Verified here with the same
// key and rules Hasura applies, because only the Authorization header identifies a caller.
import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../clock';
import type { JwtSigner } from '../keys/jwt-signer';
import { UnauthenticatedError } from './errors';
import type { JwtConfig } from './jwt-config';

export interface TokenSubject {
  userId: number;
  username: string;
  email: string;
  role: string;
  sessionId: string;
  /** The factors the sign-in proved (RFC 8176 names: pwd, otp, …); password sign-ins when unset. */
  amr?: readonly string[];
  /** An anonymous user (user_signin_anonymous), not yet upgraded by user_register. */
  anonymous?: boolean;
  /** Roles granted besides `role`: x-hasura-allowed-roles is `role` plus these. */
  grantedRoles?: readonly string[];
  /** Custom claims, already in Hasura's formats (`x-hasura-…` names, string values). */
  claims?: Readonly<Record<string, string>>;
  /** Whether the address is verified: the x-hasura-user-email-verified claim ("false" when unset). */
  emailVerified?: boolean;
}

export interface HasuraClaims {
  'x-hasura-allowed-roles': string[];
  'x-hasura-default-role': string;
  'x-hasura-user-id': string;
  [claim: `x-hasura-${string}`]: string | string[];
}

export interface AccessTokenPayload {
  sub: string;
  iat: number;
  exp: number;
  jti: string;
  token_type: 'access';
  sid: string;
  user_name: string;
  user_email: string;
  amr: string[];
  iss?: string;
  aud?: string | string[];
  [namespace: string]: unknown;
}

/** The verified identity of a caller. */
export interface Caller {
  userId: number;
  role: string;
  sessionId: string;
}

/**
 * Tokens already verified, by their exact text. A client sends the same token with every request
 * until it expires, and checking its signature and claims again is the biggest single cost of an
 * authenticated request; a hit only needs the expiry checked. Bounded: ~1 kB an entry.
 */
const VERIFIED_TOKENS = 2048;

interface VerifiedToken {
  caller: Readonly<Caller>;
  exp: number;
}

export class AccessTokens {
  private readonly verified = new LRUCache<string, VerifiedToken>({ max: VERIFIED_TOKENS });

  constructor(
    private readonly config: JwtConfig,
    private readonly ttlSeconds: number,
    private readonly clock: Clock,
    /** The one signing path: an HMAC key or the key ring, as HASURA_GRAPHQL_JWT_SECRET says. */
    private readonly signer: JwtSigner,
  ) {}

  // Not async: the signer's own promise is the answer (an async wrapper would add a promise and
  // its ticks to every refresh and sign-in).
  sign(subject: TokenSubject): Promise<string> {
    const iat = Math.floor(this.clock.now().getTime() / 1000);
    const claims: HasuraClaims = {
      // Custom claims first: the three the session rests on are written last and always win
      // (the claims function is refused before it could set them anyway).
      ...subject.claims,
      'x-hasura-allowed-roles': [...new Set([subject.role, ...(subject.grantedRoles ?? [])])],
      'x-hasura-default-role': subject.role,
      'x-hasura-user-id': String(subject.userId),
      // Only in an anonymous user's tokens: gone from the first token after the upgrade.
      ...(subject.anonymous ? { 'x-hasura-user-is-anonymous': 'true' } : {}),
      'x-hasura-user-email-verified': subject.emailVerified ? 'true' : 'false',
    };
    const payload: AccessTokenPayload = {
      sub: String(subject.userId),
      iat,
      exp: iat + this.ttlSeconds,
      jti: randomUUID(),
      token_type: 'access',
      sid: subject.sessionId,
      user_name: subject.username,
      user_email: subject.email,
      amr: [...(subject.amr ?? ['pwd'])],
      [this.config.claimsNamespace]: this.config.claimsFormat === 'stringified_json' ? JSON.stringify(claims) : claims,
    };
    if (this.config.issuer !== undefined) payload.iss = this.config.issuer;
    if (this.config.audience !== undefined) payload.aud = this.config.audience;
    return this.signer.sign(payload);
  }

  /** Verifies signature, algorithm, expiry (zero skew), issuer, audience and the token type. */
  async verify(token: string): Promise<Readonly<Caller>> {
    const now = Math.floor(this.clock.now().getTime() / 1000);
    const known = this.verified.get(token);
    if (known) {
      // The same rule as jsonwebtoken's with zero tolerance: expired from `exp` on.
      if (now < known.exp) return known.caller;
      this.verified.delete(token);
      throw new UnauthenticatedError('The access token is invalid or has expired.');
    }
    let payload: Record<string, unknown>;
    try {
      payload = await this.signer.verify(token, { now, issuer: this.config.issuer, audience: this.config.audience });
    } catch {
      throw new UnauthenticatedError('The access token is invalid or has expired.');
    }
    if (payload.token_type !== 'access' || typeof payload.exp !== 'number') {
      throw new UnauthenticatedError('The access token is invalid or has expired.');
    }
    const claims = readClaims(payload[this.config.claimsNamespace]);
    const userId = Number(claims?.['x-hasura-user-id']);
    if (!claims || !Number.isSafeInteger(userId) || String(userId) !== payload.sub || typeof payload.sid !== 'string') {
      throw new UnauthenticatedError('The access token is invalid or has expired.');
    }
    const caller = Object.freeze({ userId, role: claims['x-hasura-default-role'], sessionId: payload.sid });
    this.verified.set(token, { caller, exp: payload.exp });
    return caller;
  }
}

function readClaims(value: unknown): HasuraClaims | undefined {
  let claims = value;
  if (typeof claims === 'string') {
    try {
      claims = JSON.parse(claims);
    } catch {
      return undefined;
    }
  }
  if (typeof claims !== 'object' || claims === null) return undefined;
  const c = claims as Record<string, unknown>;
  const allowed = c['x-hasura-allowed-roles'];
  const role = c['x-hasura-default-role'];
  if (!Array.isArray(allowed) || typeof role !== 'string' || !allowed.includes(role)) return undefined;
  if (typeof c['x-hasura-user-id'] !== 'string') return undefined;
  return c as unknown as HasuraClaims;
}

/** Extracts the token from exactly `Bearer <jwt>`, as Hasura requires. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/.exec(header);
  if (!match) throw new UnauthenticatedError('The Authorization header must be "Bearer <access token>".');
  return match[1];
}
