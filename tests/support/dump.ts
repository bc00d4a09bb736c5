// The whole database as comparable text: every row of every table in the public schema, sorted.
// Tests take one before and after an operation to show that it changed nothing. Rate-limit
// counters are left out: counting an attempt is the one change every attempt is meant to make.
import type pg from 'pg';

type Queryable = Pick<pg.Pool, 'query'>;

export async function dumpDatabase(db: Queryable): Promise<Record<string, string[]>> {
  const { rows: tables } = await db.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'rate_limits' ORDER BY table_name`,
  );
  const dump: Record<string, string[]> = {};
  for (const { name } of tables) {
    const { rows } = await db.query<{ row: string }>(`SELECT to_jsonb(t)::text AS row FROM "${name}" t ORDER BY 1`);
    dump[name] = rows.map((r) => r.row);
  }
  return dump;
}

/** Every value of every column of every table, as text: where a leaked secret would be. */
export async function allStoredValues(db: Queryable): Promise<{ table: string; column: string; value: string }[]> {
  const { rows: columns } = await db.query<{ table: string; column: string }>(
    `SELECT c.table_name AS table, c.column_name AS column
       FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
      ORDER BY 1, 2`,
  );
  const values: { table: string; column: string; value: string }[] = [];
  for (const { table, column } of columns) {
    const { rows } = await db.query<{ value: string }>(
      `SELECT "${column}"::text AS value FROM "${table}" WHERE "${column}" IS NOT NULL`,
    );
    for (const { value } of rows) values.push({ table, column, value });
  }
  return values;
}
