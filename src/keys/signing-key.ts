// One asymmetric signing key as the service holds it: node KeyObjects built once (signing with a
// prebuilt KeyObject is what keeps the refresh path fast) and the public JWK the JWK set serves.
import { createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import type { AsymmetricAlgorithm } from '../auth/jwt-config';
import { jose } from './jose';

export interface SigningKey {
  kid: string;
  alg: AsymmetricAlgorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Public parameters only, with kid, alg and use: what GET /.well-known/jwks.json lists. */
  publicJwk: PublicJwk;
}

export interface PublicJwk {
  kty: string;
  kid: string;
  alg: AsymmetricAlgorithm;
  use: 'sig';
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
}

/** JWK members that are never published; each one alone gives away a private or secret key. */
export const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'] as const;

/** A fresh key pair for the algorithm: Ed25519, P-256 or RSA-2048. */
export function generateKeyPair(alg: AsymmetricAlgorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  if (alg === 'EdDSA') return generateKeyPairSync('ed25519');
  if (alg === 'ES256') return generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}

/** The algorithm a private key can sign with, or a reason it cannot serve here. */
export function algorithmOf(key: KeyObject): AsymmetricAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  if (key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048) return 'RS256';
  throw new Error('holds a key that is not Ed25519, P-256 or RSA of at least 2048 bits');
}

/** The JWK thumbprint (RFC 7638) of the public key: a kid that names the key itself. */
export async function thumbprintKid(publicKey: KeyObject): Promise<string> {
  const { calculateJwkThumbprint } = await jose();
  return calculateJwkThumbprint(publicKey.export({ format: 'jwk' }) as JWK);
}

export function signingKey(kid: string, alg: AsymmetricAlgorithm, privateKey: KeyObject): SigningKey {
  const publicKey = createPublicKey(privateKey);
  const exported: JsonWebKey = publicKey.export({ format: 'jwk' });
  // Built from the public KeyObject's own export and then only public members are copied: a
  // private parameter cannot reach the JWK set even by mistake.
  const publicJwk: PublicJwk = { kty: String(exported.kty), kid, alg, use: 'sig' };
  for (const member of ['crv', 'x', 'y', 'n', 'e'] as const) {
    const value = exported[member];
    if (typeof value === 'string') publicJwk[member] = value;
  }
  return { kid, alg, privateKey, publicKey, publicJwk };
}
