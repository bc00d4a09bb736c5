// Typed SQL for the few statements that stay SQL on the refresh path: `pg` named (prepared)
// statements, one round trip each, with their parameters and row type fixed where they are defined.
// Prisma's typed API serves everything else; its `$queryRaw` costs more per call than a named
// statement, which the refresh path (the service's hottest) cannot afford (bench/README.md).
import type pg from 'pg';

/** A pool or a pooled client. */
export type Queryable = Pick<pg.Pool, 'query'>;

export interface Statement<Params extends unknown[], Row extends object> {
  readonly name: string;
  readonly text: string;
  /** The rows, typed. */
  rows(db: Queryable, ...params: Params): Promise<Row[]>;
  /** The number of rows affected. */
  run(db: Queryable, ...params: Params): Promise<number>;
}

/** A named statement: PostgreSQL plans it once per connection and reuses the plan. */
export function statement<Params extends unknown[], Row extends object = Record<string, never>>(
  name: string,
  text: string,
): Statement<Params, Row> {
  return {
    name,
    text,
    async rows(db, ...values) {
      return (await db.query<Row & pg.QueryResultRow>({ name, text, values })).rows;
    },
    async run(db, ...values) {
      const config: pg.QueryConfig<unknown[]> = { name, text, values };
      return (await db.query(config)).rowCount ?? 0;
    },
  };
}
