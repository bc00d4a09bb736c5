// The peer `npm run bench:peers` compares the service with: Better Auth, as its documentation sets
// it up for a Node server — `betterAuth()` with email and password and its `jwt` plugin, on a
// `pg.Pool` of the service's pool size, served by `toNodeHandler` on `node:http`. Its tables are
// made by its own migration (`getMigrations`) in the bench's throw-away database before it listens.
//
// Two settings differ from its defaults, both in its favour or needed to measure it at all:
// - `rateLimit.enabled: false`: its limiter (on by default in production) allows 100 requests per
//   10 s per client address and 3 sign-ins per 10 s, and every bench request comes from 127.0.0.1.
//   The service's login limiter stays on: it counts per account and a success refunds it.
// - `jwt({ disableSettingJwtHeader: true })`: otherwise every `get-session` also signs a JWT for
//   a `set-auth-jwt` header, work the service's `action_sample` has no counterpart for.
// Telemetry is off so that nothing tries to leave the machine.
//
// Plain JavaScript, run by node alone as the built service is: a TypeScript loader in the process
// would add its own ~85 MB to the resident memory the comparison reports.
//
// Environment (set by bench/processes.ts): PORT, DATABASE_URL, DATABASE_POOL_MAX,
// BETTER_AUTH_SECRET, BETTER_AUTH_URL, PEER_JWT_ALGORITHM (EdDSA, its default, ES256 or RS256).
import http from 'node:http';
import process from 'node:process';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { toNodeHandler } from 'better-auth/node';
import { jwt } from 'better-auth/plugins';
import pg from 'pg';

const ALGORITHMS = ['EdDSA', 'ES256', 'RS256'];

async function main() {
  const algorithm = process.env.PEER_JWT_ALGORITHM || 'EdDSA';
  if (!ALGORITHMS.includes(algorithm)) throw new Error(`PEER_JWT_ALGORITHM must be one of ${ALGORITHMS.join(', ')}`);
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_MAX ?? 10) });
  pool.on('error', () => {});
  const options = {
    database: pool,
    secret: process.env.BETTER_AUTH_SECRET,
    baseURL: process.env.BETTER_AUTH_URL,
    emailAndPassword: { enabled: true },
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    plugins: [jwt({ disableSettingJwtHeader: true, jwks: { keyPairConfig: { alg: algorithm } } })],
  };
  const { runMigrations } = await getMigrations(options);
  await runMigrations();
  const auth = betterAuth(options);
  const handler = toNodeHandler(auth);

  const server = http.createServer((req, res) => {
    if (req.url === '/readyz') {
      pool.query('SELECT 1').then(
        () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ready"}'),
        () => res.writeHead(503).end(),
      );
      return;
    }
    void handler(req, res);
  });
  // As serve.ts does for the other bench servers (TypeScript, which this file cannot import).
  server.listen(Number(process.env.PORT), '127.0.0.1');
  const stop = () => {
    server.close();
    server.closeAllConnections();
    void pool.end().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The benchmark is gone (killed): nobody will stop us.
  process.on('disconnect', stop);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
