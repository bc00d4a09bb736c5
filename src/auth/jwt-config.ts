// Reads HASURA_GRAPHQL_JWT_SECRET exactly as Hasura does, so one value configures both: tokens
// signed here are accepted by Hasura, and tokens Hasura accepts are accepted here.
import { createSecretKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';

export type HmacAlgorithm = 'HS256' | 'HS384' | 'HS512';
/** What the key ring signs with in the `jwk_url` mode (JWT_ALGORITHM). */
export type AsymmetricAlgorithm = 'EdDSA' | 'ES256' | 'RS256';
export type ClaimsFormat = 'json' | 'stringified_json';

interface ClaimRules {
  claimsNamespace: string;
  claimsFormat: ClaimsFormat;
  issuer: string | undefined;
  audience: string | string[] | undefined;
}

/** `{"type":"HS256","key":"…"}`: Hasura and the service share one HMAC key. */
export interface HmacJwtConfig extends ClaimRules {
  mode: 'hmac';
  algorithm: HmacAlgorithm;
  /** Built once: jsonwebtoken rebuilds a key object per call from a string (~600 µs vs ~9 µs). */
  key: KeyObject;
}

/** `{"jwk_url":"…"}`: the service signs with its key ring; Hasura holds only the public keys. */
export interface JwkUrlJwtConfig extends ClaimRules {
  mode: 'jwk_url';
  /** Where Hasura fetches the public keys (this service's GET /.well-known/jwks.json). */
  jwkUrl: string;
}

export type JwtConfig = HmacJwtConfig | JwkUrlJwtConfig;

export const DEFAULT_CLAIMS_NAMESPACE = 'https://hasura.io/jwt/claims';
/** Hasura refuses shorter HMAC keys. */
export const MIN_HMAC_KEY_LENGTH = 32;

const secretSchema = z
  .object({
    type: z.string().optional(),
    key: z.string().optional(),
    jwk_url: z.string().optional(),
    claims_namespace: z.string().min(1).optional(),
    claims_namespace_path: z.string().optional(),
    claims_format: z.enum(['json', 'stringified_json']).optional(),
    issuer: z.string().optional(),
    audience: z.union([z.string(), z.array(z.string())]).optional(),
    allowed_skew: z.number().optional(),
    header: z.unknown().optional(),
    claims_map: z.unknown().optional(),
  })
  .strict();

/** Throws an Error whose message completes "HASURA_GRAPHQL_JWT_SECRET …". */
export function parseJwtSecret(value: string): JwtConfig {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw new Error('must be JSON like {"type":"HS256","key":"<at least 32 characters>"}');
  }
  const parsed = secretSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`has an invalid "${issue?.path.join('.') || 'value'}": ${issue?.message ?? 'invalid'}`);
  }
  const secret = parsed.data;
  if (secret.claims_namespace_path || secret.claims_map) {
    throw new Error('claims_namespace_path and claims_map are not supported: use claims_namespace');
  }
  const rules: ClaimRules = {
    claimsNamespace: secret.claims_namespace ?? DEFAULT_CLAIMS_NAMESPACE,
    claimsFormat: secret.claims_format ?? 'json',
    issuer: secret.issuer,
    audience: secret.audience,
  };
  if (secret.jwk_url !== undefined) {
    // Hasura takes either a key or a JWK set URL; with the URL, no signing key leaves this service.
    if (secret.key !== undefined) throw new Error('takes either "jwk_url" or "key", not both');
    if (!URL.canParse(secret.jwk_url) || !/^https?:$/.test(new URL(secret.jwk_url).protocol)) {
      throw new Error('jwk_url must be an http(s) URL, such as http://auth:4000/.well-known/jwks.json');
    }
    return { mode: 'jwk_url', jwkUrl: secret.jwk_url, ...rules };
  }
  if (secret.type === undefined) throw new Error('needs "type" and "key", or "jwk_url"');
  if (secret.type !== 'HS256' && secret.type !== 'HS384' && secret.type !== 'HS512') {
    throw new Error(`type "${secret.type}" is not supported: use HS256, HS384 or HS512`);
  }
  if (!secret.key || secret.key.length < MIN_HMAC_KEY_LENGTH) {
    throw new Error(`key must be at least ${MIN_HMAC_KEY_LENGTH} characters (Hasura refuses shorter HMAC keys)`);
  }
  return { mode: 'hmac', algorithm: secret.type, key: createSecretKey(Buffer.from(secret.key, 'utf8')), ...rules };
}
