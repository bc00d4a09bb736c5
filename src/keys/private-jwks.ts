// JWT_PRIVATE_KEYS: signing keys kept in a vault instead of the database, as a JWK set
// (`{"keys":[…]}` or a bare array). The first key signs; all of them are published.
import { createPrivateKey, type JsonWebKey } from 'node:crypto';
import type { AsymmetricAlgorithm } from '../auth/jwt-config';
import { algorithmOf } from './signing-key';

export interface PrivateJwk {
  kid: string;
  alg: AsymmetricAlgorithm;
  jwk: JsonWebKey;
}

/** Throws an Error whose message completes "JWT_PRIVATE_KEYS …"; never quotes key material. */
export function parsePrivateJwks(value: string): PrivateJwk[] {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw new Error('must be a JWK set: {"keys":[{"kty":…,"kid":…,"d":…}]}');
  }
  const list: unknown = Array.isArray(json) ? json : (json as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list) || list.length === 0) throw new Error('must be a JWK set with at least one key');
  const kids = new Set<string>();
  return list.map((entry: unknown, index) => {
    if (typeof entry !== 'object' || entry === null) throw new Error(`key ${index} is not a JWK object`);
    const jwk = entry as JsonWebKey & { kid?: unknown; alg?: unknown };
    if (typeof jwk.kid !== 'string' || !jwk.kid) throw new Error(`key ${index} needs a "kid"`);
    if (kids.has(jwk.kid)) throw new Error(`has the kid "${jwk.kid}" twice`);
    kids.add(jwk.kid);
    if (typeof jwk.d !== 'string') throw new Error(`key "${jwk.kid}" is not a private key (no "d")`);
    let alg: AsymmetricAlgorithm;
    try {
      alg = algorithmOf(createPrivateKey({ key: jwk, format: 'jwk' }));
    } catch (error) {
      // Node's own message may quote the key: only ours (which never does) is passed on.
      const reason = error instanceof Error && error.message.startsWith('holds') ? error.message : 'is not a valid private JWK';
      throw new Error(`key "${jwk.kid}" ${reason}`, { cause: error });
    }
    if (jwk.alg !== undefined && jwk.alg !== alg) throw new Error(`key "${jwk.kid}" says alg ${String(jwk.alg)} but is a ${alg} key`);
    return { kid: jwk.kid, alg, jwk };
  });
}
