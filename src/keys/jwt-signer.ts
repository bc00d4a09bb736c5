// The one path every JWT of the service goes through, signed or verified, in both modes:
// - HS256/384/512 (`{"type":"HS…","key":"…"}`): jsonwebtoken with a prebuilt secret KeyObject,
//   exactly as before the key ring existed (~9 µs a token);
// - jwk_url: jose with the ring's prebuilt private/public KeyObjects and `kid` in every header.
//   jsonwebtoken has no EdDSA, and jose covers all three algorithms with one API; it signs with
//   node's crypto and the KeyObject as given, so nothing is re-imported per token.
import jwt from 'jsonwebtoken';
import type { JWTPayload } from 'jose';
import type { HmacJwtConfig } from '../auth/jwt-config';
import { jose } from './jose';
import type { KeySource } from './key-ring';

export interface VerifyRules {
  /** Seconds since the epoch, from the injectable clock; no skew is tolerated, as Hasura's default. */
  now: number;
  issuer: string | undefined;
  audience: string | string[] | undefined;
}

export interface JwtSigner {
  sign(payload: Record<string, unknown>): Promise<string>;
  /** The payload of a token whose signature, algorithm, kid, expiry, issuer and audience hold; throws otherwise. */
  verify(token: string, rules: VerifyRules): Promise<Record<string, unknown>>;
}

export class HmacSigner implements JwtSigner {
  constructor(private readonly config: Pick<HmacJwtConfig, 'algorithm' | 'key'>) {}

  async sign(payload: Record<string, unknown>): Promise<string> {
    return jwt.sign(payload, this.config.key, { algorithm: this.config.algorithm });
  }

  async verify(token: string, rules: VerifyRules): Promise<Record<string, unknown>> {
    const payload = jwt.verify(token, this.config.key, {
      algorithms: [this.config.algorithm],
      clockTimestamp: rules.now,
      clockTolerance: 0,
      issuer: rules.issuer,
      audience: audienceOption(rules.audience),
    });
    if (typeof payload === 'string') throw new Error('not a JSON payload');
    return payload;
  }
}

export class KeyRingSigner implements JwtSigner {
  constructor(private readonly keys: KeySource) {}

  async sign(payload: Record<string, unknown>): Promise<string> {
    const [key, { SignJWT }] = await Promise.all([this.keys.signingKey(), jose()]);
    return new SignJWT(payload as JWTPayload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' }).sign(key.privateKey);
  }

  async verify(token: string, rules: VerifyRules): Promise<Record<string, unknown>> {
    const { jwtVerify } = await jose();
    const { payload } = await jwtVerify(
      token,
      async (header) => {
        // Only published keys, each with its own algorithm: a token naming another algorithm
        // (`none`, HS256 with the public key as secret) or an unknown kid never verifies.
        const key = header.kid === undefined ? undefined : await this.keys.verificationKey(header.kid);
        if (!key || header.alg !== key.alg) throw new Error('unknown kid or algorithm');
        return key.publicKey;
      },
      {
        currentDate: new Date(rules.now * 1000),
        clockTolerance: 0,
        issuer: rules.issuer,
        audience: audienceOption(rules.audience),
        requiredClaims: ['exp'],
      },
    );
    return payload;
  }
}

function audienceOption(audience: string | string[] | undefined): [string, ...string[]] | string | undefined {
  if (Array.isArray(audience)) return audience.length ? (audience as [string, ...string[]]) : undefined;
  return audience;
}
