// Hostile input to every GraphQL operation: whatever arrives, the answer
// is a precise error code — never INTERNAL_SERVER_ERROR — or the operation's ordinary answer where
// that is the right one (logging out an unknown token, a reset for an unknown address), and the
// database is exactly as it was.
// Loaded first: importing src/server loads the TypeGraphQL resolvers, whose decorators need it.
import 'reflect-metadata';
import { MAX_ALIASES, MAX_ROOT_FIELDS, MAX_TOKENS } from '../../src/graphql/validation-rules';
import { MAX_BODY_BYTES } from '../../src/http/graphql-endpoint';
import { ResetDocument } from '../generated/graphql';
import { dumpDatabase } from '../support/dump';
import { CHANGE_PASSWORD, LOGIN, LOGOUT, REFRESH, REGISTER, RESET, RESET_CONFIRM, RESET_VALIDATE, SAMPLE } from '../support/operations';
import { setupTestService } from '../support/setup';

const VICTIM = { username: 'victim', email: 'victim@example.com', password: 'the victims own passphrase' };
const VALID_NEW_PASSWORD = 'a perfectly fine passphrase';
/** Shaped like a token (43 base64url characters), so that the email is what gets looked at. */
const WELL_FORMED_TOKEN = 'A'.repeat(43);

// Limits off: hundreds of hostile requests would otherwise end in TOO_MANY_REQUESTS and hide
// what each input does on its own (tests/auth/rate-limits.test.ts covers the limits).
const LIMITS_OFF = ['LOGIN', 'LOGIN_PER_CLIENT', 'REGISTER_PER_CLIENT', 'RESET_REQUEST', 'RESET_REQUEST_PER_CLIENT', 'RESET_ATTEMPT'];
const t = setupTestService({ env: Object.fromEntries(LIMITS_OFF.map((name) => [`RATE_LIMIT_${name}`, 'off'])) });
let access: string;
let snapshot: Record<string, string[]>;

beforeAll(async () => {
  access = (await t.users.register(VICTIM)).tokens.access;
  // A live reset request, so that the reset operations meet real rows.
  expect((await t.service.request(ResetDocument, { arg: { email: VICTIM.email } })).errors).toBeUndefined();
  snapshot = await dumpDatabase(t.service.services.db.pool);
});

afterEach(async () => {
  expect(await dumpDatabase(t.service.services.db.pool)).toEqual(snapshot);
});

interface Answer {
  status: number;
  body: unknown;
}

async function post(body: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${t.service.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Left as text: the check below reports it as not a GraphQL answer.
  }
  return { status: response.status, body: parsed };
}

const send = (query: string, variables?: unknown, auth = false) =>
  post(JSON.stringify({ query, variables }), auth ? { authorization: `Bearer ${access}` } : {});

/**
 * What is wrong with an answer, or undefined when it is precise: a JSON GraphQL body whose every
 * error has one of the `allowed` codes (never INTERNAL_SERVER_ERROR), or the ordinary `success`.
 */
function problem(answer: Answer, allowed: readonly string[], success?: unknown): string | undefined {
  if (answer.status >= 500) return `HTTP ${answer.status}`;
  const body = answer.body as { data?: unknown; errors?: { extensions?: { code?: unknown } }[] } | string;
  if (typeof body !== 'object' || body === null) return `not a JSON GraphQL answer: ${String(body).slice(0, 100)}`;
  if (!body.errors) {
    if (success !== undefined && JSON.stringify(body.data) === JSON.stringify(success)) return undefined;
    return `unexpected success: ${JSON.stringify(body.data)}`;
  }
  if (!body.errors.length) return 'an empty error list';
  const codes = body.errors.map((e) => e.extensions?.code);
  const bad = codes.filter((c) => typeof c !== 'string' || !allowed.includes(c));
  return bad.length ? `codes ${JSON.stringify(codes)}, expected one of ${allowed.join(', ')}` : undefined;
}

