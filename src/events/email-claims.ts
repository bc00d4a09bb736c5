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
import type { Queryable } from '../auth/sessions';

export const LEASE_SECONDS = 30;

export interface Claim {
  key: string;
  claimedAt: Date;
}

const CLAIM = {
  name: 'email_claims.claim',
  text: `INSERT INTO email_claims (key, claimed_at, claimed_until)
         VALUES ($1, now(), now() + make_interval(secs => $2))
         ON CONFLICT (key) DO UPDATE SET claimed_at = EXCLUDED.claimed_at, claimed_until = EXCLUDED.claimed_until
          WHERE email_claims.sent_at IS NULL AND email_claims.claimed_until <= now()
         RETURNING claimed_at`,
};

const RENEW = {
  name: 'email_claims.renew',
  text: `UPDATE email_claims SET claimed_until = now() + make_interval(secs => $3)
          WHERE key = $1 AND claimed_at = $2 AND sent_at IS NULL`,
};

const RELEASE = {
  name: 'email_claims.release',
  text: 'DELETE FROM email_claims WHERE key = $1 AND claimed_at = $2 AND sent_at IS NULL',
};

export class EmailClaims {
  constructor(
    private readonly db: Queryable,
    private readonly leaseSeconds: number = LEASE_SECONDS,
  ) {}

  /**
   * Takes the claim on `key`, or answers undefined when the email was sent already or another
   * delivery holds a live lease on it (and is sending it right now).
   */
  async claim(key: string): Promise<Claim | undefined> {
    const { rows } = await this.db.query<{ claimed_at: Date }>({ ...CLAIM, values: [key, this.leaseSeconds] });
    const row = rows[0];
    return row ? { key, claimedAt: row.claimed_at } : undefined;
  }

  /** Gives the claim back (the email was not sent), so the next delivery can try again. */
  async release(claim: Claim): Promise<void> {
    await this.db.query({ ...RELEASE, values: [claim.key, claim.claimedAt] });
  }

  /**
   * Runs `work` while renewing the lease every third of its length. `onRenewFailure` hears a
   * renewal that failed or found the claim taken over (the lease ran out: a longer send than the
   * lease allows, or a stalled process), which may let a second delivery send the same email.
   */
  async holding<T>(claim: Claim, work: () => Promise<T>, onRenewFailure: (error: Error) => void): Promise<T> {
    const timer = setInterval(() => {
      this.db.query({ ...RENEW, values: [claim.key, claim.claimedAt, this.leaseSeconds] }).then(
        (result) => {
          if (result.rowCount === 0) onRenewFailure(new Error(`the claim on ${claim.key} was lost before the send finished`));
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
