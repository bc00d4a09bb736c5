// The signing keys of the jwk_url mode. Two sources behind one interface: the database ring
// (generated, rotated and shared by every instance) or JWT_PRIVATE_KEYS (fixed, from a vault).
//
// The database ring's rules (all decided from the injectable clock and the rows, so instances that
// read the same rows pick the same key without talking to each other):
// - the active key is the newest generation whose activates_at has passed; it signs everything;
// - a next key is added with activates_at ≥ now + 3 × JWKS_MAX_AGE: every instance re-reads the
//   ring at least once per max-age, so every instance publishes it within one max-age of its
//   creation, at least 2 × max-age before it signs; Hasura re-fetches the JWK set at least once per
//   max-age, so it knows the key before any token carries its kid;
// - a retired key (a newer generation is active) stays published until ACCESS_TOKEN_TTL after its
//   successor activated — its last token has expired by then — and is deleted afterwards;
// - a next key is added JWT_KEY_ROTATION after the active one activated (or at once when
//   JWT_ALGORITHM changed). The generation is unique: two instances adding one at the same moment
//   cannot both succeed, and the loser simply reads the winner's key.
import { createHash, createPrivateKey } from 'node:crypto';
import type { AsymmetricAlgorithm } from '../auth/jwt-config';
import type { Clock } from '../clock';
import type { Database } from '../db/database';
import type { SealedSecrets } from '../factors/sealed-secrets';
import type { Logger } from '../logger';
import type { PrivateJwk } from './private-jwks';
import { generateKeyPair, signingKey, thumbprintKid, type PublicJwk, type SigningKey } from './signing-key';

/** The public keys as GET /.well-known/jwks.json serves them, with a strong validator. */
export interface Jwks {
  body: string;
  etag: string;
}

export interface KeySource {
  /** The key that signs now. */
  signingKey(): Promise<SigningKey>;
  /** A published key by its kid (tokens signed by any published key verify); `undefined` if unknown. */
  verificationKey(kid: string): Promise<SigningKey | undefined>;
  jwks(): Promise<Jwks>;
}

function jwksOf(keys: readonly PublicJwk[]): Jwks {
  const body = JSON.stringify({ keys });
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url')}"` };
}

/** JWT_PRIVATE_KEYS: imported once at start-up; the first key signs, every key verifies. */
export class StaticKeyRing implements KeySource {
  private readonly keys: SigningKey[];
  private readonly published: Jwks;

  constructor(jwks: readonly PrivateJwk[]) {
    if (!jwks.length) throw new Error('StaticKeyRing needs at least one key');
    this.keys = jwks.map((k) => signingKey(k.kid, k.alg, createPrivateKey({ key: k.jwk, format: 'jwk' })));
    this.published = jwksOf(this.keys.map((k) => k.publicJwk));
  }

  async signingKey(): Promise<SigningKey> {
    return this.keys[0]!;
  }

  async verificationKey(kid: string): Promise<SigningKey | undefined> {
    return this.keys.find((k) => k.kid === kid);
  }

  async jwks(): Promise<Jwks> {
    return this.published;
  }
}

export interface KeyRingOptions {
  algorithm: AsymmetricAlgorithm;
  /** Seconds. */
  jwksMaxAge: number;
  /** Seconds a key signs before the next one takes over. */
  rotation: number;
  /** Seconds an access token lives: how long a retired key stays published. */
  accessTtl: number;
}

interface RingKey {
  generation: number;
  activatesAt: number;
  key: SigningKey;
}

/** What the ring holds at one moment. */
interface RingState {
  /** Newest generation first. */
  keys: RingKey[];
  /** When the state must be re-read: the next activation, or one max-age after loading. */
  staleAt: number;
  active: RingKey | undefined;
  published: RingKey[];
  jwks: Jwks;
}

/** How soon a failed re-read of the ring is tried again. */
const RETRY_MS = 1000;

export class DatabaseKeyRing implements KeySource {
  private readonly db: Database;
  private readonly clock: Clock;
  private readonly sealed: SealedSecrets;
  private readonly options: KeyRingOptions;
  private readonly logger: Pick<Logger, 'info' | 'warn'> | undefined;
  private state: RingState | undefined;
  private loading: Promise<RingState> | undefined;
  /** Imported keys by kid: a key is unsealed and imported once, not on every re-read. */
  private readonly imported = new Map<string, SigningKey>();

  constructor(deps: { db: Database; clock: Clock; sealed: SealedSecrets; options: KeyRingOptions; logger?: Pick<Logger, 'info' | 'warn'> }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.sealed = deps.sealed;
    this.options = deps.options;
    this.logger = deps.logger;
  }

  async signingKey(): Promise<SigningKey> {
    const state = await this.current();
    if (!state.active) throw new Error('the signing key ring has no active key');
    return state.active.key;
  }

  async verificationKey(kid: string): Promise<SigningKey | undefined> {
    return (await this.current()).published.find((k) => k.key.kid === kid)?.key;
  }

  async jwks(): Promise<Jwks> {
    return (await this.current()).jwks;
  }

  /** Seconds between a key's creation and its first signature: see the rules above. */
  get publishLead(): number {
    return publishLead(this.options.jwksMaxAge);
  }

  /**
   * Adds a next key now (activating 3 × JWKS_MAX_AGE from now) unless one is already waiting.
   * Returns the waiting key's kid and activation, and whether it was added by this call.
   */
  async rotate(): Promise<{ kid: string; activatesAt: Date; added: boolean }> {
    const before = await this.reload();
    const now = this.clock.now().getTime();
    const waiting = before.keys.find((k) => k.activatesAt > now);
    if (waiting) return { kid: waiting.key.kid, activatesAt: new Date(waiting.activatesAt), added: false };
    const added = await this.add(before.keys[0], now + this.publishLead * 1000);
    const after = await this.reload();
    const next = after.keys.find((k) => k.activatesAt > now)!;
    return { kid: next.key.kid, activatesAt: new Date(next.activatesAt), added: added && next.key.kid === after.keys[0]!.key.kid };
  }

