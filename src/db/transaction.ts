// Transactions on the shared `pg` pool, for the few domain operations whose statements must stand
// or fall together (a password change: the new hash, the dead reset requests, the ended sessions).
import type pg from 'pg';

/**
 * Runs `work` inside BEGIN … COMMIT on one pooled client, rolling back when it throws. The client
 * is the only one `work` may use: on the embedded database the pool holds a single connection,
 * so a query on the pool from inside would wait for this transaction forever.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      // A connection that cannot roll back is in an unknown state: drop it rather than reuse it.
      broken = rollbackError as Error;
    }
    throw error;
  } finally {
    client.release(broken);
  }
}
