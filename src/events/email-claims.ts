// Exactly-once email under at-least-once webhook delivery, across every instance that shares the
// database. Before sending, a delivery claims the email in `email_claims` (one row per email, by a
// key such as "welcome:42"); only the claim holder sends.
//
// - The claim is a lease (`claimed_until`), not a lock held on a connection: a send takes a mail
//   server round trip, and holding a transaction open that long would pin a pooled connection (the
//   embedded database has exactly one). The holder renews the lease while its send runs, so a lease
//   can stay short and the claim of an instance that crashed mid-send lapses within LEASE_SECONDS;
//   the next delivery of the event then takes it over.
// - Lease times come from the database's clock, the one clock every instance shares.
// - `claimed_at` identifies one holding of a claim: a claim is only taken over once its lease has
//   run out, so a new holder's `claimed_at` is always later than the old one's. Renewing and
//   releasing match on it, so an instance that lost its lease never drops a successor's claim.
// - `sent_at` is set, together with the row's flag, once the mail server has accepted the email;
//   from then on the claim can never be taken again.
import type { Database } from '../db/database';

export const LEASE_SECONDS = 30;

export interface Claim {
  key: string;
  claimedAt: Date;
}

export interface EmailClaimsDependencies {
  db: Database;
  /** Seconds; tests shorten it. */
  leaseSeconds?: number;
}

export class EmailClaims {
  private readonly db: Database;
  private readonly leaseSeconds: number;

  constructor({ db, leaseSeconds = LEASE_SECONDS }: EmailClaimsDependencies) {
    this.db = db;
    this.leaseSeconds = leaseSeconds;
  }

  /**
   * Takes the claim on `key`, or answers undefined when the email was sent already or another
   * delivery holds a live lease on it (and is sending it right now).
   * SQL: taking a free or lapsed claim must be one statement (an upsert whose update is conditional),
   * and the lease runs on the database's clock.
   */
  async claim(key: string): Promise<Claim | undefined> {
    const rows = await this.db.prisma.$queryRaw<{ claimed_at: Date }[]>`
      INSERT INTO email_claims (key, claimed_at, claimed_until)
      VALUES (${key}, now(), now() + make_interval(secs => ${this.leaseSeconds}))
      ON CONFLICT (key) DO UPDATE SET claimed_at = EXCLUDED.claimed_at, claimed_until = EXCLUDED.claimed_until
       WHERE email_claims.sent_at IS NULL AND email_claims.claimed_until <= now()
      RETURNING claimed_at`;
    const row = rows[0];
    return row ? { key, claimedAt: row.claimed_at } : undefined;
  }

  /** Gives the claim back (the email was not sent), so the next delivery can try again. */
  async release(claim: Claim): Promise<void> {
    await this.db.prisma.emailClaim.deleteMany({ where: { key: claim.key, claimedAt: claim.claimedAt, sentAt: null } });
  }

  /**
   * Records that the email went out; from then on the claim can never be taken again. Not run
   * here but returned, so that a caller can put it in one transaction with the row's own flag.
   */
  markSent(claim: Claim) {
    return this.db.prisma.emailClaim.updateMany({ where: { key: claim.key }, data: { sentAt: new Date() } });
  }

  /** Extends the lease from the database's clock (SQL for that), if this holding still has the claim. */
  private async renew(claim: Claim): Promise<boolean> {
    const renewed = await this.db.prisma.$executeRaw`
      UPDATE email_claims SET claimed_until = now() + make_interval(secs => ${this.leaseSeconds})
       WHERE key = ${claim.key} AND claimed_at = ${claim.claimedAt} AND sent_at IS NULL`;
    return renewed === 1;
  }

  /**
   * Runs `work` while renewing the lease every third of its length. `onRenewFailure` hears a
   * renewal that failed or found the claim taken over (the lease ran out: a longer send than the
   * lease allows, or a stalled process), which may let a second delivery send the same email.
   */
  async holding<T>(claim: Claim, work: () => Promise<T>, onRenewFailure: (error: Error) => void): Promise<T> {
    const timer = setInterval(() => {
      this.renew(claim).then(
        (renewed) => {
          if (!renewed) onRenewFailure(new Error(`the claim on ${claim.key} was lost before the send finished`));
        },
        (error: unknown) => onRenewFailure(error as Error),
      );
    }, (this.leaseSeconds * 1000) / 3);
    // A pending renewal must not keep a stopping process alive.
    timer.unref();
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  }
}
