// One connection pool serves both Prisma (through adapter-pg) and the few hot-path queries that
// run on `pg` directly: the refresh and login paths cannot afford Prisma's per-query cost (measured
// in bench/README.md). Both see the same database and the same transactions rules.
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/client';

export interface Database {
  prisma: PrismaClient;
  pool: pg.Pool;
  /** Whether the database answers (readiness). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

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

/** Whether an error is PostgreSQL's unique violation; `constraint` names the index or column list. */
export function uniqueViolation(error: unknown): { constraint: string } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { code?: unknown; constraint?: unknown; meta?: { driverAdapterError?: { cause?: unknown } } };
  if (e.code === '23505') return { constraint: String(e.constraint ?? '') };
  if (e.code === 'P2002') {
    // With driver adapters the constraint arrives in meta.driverAdapterError.cause, not meta.target.
    const cause = e.meta?.driverAdapterError?.cause as { constraint?: { fields?: string[]; index?: string } } | undefined;
    return { constraint: [cause?.constraint?.index, ...(cause?.constraint?.fields ?? [])].filter(Boolean).join(',') };
  }
  return undefined;
}
