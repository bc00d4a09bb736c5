// npm run keys:rotate: adds the next signing key to the database key ring now, while instances
// run. It is published at once (by every instance within one JWKS_MAX_AGE) and signs from
// 3 × JWKS_MAX_AGE on (every instance and Hasura have re-read the JWK set by then); the key it replaces keeps verifying until its tokens expire.
// Needs DATABASE_URL: the embedded database opens in one process only (the running service).
import 'reflect-metadata';
import type { Clock } from '../src/clock';
import { systemClock } from '../src/clock';
import type { Config } from '../src/config';
import { openDatabase } from '../src/db/database';
import { loadCommandConfig } from '../src/development-secrets';
import { SealedSecrets } from '../src/factors/sealed-secrets';
import { DerivedKeys } from '../src/keys/derived-keys';
import { DatabaseKeyRing } from '../src/keys/key-ring';

export interface Rotation {
  kid: string;
  activatesAt: Date;
  /** False when a next key was already waiting: it is the one reported, and nothing was added. */
  added: boolean;
}

export async function rotateSigningKeys(config: Config, clock: Clock = systemClock): Promise<Rotation> {
  if (config.tokens.jwt.mode !== 'jwk_url') throw new Error('HASURA_GRAPHQL_JWT_SECRET is an HMAC key: there is no key ring to rotate');
  if (config.tokens.keyRing.privateKeys) throw new Error('the keys come from JWT_PRIVATE_KEYS: rotate them where they are kept');
  if (!config.database.url) throw new Error('DATABASE_URL is not set: the embedded database is open in the running service only');
  const db = openDatabase({ url: config.database.url, poolMax: 1 });
  try {
    const { keyRing } = config.tokens;
    const ring = new DatabaseKeyRing({
      db,
      clock,
      sealed: new SealedSecrets(new DerivedKeys(config.keys.authSecret).key('signing-key')),
      options: { algorithm: keyRing.algorithm, jwksMaxAge: keyRing.jwksMaxAge, rotation: keyRing.rotation, accessTtl: config.tokens.accessTtl },
    });
    return await ring.rotate();
  } finally {
    await db.close();
  }
}

async function main(): Promise<void> {
  const config = loadCommandConfig();
  const rotation = await rotateSigningKeys(config);
  process.stdout.write(
    rotation.added
      ? `added signing key ${rotation.kid}: published now, signs from ${rotation.activatesAt.toISOString()}\n`
      : `signing key ${rotation.kid} is already waiting to sign from ${rotation.activatesAt.toISOString()}; nothing added\n`,
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`keys:rotate failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
