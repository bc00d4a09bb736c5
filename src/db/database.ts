// One connection pool serves Prisma (through adapter-pg), rate-limiter-flexible and the refresh
// path's two statements, which run on `pg` as named (prepared) statements (src/auth/sessions.ts):
// everything sees the same database under the same rules.
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { Prisma, PrismaClient } from './generated/client';

export interface Database {
  prisma: PrismaClient;
  pool: pg.Pool;
  /** Whether the database answers (readiness). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Prisma's client, or the client of an interactive transaction (`prisma.$transaction(async (tx) => …)`).
 * Inside a transaction use only `tx`: on the embedded database the pool has one connection, which
 * the transaction holds, so anything else that queries the pool would wait for it forever.
 */
export type Db = Prisma.TransactionClient;

/** How long a transaction may wait for a connection and run; generous for the one-connection embedded database. */
export const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 15_000 } as const;

export interface DatabaseOptions {
  url: string;
  /** PGlite is one session: the embedded database needs 1. */
  poolMax: number;
  onError?: (error: Error) => void;
}

export function openDatabase(options: DatabaseOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', (error) => options.onError?.(error));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  let closed: Promise<void> | undefined;
  return {
    prisma,
    pool,
    async ping() {
      try {
        await pool.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
    close() {
      closed ??= prisma.$disconnect().then(() => pool.end());
      return closed;
    },
  };
}

/**
 * Whether an error is Prisma's unique violation (P2002); `fields` names the columns of the unique
 * index that refused the row. Every write that can collide goes through Prisma, so this is the
 * only shape such an error takes.
 */
export function uniqueViolation(error: unknown): { fields: string[] } | undefined {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError) || error.code !== 'P2002') return undefined;
  // With driver adapters the constraint arrives in meta.driverAdapterError.cause, not meta.target.
  const meta = error.meta as { target?: unknown; driverAdapterError?: { cause?: { constraint?: { fields?: string[]; index?: string } } } } | undefined;
  const constraint = meta?.driverAdapterError?.cause?.constraint;
  const target = Array.isArray(meta?.target) ? meta.target.map(String) : [];
  return { fields: [...(constraint?.fields ?? []), ...(constraint?.index ? [constraint.index] : []), ...target] };
}
