// MFA tickets: what a sign-in whose first factor succeeded gets instead of tokens when the account
// has a second factor. 256 random bits handed out once, stored only as a SHA-256 hash; valid for
// five minutes and exchanged for tokens at most once.
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../clock';
import type { Database } from '../db/database';

export const MFA_TICKET_TTL_SECONDS = 5 * 60;

/** 256 bits, base64url. */
const TICKET = /^[A-Za-z0-9_-]{43}$/;

export interface LiveTicket {
  userId: number;
  /** The factors the first step proved. */
  amr: string[];
}

function hashTicket(ticket: string): string {
  return createHash('sha256').update(ticket).digest('base64url');
}

export class MfaTickets {
  private readonly db: Database;
  private readonly clock: Clock;

  constructor(deps: { db: Database; clock: Clock }) {
    this.db = deps.db;
    this.clock = deps.clock;
  }

  async issue(userId: number, amr: readonly string[]): Promise<{ ticket: string; expiresAt: Date }> {
    const now = this.clock.now();
    const ticket = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + MFA_TICKET_TTL_SECONDS * 1000);
    // A user's dead tickets go with each new one, so the table never grows past a few rows a user.
    await this.db.prisma.$transaction([
      this.db.prisma.mfaTicket.deleteMany({ where: { userId, OR: [{ expiresAt: { lte: now } }, { usedAt: { not: null } }] } }),
      this.db.prisma.mfaTicket.create({ data: { ticketHash: hashTicket(ticket), userId, amr: [...amr], createdAt: now, expiresAt } }),
    ]);
    return { ticket, expiresAt };
  }

  /** The unused, unexpired ticket; `undefined` for anything else. Uses nothing up. */
  async find(ticket: string): Promise<LiveTicket | undefined> {
    if (!TICKET.test(ticket)) return undefined;
    const row = await this.db.prisma.mfaTicket.findFirst({
      where: { ticketHash: hashTicket(ticket), usedAt: null, expiresAt: { gt: this.clock.now() } },
      select: { userId: true, amr: true },
    });
    return row ?? undefined;
  }

  /**
   * Marks the ticket used. One conditional UPDATE: of two requests racing with one ticket, exactly
   * one gets `true`.
   */
  async consume(ticket: string): Promise<boolean> {
    const now = this.clock.now();
    const { count } = await this.db.prisma.mfaTicket.updateMany({
      where: { ticketHash: hashTicket(ticket), usedAt: null, expiresAt: { gt: now } },
      data: { usedAt: now },
    });
    return count === 1;
  }

  /** Every outstanding ticket of a user (second factor turned off). */
  async revokeAll(userId: number): Promise<void> {
    await this.db.prisma.mfaTicket.deleteMany({ where: { userId } });
  }
}
