// Password hashing. bcrypt runs in libuv's thread pool, so hashing never blocks the event loop.
//
// Checking a password costs 2^cost rounds, the cost being the stored hash's. After BCRYPT_ROUNDS
// rises, old hashes are cheaper than the dummy an unknown account is compared with, and the time
// of a wrong answer would tell known accounts from unknown ones. So every check spends what one
// at today's cost spends (padding with dummy comparisons), and a successful login re-hashes.
import bcrypt from 'bcrypt';
import type { Metrics } from '../metrics';

export interface PasswordHasherDependencies {
  /** BCRYPT_ROUNDS: the cost of new hashes and of every check. */
  rounds: number;
  metrics?: Pick<Metrics, 'bcryptWork'>;
}

/** The cost a bcrypt hash was made with, or undefined for anything that is no bcrypt hash. */
function costOf(hash: string): number | undefined {
  const match = /^\$2[abxy]?\$(\d{2})\$/.exec(hash);
  return match ? Number(match[1]) : undefined;
}

export class PasswordHasher {
  private readonly rounds: number;
  private readonly metrics: Pick<Metrics, 'bcryptWork'> | undefined;
  /** Hashes of no real password, by cost: compared against to spend time that reveals nothing. */
  private readonly dummies = new Map<number, Promise<string>>();

  constructor({ rounds, metrics }: PasswordHasherDependencies) {
    this.rounds = rounds;
    this.metrics = metrics;
    void this.dummy(rounds);
  }

  hash(password: string): Promise<string> {
    this.metrics?.bcryptWork.inc({ operation: 'hash' }, 2 ** this.rounds);
    return bcrypt.hash(password, this.rounds);
  }

  /**
   * Checks a password; with no hash (unknown account) it says false. Either way it spends exactly
   * the work of one comparison at today's cost: a hash of lower cost c is followed by dummy
   * comparisons at costs c, c+1 … rounds-1 (2^c + 2^c + … + 2^(rounds-1) = 2^rounds).
   */
  async verify(password: string, hash: string | undefined): Promise<boolean> {
    const stored = hash === undefined ? undefined : costOf(hash);
    const matches = await this.compare(password, hash ?? (await this.dummy(this.rounds)), stored ?? this.rounds);
    for (let cost = stored ?? this.rounds; cost < this.rounds; cost++) {
      await this.compare(password, await this.dummy(cost), cost);
    }
    return hash !== undefined && matches;
  }

  /** Whether a hash that just matched should be replaced by one at today's cost. */
  needsRehash(hash: string): boolean {
    return costOf(hash) !== this.rounds;
  }

  private compare(password: string, hash: string, cost: number): Promise<boolean> {
    this.metrics?.bcryptWork.inc({ operation: 'compare' }, 2 ** cost);
    return bcrypt.compare(password, hash);
  }

  private dummy(cost: number): Promise<string> {
    let dummy = this.dummies.get(cost);
    if (!dummy) {
      // Made once per cost, not counted as work: it is not part of any request's answer.
      dummy = bcrypt.hash('not a real password', cost);
      this.dummies.set(cost, dummy);
    }
    return dummy;
  }
}
