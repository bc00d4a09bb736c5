// The baseline: the least a Node process can do to answer the same requests — plain node:http and
// a pg.Pool, no framework, no GraphQL. It receives the very bodies and headers the service gets and
// does the same essential work, so service ÷ baseline is what the service's layers (Express,
// Apollo, TypeGraphQL, logging, metrics) cost on top of the unavoidable part:
//
//   POST /refresh  JSON.parse the GraphQL body, sha256 the refresh token, ONE indexed lookup (the
//                  very FIND_TOKEN statement of src/auth/sessions.ts, as a named prepared statement,
//                  which applies the refusal rules in SQL), the same refusals (a retired token too:
//                  no rotation here), sign a JWT of the service's claims shape with a KeyObject.
//   POST /verify   verify the bearer JWT (same algorithm and checks), JSON.parse the body, answer
//                  action_sample's shape.
//   POST /apollo   not a baseline but a reference: /verify's work done in an action_sample resolver
//                  of Apollo Server 5 (the service's framework; default settings, its cache-control
//                  plugin off as in the service), fed from node:http without Express. What the
//                  framework alone costs, before TypeGraphQL, logging, metrics and the rest.
//   POST /fastify-apollo  a reference too: the same Apollo Server behind Fastify 5 with its defaults
//                  (children/fastify-apollo.ts), the framework pair the service answers through.
//   GET  /readyz   200 once the database answers.
//
// Environment (set by bench/processes.ts): PORT, DATABASE_URL, DATABASE_POOL_MAX,
// HASURA_GRAPHQL_JWT_SECRET ({"type":"HS256","key":"…"}). For the asymmetric mode also
// BENCH_JWT_ALGORITHM (EdDSA, ES256, RS256), JWT_CLAIMS_FUNCTION and SERVICE_JWKS_URL: /refresh
// then runs the service's lookup with granted roles and the claims function, formats the claims
// alike and signs with its own key of that algorithm (jsonwebtoken and a KeyObject; jose for
// EdDSA, which jsonwebtoken lacks); /verify checks the service's tokens against its JWK set.
import { createHash, createPublicKey, createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import http from 'node:http';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLBoolean, GraphQLError, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { jwtVerify, SignJWT } from 'jose';
import jwt from 'jsonwebtoken';
import pg from 'pg';
import { findTokenStatement, tokenCutoffs, type FindTokenParams, type FindTokenResult } from '../../src/auth/sessions';
import { formatCustomClaims } from '../../src/auth/token-claims';
import { generateKeyPair } from '../../src/keys/signing-key';
import { isHotdog } from '../../src/sample/hotdog';
import { fastifyApollo } from './fastify-apollo';
import { serveUntilStopped } from './serve';


const CLAIMS_NAMESPACE = 'https://hasura.io/jwt/claims';
const ACCESS_TOKEN_TTL = 15 * 60;
const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/;

type Asymmetric = 'EdDSA' | 'ES256' | 'RS256';

async function main(): Promise<void> {
  const secret = JSON.parse(process.env.HASURA_GRAPHQL_JWT_SECRET ?? '') as { type: jwt.Algorithm; key: string };
  // Built once: jsonwebtoken rebuilds a key from a string on every call (cost in bench/README.md).
  const key = createSecretKey(Buffer.from(secret.key, 'utf8'));
  const mode = process.env.BENCH_JWT_ALGORITHM;
  const asymmetric: Asymmetric | undefined = mode === 'EdDSA' || mode === 'ES256' || mode === 'RS256' ? mode : undefined;
  const algorithm: jwt.Algorithm = asymmetric && asymmetric !== 'EdDSA' ? asymmetric : secret.type;
  const claimsFunction = process.env.JWT_CLAIMS_FUNCTION || undefined;
  const findToken = findTokenStatement(claimsFunction);
  const signing = asymmetric ? generateKeyPair(asymmetric).privateKey : key;
  const sign = (payload: Record<string, unknown>): string | Promise<string> =>
    asymmetric === 'EdDSA'
      ? new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', kid: 'baseline' }).sign(signing)
      : jwt.sign(payload, signing, { algorithm, ...(asymmetric ? { keyid: 'baseline' } : {}) });
  const published = asymmetric ? await publicKeys(process.env.SERVICE_JWKS_URL ?? '') : new Map<string, KeyObject>();
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_MAX ?? 10) });
  pool.on('error', () => {});

  async function refresh(body: string): Promise<unknown> {
    const token = (JSON.parse(body) as { variables?: { refresh?: unknown } }).variables?.refresh;
    if (typeof token !== 'string' || !token) return graphqlError('refresh is required', 'BAD_USER_INPUT');
    const hash = createHash('sha256').update(token).digest('hex');
    const now = new Date();
    // Any retired token is refused below, so the reuse grace does not matter: 0.
    const { reuseBeforeMs, touchByMs } = tokenCutoffs(now.getTime(), 0);
    const { rows } = await pool.query<FindTokenResult>({ name: 'baseline.find_token', text: findToken.text, values: [hash, now.getTime(), reuseBeforeMs, touchByMs] satisfies FindTokenParams });
    const row = rows[0]?.token;
    if (!row || row.refusal || row.retired) {
      return graphqlError('The refresh token is invalid or has expired.', 'UNAUTHENTICATED');
    }
    const iat = Math.floor(now.getTime() / 1000);
    const custom = claimsFunction ? formatCustomClaims(claimsFunction, row.claims) : {};
    const access = await sign({
        sub: String(row.user_id),
        iat,
        exp: iat + ACCESS_TOKEN_TTL,
        jti: randomUUID(),
        token_type: 'access',
        sid: row.session_id,
        user_name: row.username,
        user_email: row.email,
        [CLAIMS_NAMESPACE]: {
          ...custom,
          'x-hasura-allowed-roles': [row.role, ...row.granted_roles],
          'x-hasura-default-role': row.role,
          'x-hasura-user-id': String(row.user_id),
        },
    });
    return { data: { user_refresh: { access, refresh: null } } };
  }

  /** The reason the caller's token is refused, or undefined when it is a valid access token. */
  async function refusal(authorization: string | undefined): Promise<string | undefined> {
    const token = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
    if (!token) return 'This operation needs an access token.';
    let payload: jwt.JwtPayload | string;
    try {
      if (!asymmetric) payload = jwt.verify(token, key, { algorithms: [algorithm], clockTolerance: 0 });
      else {
        const kid = jwt.decode(token, { complete: true })?.header.kid;
        const publicKey = kid === undefined ? undefined : published.get(kid);
        if (!publicKey) throw new Error('unknown kid');
        payload =
          asymmetric === 'EdDSA'
            ? ((await jwtVerify(token, publicKey, { algorithms: ['EdDSA'], clockTolerance: 0 })).payload as jwt.JwtPayload)
            : jwt.verify(token, publicKey, { algorithms: [algorithm], clockTolerance: 0 });
      }
    } catch {
      return 'The access token is invalid or has expired.';
    }
    const claims = typeof payload === 'string' ? undefined : (payload[CLAIMS_NAMESPACE] as Record<string, unknown> | undefined);
    if (typeof payload === 'string' || payload.token_type !== 'access' || claims?.['x-hasura-user-id'] !== payload.sub) {
      return 'The access token is invalid or has expired.';
    }
    return undefined;
  }

  async function verify(body: string, authorization: string | undefined): Promise<unknown> {
    const refused = await refusal(authorization);
    if (refused) return graphqlError(refused, 'UNAUTHENTICATED');
    const food = (JSON.parse(body) as { variables?: { food?: unknown } }).variables?.food;
    if (typeof food !== 'string') return graphqlError('food is required', 'BAD_USER_INPUT');
    return { data: { action_sample: { hotdog: isHotdog(food) } } };
  }

  const apollo = new ApolloServer<{ authorization: string | undefined }>({
    schema: sampleSchema(refusal),
    plugins: [ApolloServerPluginCacheControlDisabled()],
  });
  const apolloStarted = apollo.start();

  async function viaApollo(req: http.IncomingMessage, res: http.ServerResponse, body: string): Promise<void> {
    await apolloStarted;
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: 'POST', headers, search: '', body: JSON.parse(body) as unknown },
      context: async () => ({ authorization: req.headers.authorization }),
    });
    for (const [name, value] of response.headers) res.setHeader(name, value);
    res.statusCode = response.status ?? 200;
    res.end(response.body.kind === 'complete' ? response.body.string : '');
  }

  await apolloStarted;
  const viaFastify = await fastifyApollo('/fastify-apollo', apollo, async (req) => ({ authorization: req.headers.authorization }));

  const server = http.createServer((req, res) => {
    // Fastify reads the body itself.
    if (req.url === '/fastify-apollo') return viaFastify(req, res);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (req.method === 'POST' && req.url === '/apollo') {
        viaApollo(req, res, body).catch((error: unknown) => send(res, 500, { errors: [{ message: String(error) }] }));
        return;
      }
      answer(req, body).then(
        (result) => send(res, result === undefined ? 404 : 200, result ?? { errors: [{ message: 'not found' }] }),
        (error: unknown) => send(res, 500, { errors: [{ message: String(error) }] }),
      );
    });
  });

  async function answer(req: http.IncomingMessage, body: string): Promise<unknown> {
    if (req.method === 'POST' && req.url === '/refresh') return refresh(body);
    if (req.method === 'POST' && req.url === '/verify') return verify(body, req.headers.authorization);
    if (req.method === 'GET' && req.url === '/readyz') {
      await pool.query('SELECT 1');
      return { status: 'ready' };
    }
    return undefined;
  }

  serveUntilStopped(server, pool);
}

