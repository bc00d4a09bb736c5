// Password hashing. bcrypt runs in libuv's thread pool, so hashing never blocks the event loop.
import bcrypt from 'bcrypt';

export class PasswordHasher {
  /** Compared against when no account matches, so unknown and known usernames take as long. */
  private readonly dummyHash: Promise<string>;

  constructor(private readonly rounds: number) {
    this.dummyHash = bcrypt.hash('not a real password', rounds);
  }

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.rounds);
  }

  /** Checks a password; with no hash (unknown account) it spends the same time and says false. */
  async verify(password: string, hash: string | undefined): Promise<boolean> {
    const matches = await bcrypt.compare(password, hash ?? (await this.dummyHash));
    return hash !== undefined && matches;
  }
}
