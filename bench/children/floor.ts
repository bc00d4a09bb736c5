// The refresh floor: the least work that answers `user_refresh` correctly, against which the
// service's refresh is measured. node:http, JSON.parse of the body to find the token, sha256, ONE
// prepared indexed join by token hash (every refusal rule in its WHERE clause, so no dates come
// back to be parsed), one JWT of the service's claims shape signed with a key built once, and
// JSON.stringify. No framework, no GraphQL, no logging, no metrics, no error shaping beyond
// "refused". A ratio against anything heavier would flatter the service.
//
// Signing is pluggable, so the floor signs as the service signs in each mode:
//   FLOOR_JWT_ALGORITHM   HS256 | HS384 | HS512 (key: HASURA_GRAPHQL_JWT_SECRET's `key`, as the
//                         service), RS256 | ES256 | PS256 … (jsonwebtoken with a private KeyObject),
//                         or EdDSA (jsonwebtoken 9 has no EdDSA: jose's SignJWT with a KeyObject).
//                         Unset: HASURA_GRAPHQL_JWT_SECRET's `type`.
//   FLOOR_JWT_PRIVATE_KEY a PKCS#8 PEM for the asymmetric algorithms; unset: a fresh key of the
//                         algorithm's usual size (RSA 2048, P-256, Ed25519) — signing costs the same.
//   FLOOR_JWT_KID         the `kid` header to put in asymmetric tokens (optional).
//
// Environment (set by bench/processes.ts): PORT, DATABASE_URL, DATABASE_POOL_MAX.
import { createHash, createPrivateKey, createSecretKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import http from 'node:http';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, GraphQLInputObjectType, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { SignJWT } from 'jose';
import jwt from 'jsonwebtoken';
import pg from 'pg';
import { fastifyApollo } from './fastify-apollo';
import { serveUntilStopped } from './serve';

const CLAIMS_NAMESPACE = 'https://hasura.io/jwt/claims';
const ACCESS_TOKEN_TTL = 15 * 60;

/** Valid tokens only: expiry, revocation, rotation, an inactive user and a changed role refuse here. */
const FIND = {
  name: 'floor.find',
  text: `SELECT u.id, u.username, u.email, r.name AS role, s.id AS sid, s.amr
           FROM refresh_tokens rt
           JOIN sessions s ON s.id = rt.session_id
           JOIN users u ON u.id = s.user_id
           JOIN roles r ON r.id = u.role_id
          WHERE rt.token_hash = $1 AND rt.expires_at > now() AND rt.retired_at IS NULL
            AND s.revoked_at IS NULL AND u.is_active AND u.role_id = s.role_id`,
};

interface Row {
  id: number;
  username: string;
  email: string;
  role: string;
  sid: string;
  amr: string[] | null;
}

type Sign = (payload: Record<string, unknown>) => string | Promise<string>;

const HMAC = new Set(['HS256', 'HS384', 'HS512']);
const JSONWEBTOKEN_ASYMMETRIC = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512']);

/** A signing function for the algorithm, its key built once (the cost of not doing so: bench/README.md). */
export function signer(algorithm: string, env: NodeJS.ProcessEnv): Sign {
  if (HMAC.has(algorithm)) {
    const secret = JSON.parse(env.HASURA_GRAPHQL_JWT_SECRET ?? '{}') as { key?: string };
    if (!secret.key) throw new Error('HASURA_GRAPHQL_JWT_SECRET has no key');
    const key = createSecretKey(Buffer.from(secret.key, 'utf8'));
    const options: jwt.SignOptions = { algorithm: algorithm as jwt.Algorithm };
    return (payload) => jwt.sign(payload, key, options);
  }
  const key = privateKey(algorithm, env.FLOOR_JWT_PRIVATE_KEY);
  const kid = env.FLOOR_JWT_KID || undefined;
  if (JSONWEBTOKEN_ASYMMETRIC.has(algorithm)) {
    const options: jwt.SignOptions = { algorithm: algorithm as jwt.Algorithm, ...(kid ? { keyid: kid } : {}) };
    return (payload) => jwt.sign(payload, key, options);
  }
  if (algorithm === 'EdDSA') {
    const header = { alg: 'EdDSA', typ: 'JWT', ...(kid ? { kid } : {}) };
    return (payload) => new SignJWT(payload).setProtectedHeader(header).sign(key);
  }
  throw new Error(`the floor cannot sign ${algorithm}`);
}

function privateKey(algorithm: string, pem: string | undefined): KeyObject {
  if (pem) return createPrivateKey(pem.replace(/\\n/g, '\n'));
  if (algorithm === 'EdDSA') return generateKeyPairSync('ed25519').privateKey;
  if (algorithm.startsWith('ES')) {
    const curve = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }[algorithm] ?? 'P-256';
    return generateKeyPairSync('ec', { namedCurve: curve }).privateKey;
  }
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
}