  /** Re-reads the ring when due; the hot path pays one comparison. */
  private current(): Promise<RingState> {
    const state = this.state;
    if (state && this.clock.now().getTime() < state.staleAt) return Promise.resolve(state);
    if (!state) return this.reload();
    // A database blip must not stop verifying callers' tokens: the keys already read stay in use
    // (a next key is read long before it signs), and the ring is read again a second later.
    return this.reload().catch((error: unknown) => {
      this.logger?.warn({ err: error }, 'could not re-read the signing key ring; using the keys read before');
      state.staleAt = this.clock.now().getTime() + RETRY_MS;
      return state;
    });
  }

  /** Reads the ring, adds or deletes keys its rules call for, and keeps the result. One at a time. */
  reload(): Promise<RingState> {
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<RingState> {
    let rows = await this.read();
    const now = this.clock.now().getTime();
    const newest = rows[0];
    const maxAge = this.options.jwksMaxAge * 1000;
    const lead = this.publishLead * 1000;
    if (!newest) {
      // An empty ring: nobody holds a token yet, so the first key signs at once.
      await this.add(undefined, now);
      rows = await this.read();
    } else if (newest.activatesAt <= now) {
      const due = newest.activatesAt + this.options.rotation * 1000 - lead;
      const algorithmChanged = newest.key.alg !== this.options.algorithm;
      if (now >= due || algorithmChanged) {
        await this.add(newest, algorithmChanged ? now + lead : Math.max(now + lead, newest.activatesAt + this.options.rotation * 1000));
        rows = await this.read();
      }
    }

    const activeIndex = rows.findIndex((k) => k.activatesAt <= now);
    const active = activeIndex === -1 ? undefined : rows[activeIndex];
    const published: RingKey[] = [];
    const gone: string[] = [];
    rows.forEach((key, index) => {
      // A key older than the active one is retired from its successor's activation; its tokens
      // live ACCESS_TOKEN_TTL at most after that.
      const successor = rows[index - 1];
      const retiredFor = index > activeIndex && activeIndex !== -1 && successor ? now - successor.activatesAt : -1;
      if (retiredFor >= this.options.accessTtl * 1000) gone.push(key.key.kid);
      else published.push(key);
    });
    if (gone.length) {
      await this.db.prisma.signingKey.deleteMany({ where: { kid: { in: gone } } });
      for (const kid of gone) this.imported.delete(kid);
    }

    // Re-read at the earliest of: one max-age from now, the next key's activation, a retired key's end.
    let staleAt = now + maxAge;
    for (const key of rows) if (key.activatesAt > now) staleAt = Math.min(staleAt, key.activatesAt);
    rows.forEach((key, index) => {
      const successor = rows[index - 1];
      if (index > activeIndex && activeIndex !== -1 && successor && published.includes(key)) {
        staleAt = Math.min(staleAt, successor.activatesAt + this.options.accessTtl * 1000);
      }
    });
    const state: RingState = {
      keys: rows,
      staleAt,
      active,
      published,
      jwks: jwksOf(published.map((k) => k.key.publicJwk)),
    };
    this.state = state;
    return state;
  }

  private async read(): Promise<RingKey[]> {
    const rows = await this.db.prisma.signingKey.findMany({
      orderBy: { generation: 'desc' },
      select: { kid: true, generation: true, alg: true, privateKey: true, activatesAt: true },
    });
    return rows.map((row) => {
      let key = this.imported.get(row.kid);
      if (!key) {
        const der = this.sealed.open(Buffer.from(row.privateKey), sealContext(row.kid));
        key = signingKey(row.kid, row.alg as AsymmetricAlgorithm, createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
        this.imported.set(row.kid, key);
      }
      return { generation: row.generation, activatesAt: row.activatesAt.getTime(), key };
    });
  }

  /** Inserts the generation after `after`; false when another instance inserted it first. */
  private async add(after: RingKey | undefined, activatesAt: number): Promise<boolean> {
    const { privateKey, publicKey } = generateKeyPair(this.options.algorithm);
    const kid = await thumbprintKid(publicKey);
    const key = signingKey(kid, this.options.algorithm, privateKey);
    const der = privateKey.export({ format: 'der', type: 'pkcs8' }) as Buffer;
    const { count } = await this.db.prisma.signingKey.createMany({
      data: [
        {
          kid,
          generation: (after?.generation ?? 0) + 1,
          alg: key.alg,
          publicJwk: { ...key.publicJwk },
          privateKey: new Uint8Array(this.sealed.seal(der, sealContext(kid))),
          createdAt: this.clock.now(),
          activatesAt: new Date(activatesAt),
        },
      ],
      skipDuplicates: true,
    });
    if (count === 1) {
      this.imported.set(kid, key);
      this.logger?.info({ kid, alg: key.alg, activatesAt: new Date(activatesAt).toISOString() }, 'added a signing key to the ring');
    }
    return count === 1;
  }
}

/** One max-age for every instance to re-read the ring, then two for Hasura's cache: seconds. */
export function publishLead(jwksMaxAge: number): number {
  return 3 * jwksMaxAge;
}

/** Bound into the sealed box: a private key copied onto another kid's row does not open. */
function sealContext(kid: string): string {
  return `signing-key:${kid}`;
}
