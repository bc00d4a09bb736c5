// Reads HASURA_GRAPHQL_JWT_SECRET exactly as Hasura does, so one value configures both: tokens
// signed here are accepted by Hasura, and tokens Hasura accepts are accepted here.
import { createSecretKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';

export type HmacAlgorithm = 'HS256' | 'HS384' | 'HS512';
export type ClaimsFormat = 'json' | 'stringified_json';

export interface JwtConfig {
  algorithm: HmacAlgorithm;
  /** Built once: jsonwebtoken rebuilds a key object per call from a string (~600 µs vs ~9 µs). */
  key: KeyObject;
  claimsNamespace: string;
  claimsFormat: ClaimsFormat;
  issuer: string | undefined;
  audience: string | string[] | undefined;
}

export const DEFAULT_CLAIMS_NAMESPACE = 'https://hasura.io/jwt/claims';
/** Hasura refuses shorter HMAC keys. */
export const MIN_HMAC_KEY_LENGTH = 32;

const secretSchema = z
  .object({
    type: z.string(),
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
  if (secret.type !== 'HS256' && secret.type !== 'HS384' && secret.type !== 'HS512') {
    throw new Error(`type "${secret.type}" is not supported: use HS256, HS384 or HS512`);
  }
  if (secret.jwk_url) throw new Error('jwk_url is not supported: the service signs tokens and needs "key"');
  if (secret.claims_namespace_path || secret.claims_map) {
    throw new Error('claims_namespace_path and claims_map are not supported: use claims_namespace');
  }
  if (!secret.key || secret.key.length < MIN_HMAC_KEY_LENGTH) {
    throw new Error(`key must be at least ${MIN_HMAC_KEY_LENGTH} characters (Hasura refuses shorter HMAC keys)`);
  }
  return {
    algorithm: secret.type,
    key: createSecretKey(Buffer.from(secret.key, 'utf8')),
    claimsNamespace: secret.claims_namespace ?? DEFAULT_CLAIMS_NAMESPACE,
    claimsFormat: secret.claims_format ?? 'json',
    issuer: secret.issuer,
    audience: secret.audience,
  };
}