function main(): void {
  const configured = JSON.parse(process.env.HASURA_GRAPHQL_JWT_SECRET ?? '{}') as { type?: string };
  const algorithm = process.env.FLOOR_JWT_ALGORITHM || configured.type || 'HS256';
  const sign = signer(algorithm, process.env);
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_MAX ?? 10) });
  pool.on('error', () => {});

  /** The floor's whole refresh: the new access token, or undefined when the token is refused. */
  async function accessFor(token: string): Promise<string | undefined> {
    const hash = createHash('sha256').update(token).digest('hex');
    const row = (await pool.query<Row>({ name: FIND.name, text: FIND.text, values: [hash] })).rows[0];
    if (!row) return undefined;
    const iat = Math.floor(Date.now() / 1000);
    const sub = String(row.id);
    return sign({
      sub,
      iat,
      exp: iat + ACCESS_TOKEN_TTL,
      jti: randomUUID(),
      token_type: 'access',
      sid: row.sid,
      user_name: row.username,
      user_email: row.email,
      amr: row.amr ?? ['pwd'],
      [CLAIMS_NAMESPACE]: { 'x-hasura-allowed-roles': [row.role], 'x-hasura-default-role': row.role, 'x-hasura-user-id': sub },
    });
  }

  async function refresh(body: string): Promise<string> {
    const token = (JSON.parse(body) as { variables?: { refresh?: unknown } }).variables?.refresh;
    if (typeof token !== 'string') return REFUSED;
    const access = await accessFor(token);
    return access === undefined ? REFUSED : JSON.stringify({ data: { user_refresh: { access, refresh: null } } });
  }

  // The same work in the resolver of Apollo Server 5 alone, fed straight from node:http: what any
  // refresh served through Apollo's per-request machinery can reach at best (a reference row).
  const apollo = new ApolloServer({ schema: refreshSchema(accessFor), plugins: [ApolloServerPluginCacheControlDisabled()] });
  const apolloStarted = apollo.start();
  async function viaApollo(req: http.IncomingMessage, body: string): Promise<string> {
    await apolloStarted;
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: 'POST', headers, search: '', body: JSON.parse(body) as unknown },
      context: async () => ({}),
    });
    return response.body.kind === 'complete' ? response.body.string : '';
  }

  // And through Fastify 5 with its defaults (children/fastify-apollo.ts): the framework pair the
  // service answers through, nothing of the service (a reference row too).
  const viaFastify = apolloStarted.then(() => fastifyApollo('/fastify-apollo-refresh', apollo, async () => ({})));

  const server = http.createServer((req, res) => {
    // Fastify reads the body itself.
    if (req.url === '/fastify-apollo-refresh') {
      viaFastify.then(
        (handle) => handle(req, res),
        (error: unknown) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ errors: [{ message: String(error) }] }));
        },
      );
      return;
    }
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const answer =
        req.method === 'POST' && req.url === '/refresh'
          ? refresh(body)
          : req.method === 'POST' && req.url === '/apollo-refresh'
            ? viaApollo(req, body)
            : req.url === '/readyz'
            ? pool.query('SELECT 1').then(() => '{"status":"ready"}')
            : Promise.resolve(undefined);
      answer.then(
        (json) => {
          const out = json ?? '{"errors":[{"message":"not found"}]}';
          res.writeHead(json === undefined ? 404 : 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
          res.end(out);
        },
        (error: unknown) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ errors: [{ message: String(error) }] }));
        },
      );
    });
  });
  serveUntilStopped(server, pool);
}

/** user_refresh's shape by hand (an input object, as the service's), resolved by the floor's work. */
function refreshSchema(accessFor: (token: string) => Promise<string | undefined>): GraphQLSchema {
  const Tokens = new GraphQLObjectType({ name: 'RefreshOutput', fields: { access: { type: new GraphQLNonNull(GraphQLString) }, refresh: { type: GraphQLString } } });
  const RefreshInput = new GraphQLInputObjectType({ name: 'RefreshInput', fields: { refresh: { type: new GraphQLNonNull(GraphQLString) } } });
  return new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: {
        user_refresh: {
          type: Tokens,
          args: { arg: { type: new GraphQLNonNull(RefreshInput) } },
          resolve: async (_root, args: { arg: { refresh: string } }) => {
            const access = await accessFor(args.arg.refresh);
            if (access === undefined) throw new GraphQLError('The refresh token is invalid or has expired.', { extensions: { code: 'UNAUTHENTICATED' } });
            return { access, refresh: null };
          },
        },
      },
    }),
  });
}

const REFUSED = '{"data":null,"errors":[{"message":"The refresh token is invalid or has expired.","extensions":{"code":"UNAUTHENTICATED"}}]}';

if (require.main === module) main();