// Request-level codes any operation may meet.
const TRANSPORT = ['PAYLOAD_TOO_LARGE', 'BAD_REQUEST', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED'];

interface Operation {
  name: string;
  document: string;
  auth: boolean;
  /** Domain codes it may answer with. */
  codes: string[];
  /** Its ordinary answer, where garbage in still deserves it. */
  success?: unknown;
  /** Variables with the hostile string in the places that matter. */
  variants: (v: string) => Record<string, unknown>[];
}

const OPERATIONS: Operation[] = [
  {
    name: 'user_register',
    document: REGISTER,
    auth: false,
    codes: ['BAD_USER_INPUT'],
    variants: (v) => [{ arg: { username: v, email: v, password: v } }],
  },
  {
    name: 'user_login',
    document: LOGIN,
    auth: false,
    codes: ['BAD_USER_INPUT', 'UNAUTHENTICATED'],
    variants: (v) => [
      { arg: { username: v, password: v } },
      { arg: { username: VICTIM.username, password: v } },
      { arg: { username: v, password: VICTIM.password } },
    ],
  },
  {
    name: 'user_refresh',
    document: REFRESH,
    auth: false,
    codes: ['BAD_USER_INPUT', 'UNAUTHENTICATED'],
    variants: (v) => [{ arg: { refresh: v } }],
  },
  {
    name: 'user_logout',
    document: LOGOUT,
    auth: false,
    codes: ['BAD_USER_INPUT', 'UNAUTHENTICATED'],
    success: { user_logout: { status: 'OK' } },
    variants: (v) => [{ arg: { refresh: v } }],
  },
  {
    name: 'user_change_password',
    document: CHANGE_PASSWORD,
    auth: true,
    codes: ['BAD_USER_INPUT'],
    variants: (v) => [
      { arg: { old_password: v, new_password: v } },
      { arg: { old_password: v, new_password: VALID_NEW_PASSWORD } },
    ],
  },
  {
    name: 'user_password_reset',
    document: RESET,
    auth: false,
    codes: ['BAD_USER_INPUT'],
    success: { user_password_reset: { status: 'OK' } },
    variants: (v) => [{ arg: { email: v } }],
  },
  {
    name: 'user_password_reset_validate',
    document: RESET_VALIDATE,
    auth: false,
    codes: ['BAD_USER_INPUT', 'INVALID_TOKEN'],
    variants: (v) => [
      { arg: { email: v, token: v } },
      { arg: { email: VICTIM.email, token: v } },
      { arg: { email: v, token: WELL_FORMED_TOKEN } },
    ],
  },
  {
    name: 'user_password_reset_confirm',
    document: RESET_CONFIRM,
    auth: false,
    codes: ['BAD_USER_INPUT', 'INVALID_TOKEN'],
    variants: (v) => [
      { arg: { email: v, token: v, password: v } },
      { arg: { email: VICTIM.email, token: v, password: VALID_NEW_PASSWORD } },
      { arg: { email: v, token: WELL_FORMED_TOKEN, password: VALID_NEW_PASSWORD } },
    ],
  },
  {
    name: 'action_sample',
    document: SAMPLE,
    auth: true,
    codes: ['BAD_USER_INPUT'],
    success: { action_sample: { hotdog: false } },
    variants: (v) => [{ food: v }],
  },
];

const HOSTILE_STRINGS: Record<string, string> = {
  empty: '',
  whitespace: ' \t\n\r ',
  'long (30 kB)': 'x'.repeat(30_000),
  'null byte': 'abc\u0000def',
  'null byte in an email': 'victim@example.com\u0000',
  'lone high surrogate': '\ud800',
  'lone low surrogate in text': 'abc\udfffdef',
  'right-to-left override': '\u202Eadmin\u202C',
  'right-to-left script': 'مرحبا بالعالم',
  'zero-width': 'vic\u200Btim\u200D\uFEFF',
  emoji: '😀🔑👨‍👩‍👧‍👦'.repeat(4),
  'combining marks': 'Z\u0351\u0352\u0353\u0354\u0355'.repeat(200),
  noncharacters: '\uFFFE\uFFFF\u{10FFFF}',
  'SQL quote': "' OR '1'='1",
  'SQL comment': "victim'--",
  'SQL statement': "'; DROP TABLE users; --",
  'SQL sleep': "1; SELECT pg_sleep(10)",
  'LIKE wildcards': '%_%\\',
  'JSON operator': '{"$gt": ""}',
  'template syntax': '${7*7}{{7*7}}%s%n',
  'header injection': 'victim@example.com\r\nBcc: evil@example.com',
  'path traversal': '../../../../etc/passwd',
  'a JWT-looking string': 'eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.',
};

describe.each(OPERATIONS)('$name', (op) => {
  it.each(Object.entries(HOSTILE_STRINGS))('%s: a precise error or its ordinary answer', async (_, value) => {
    const problems: string[] = [];
    for (const variables of op.variants(value)) {
      const answer = await send(op.document, variables, op.auth);
      const p = problem(answer, op.codes, op.success);
      if (p) problems.push(`${JSON.stringify(variables).slice(0, 120)} → ${p}`);
    }
    expect(problems).toEqual([]);
  });

  it('a 1 MB string: PAYLOAD_TOO_LARGE', async () => {
    const [variables] = op.variants('x'.repeat(1024 * 1024));
    const answer = await send(op.document, variables, op.auth);
    expect(answer.status).toBe(413);
    expect(problem(answer, ['PAYLOAD_TOO_LARGE'])).toBeUndefined();
  });

  it('wrong types, nulls, missing and unknown fields in the variables: BAD_USER_INPUT', async () => {
    const [template] = op.variants('placeholder');
    const problems: string[] = [];
    const wrong: unknown[] = [42, 4.2e300, true, null, [], ['a'], {}, { toString: 'x' }, nestedArray(1000)];
    const variants: unknown[] = [{}, 'not an object', [template]];
    for (const [key, value] of Object.entries(template!)) {
      if (typeof value === 'object' && value !== null) {
        for (const field of Object.keys(value)) {
          for (const w of wrong) variants.push({ ...template, [key]: { ...value, [field]: w } });
        }
        variants.push({ ...template, [key]: { ...value, unexpected: 'field' } });
        variants.push({ ...template, [key]: 'a string instead of an object' });
      } else {
        for (const w of wrong) variants.push({ ...template, [key]: w });
      }
    }
    for (const variables of variants) {
      const answer = await send(op.document, variables, op.auth);
      const p = problem(answer, ['BAD_USER_INPUT', 'BAD_REQUEST']);
      if (p) problems.push(`${JSON.stringify(variables).slice(0, 120)} → ${p}`);
    }
    expect(problems).toEqual([]);
  });

  it('wrong types written into the document: GRAPHQL_VALIDATION_FAILED', async () => {
    const [template] = op.variants('placeholder');
    const problems: string[] = [];
    for (const literal of ['42', 'true', 'null', '[1, 2]', '{ a: 1 }', 'ENUM_VALUE', '$undeclared']) {
      const args = Object.entries(template!)
        .map(([key, value]) =>
          typeof value === 'object' && value !== null
            ? `${key}: { ${Object.keys(value).map((f) => `${f}: ${literal}`).join(', ')} }`
            : `${key}: ${literal}`,
        )
        .join(', ');
      const document = `${kind(op)} { ${op.name}(${args}) { __typename } }`;
      const answer = await send(document, undefined, op.auth);
      const p = problem(answer, ['GRAPHQL_VALIDATION_FAILED']);
      if (p) problems.push(`${document} → ${p}`);
    }
    expect(problems).toEqual([]);
  });

  it('many aliases of the operation: refused before anything runs', async () => {
    const problems: string[] = [];
    for (const copies of [MAX_ROOT_FIELDS + 1, MAX_ALIASES + 1, 200]) {
      const [variables] = op.variants(op.name === 'user_register' ? 'someone' : VICTIM.email);
      const document = aliased(op, copies);
      const answer = await send(document, variables, op.auth);
      // Past the token limit the parser refuses it first.
      const p = problem(answer, ['GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED']);
      if (p) problems.push(`${copies} copies → ${p}`);
    }
    expect(problems).toEqual([]);
  });

  it('deeply nested or oversized documents: refused before anything runs', async () => {
    const [variables] = op.variants('x');
    const selection = (depth: number) => `${'{ a '.repeat(depth)}${'}'.repeat(depth)}`;
    const documents = {
      'nested 20 deep': `${head(op)} ${op.name}(${argList(op)}) ${selection(20)} }`,
      'nested past the token limit': `${head(op)} ${op.name}(${argList(op)}) ${selection(MAX_TOKENS)} }`,
      'a long document': `${head(op)} ${op.name}(${argList(op)}) { __typename ${'__typename '.repeat(MAX_TOKENS)} } }`,
      'too many directives': `${head(op)} ${op.name}(${argList(op)}) { ${'__typename @include(if: true) '.repeat(50)} } }`,
      'a body over the size limit': `${head(op)} ${op.name}(${argList(op)}) { __typename } } # ${'x'.repeat(MAX_BODY_BYTES)}`,
    };
    const problems: string[] = [];
    for (const [name, document] of Object.entries(documents)) {
      const answer = await send(document, variables, op.auth);
      const p = problem(answer, TRANSPORT);
      if (p) problems.push(`${name} → ${p}`);
    }
    expect(problems).toEqual([]);
  });
});

describe('documents hostile whatever the operation', () => {
  const cases: Record<string, () => Promise<Answer>> = {
    'deep introspection': () => send(`{ __schema { types { fields { type { fields { type { fields { type { name } } } } } } } } }`),
    'a fragment cycle': () => send(`query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }`),
    'fragments fanning out': () => {
      const fragments = Array.from({ length: 20 }, (_, i) => `fragment F${i} on UserToken { ...F${i + 1} ...F${i + 1} }`).join(' ');
      return send(`query Q($arg: UserLogin!) { user_login(arg: $arg) { ...F0 } } ${fragments} fragment F20 on UserToken { access }`, {
        arg: { username: VICTIM.username, password: VICTIM.password },
      });
    },
    'root fields hidden in fragments': () =>
      send(
        `mutation M($arg: UserRegister!) { ...A ...B } fragment A on Mutation { a: user_register(arg: $arg) { id } b: user_register(arg: $arg) { id } } fragment B on Mutation { c: user_register(arg: $arg) { id } d: user_register(arg: $arg) { id } }`,
        { arg: { username: 'someone', email: 'someone@example.com', password: VALID_NEW_PASSWORD } },
      ),
    'a syntax error': () => send('query {'),
    'an unknown field': () => send('{ users { password_hash } }'),
    'a subscription': () => send('subscription { user_login }'),
    'two operations and no name': () => send('query A { __typename } query B { __typename }'),
    'an unknown operation name': () => post(JSON.stringify({ query: 'query A { __typename }', operationName: 'B' })),
    'no query': () => post(JSON.stringify({ variables: {} })),
    'a query that is not a string': () => post(JSON.stringify({ query: { a: 1 } })),
    'variables that are not an object': () => post(JSON.stringify({ query: '{ __typename }', variables: 'x' })),
    'a batch of operations': () => post(JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }])),
    'a body that is not JSON': () => post('{"query": '),
    'a JSON body that is not an object': () => post('"query"'),
    'deeply nested JSON': () =>
      post(`{"query": "query Q($a: UserLogin!) { user_login(arg: $a) { access } }", "variables": {"a": ${nestedArrayJson(20_000)}}}`),
    'a text/plain body (cross-site request)': () => post(JSON.stringify({ query: '{ __typename }' }), { 'content-type': 'text/plain' }),
    'a null byte in the document': () => post(JSON.stringify({ query: '{ __typename \u0000 }' })),
    'a lone surrogate in the document': () => post('{"query": "{ user_login(arg: {username: \\"\\ud800\\", password: \\"\\udc00\\"}) { access } }"}'),
    'a bearer token that is not one': () =>
      post(JSON.stringify({ query: SAMPLE, variables: { food: 'x' } }), { authorization: "Bearer ' OR 1=1 --" }),
    'an access token with a forged signature': () => {
      const [h, p] = access.split('.');
      return post(JSON.stringify({ query: SAMPLE, variables: { food: 'x' } }), { authorization: `Bearer ${h}.${p}.forged` });
    },
  };

  it.each(Object.keys(cases))('%s', async (name) => {
    const answer = await cases[name]!();
    expect(problem(answer, [...TRANSPORT, 'OPERATION_RESOLUTION_FAILURE', 'BAD_USER_INPUT', 'UNAUTHENTICATED'])).toBeUndefined();
  });

  it('the limits leave ordinary documents alone', async () => {
    const answer = await send(`query Q($a: UserLogin!) { first: user_login(arg: $a) { access } __typename }`, {
      a: { username: VICTIM.username, password: 'wrong password' },
    });
    expect(problem(answer, ['UNAUTHENTICATED'])).toBeUndefined();
  });
});

function kind(op: Operation): string {
  return op.document.trimStart().startsWith('query') ? 'query' : 'mutation';
}

/** The operation's own header with its variable definitions, up to and including `{`. */
function head(op: Operation): string {
  return op.document.slice(0, op.document.indexOf('{') + 1);
}

function argList(op: Operation): string {
  return op.name === 'action_sample' ? 'food: $food' : 'arg: $arg';
}

function aliased(op: Operation, copies: number): string {
  const fields = Array.from({ length: copies }, (_, i) => `a${i}: ${op.name}(${argList(op)}) { __typename }`).join(' ');
  return `${head(op)} ${fields} }`;
}

function nestedArray(depth: number): unknown {
  let value: unknown = 'x';
  for (let i = 0; i < depth; i += 1) value = [value];
  return value;
}

function nestedArrayJson(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}
