// npm run db:migrate                    apply pending migrations to DATABASE_URL (prisma migrate deploy)
// npm run db:migrate -- --create <name> write a new migration from the schema changes
// npm run db:migrate -- --check         exit 1, printing the SQL, if migrations and schema differ
//
// Both --create and --check replay the migrations on a throw-away database created next to
// DATABASE_URL's, so its user must be allowed to create databases; or set SHADOW_DATABASE_URL to
// an empty database to use instead (needed with PGlite, which serves a single database).
import { applyMigrations, createMigration, diffMigrationsToSchema, isEmptyMigration } from '../src/db/migrate';

const USAGE = 'Usage: npm run db:migrate [-- --create <name> | --check]';

type Command = { kind: 'apply' } | { kind: 'create'; name: string } | { kind: 'check' };

function parseArgs(args: string[]): Command {
  const [flag, value, ...rest] = args;
  if (flag === undefined) return { kind: 'apply' };
  if (flag === '--check' && value === undefined) return { kind: 'check' };
  if (flag === '--create' && value !== undefined && !value.startsWith('-') && rest.length === 0) {
    return { kind: 'create', name: value };
  }
  throw new Error(USAGE);
}

async function main(): Promise<number> {
  const command = parseArgs(process.argv.slice(2));
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is not set (e.g. postgresql://postgres@127.0.0.1:5432/postgres)');

  const diffOptions = { shadowDatabaseUrl: process.env.SHADOW_DATABASE_URL || undefined };

  switch (command.kind) {
    case 'apply': {
      const started = Date.now();
      const { applied } = await applyMigrations(databaseUrl);
      const list = applied.map((name) => `\n  ${name}`).join('');
      console.log(`${applied.length} migration(s) applied in ${Date.now() - started} ms${list}`);
      return 0;
    }
    case 'create': {
      const dir = await createMigration(databaseUrl, command.name, diffOptions);
      console.log(dir ? `Created ${dir}` : 'The migrations already match prisma/schema.prisma: nothing to create.');
      return 0;
    }
    case 'check': {
      const sql = await diffMigrationsToSchema(databaseUrl, diffOptions);
      if (isEmptyMigration(sql)) {
        console.log('The migrations match prisma/schema.prisma.');
        return 0;
      }
      console.error('prisma/schema.prisma differs from the migrations; this SQL would close the gap:\n');
      console.error(sql.trimEnd());
      console.error('\nCreate a migration with: npm run db:migrate -- --create <name>');
      return 1;
    }
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`db:migrate: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