/** action_sample's schema, by hand: a mutation whose resolver checks the token as /verify does. */
function sampleSchema(refusal: (authorization: string | undefined) => Promise<string | undefined>): GraphQLSchema {
  const SampleOutput = new GraphQLObjectType({ name: 'SampleOutput', fields: { hotdog: { type: new GraphQLNonNull(GraphQLBoolean) } } });
  return new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLBoolean, resolve: () => true } } }),
    mutation: new GraphQLObjectType({
      name: 'Mutation',
      fields: {
        action_sample: {
          type: SampleOutput,
          args: { food: { type: new GraphQLNonNull(GraphQLString) } },
          resolve: async (_root, args: { food: string }, context: { authorization: string | undefined }) => {
            const refused = await refusal(context.authorization);
            if (refused) throw new GraphQLError(refused, { extensions: { code: 'UNAUTHENTICATED' } });
            return { hotdog: isHotdog(args.food) };
          },
        },
      },
    }),
  });
}

function graphqlError(message: string, code: string): unknown {
  return { data: null, errors: [{ message, extensions: { code } }] };
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

/** The service's published keys by kid, fetched once at start. */
async function publicKeys(url: string): Promise<Map<string, KeyObject>> {
  const body = (await (await fetch(url)).json()) as { keys: Array<{ kid: string } & Record<string, unknown>> };
  return new Map(body.keys.map((jwk) => [jwk.kid, createPublicKey({ key: jwk, format: 'jwk' })]));
}

main().catch((error: unknown) => {
  process.stderr.write(`baseline failed to start: ${String(error)}\n`);
  process.exit(1);
});
