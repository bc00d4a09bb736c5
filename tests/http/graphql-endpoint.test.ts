// POST /graphql takes plain and compressed JSON bodies alike: the same data, the same body errors
// with the same codes, the same headers and log lines.
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { MAX_BODY_BYTES } from '../../src/http/graphql-endpoint';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestService, type TestService } from '../support/service';

let db: TestDatabase;
let service: TestService;
beforeAll(async () => {
  db = await createTestDatabase();
  service = await startTestService(db);
});
afterAll(async () => {
  await service.stop();
  await db.drop();
});

const TYPENAME = '{"query":"{ __typename }"}';

/** One request of each shape: plain JSON, and gzip-compressed JSON. */
const routes: Array<[string, (body: string, contentType?: string) => { headers: Record<string, string>; body: Buffer | string }]> = [
  ['plain', (body, contentType = 'application/json') => ({ headers: { 'content-type': contentType }, body })],
  [
    'gzip',
    (body, contentType = 'application/json') => ({
      headers: { 'content-type': contentType, 'content-encoding': 'gzip' },
      body: gzipSync(body),
    }),
  ],
];

async function post(request: { headers: Record<string, string>; body: Buffer | string }) {
  const response = await fetch(`${service.url}/graphql`, { method: 'POST', headers: request.headers, body: request.body });
  return { status: response.status, headers: response.headers, body: (await response.json()) as { data?: unknown; errors?: Array<{ extensions: { code: string } }> } };
}

const codes = (body: { errors?: Array<{ extensions: { code: string } }> }) => body.errors?.map((e) => e.extensions.code);

describe.each(routes)('with a %s body', (route, request) => {
  it('answers a query, with the security headers, no-store and a request id', async () => {
    const answer = await post(request(TYPENAME));
    expect(answer).toMatchObject({ status: 200, body: { data: { __typename: 'Query' } } });
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    expect(answer.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses a body that is not JSON with BAD_REQUEST', async () => {
    const answer = await post(request('{"query":'));
    expect(answer.status).toBe(400);
    expect(codes(answer.body)).toEqual(['BAD_REQUEST']);
  });

  it('refuses JSON that is neither an object nor an array with BAD_REQUEST', async () => {
    const answer = await post(request('"{ __typename }"'));
    expect(answer.status).toBe(400);
    expect(codes(answer.body)).toEqual(['BAD_REQUEST']);
  });

  it('refuses a body over the limit with PAYLOAD_TOO_LARGE', async () => {
    const answer = await post(request(`{"query":"{ __typename }","padding":"${'x'.repeat(MAX_BODY_BYTES)}"}`));
    expect(answer.status).toBe(413);
    expect(codes(answer.body)).toEqual(['PAYLOAD_TOO_LARGE']);
  });

  it('logs one line for the request, naming its operation', async () => {
    const requestId = `${route}-route-line`;
    const { headers, body } = request(TYPENAME);
    await post({ headers: { ...headers, 'x-request-id': requestId }, body });
    const lines = service.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.requestId === requestId);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'request completed', operation: '__typename', res: { status: 200 }, req: { method: 'POST', path: '/graphql' } });
  });
});

it('an empty JSON body gets Apollo’s own BAD_REQUEST', async () => {
  const answer = await post({ headers: { 'content-type': 'application/json' }, body: '' });
  expect(answer.status).toBe(400);
  expect(codes(answer.body)).toEqual(['BAD_REQUEST']);
});

it('a body that grows over the limit without announcing its length gets PAYLOAD_TOO_LARGE', async () => {
  // Chunked, no Content-Length: the limit is enforced while reading.
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request(`${service.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.write('{"query":"{ __typename }","padding":"');
    for (let sent = 0; sent <= MAX_BODY_BYTES; sent += 16 * 1024) req.write('x'.repeat(16 * 1024));
    req.end('"}');
  });
  expect(status).toBe(413);
  expect(codes(JSON.parse(text) as { errors?: Array<{ extensions: { code: string } }> })).toEqual(['PAYLOAD_TOO_LARGE']);
});

it('a client that leaves before the answer is logged as aborted, at warn', async () => {
  const requestId = 'leaves-early';
  await new Promise<void>((resolve) => {
    const req = http.request(`${service.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': '1000', 'x-request-id': requestId },
    });
    req.on('error', () => resolve());
    // Half a body, then gone.
    req.write('{"query":"{ __typename }"');
    setTimeout(() => {
      req.destroy();
      resolve();
    }, 50);
  });
  const deadline = Date.now() + 2000;
  let line: Record<string, unknown> | undefined;
  while (!line && Date.now() < deadline) {
    line = service.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.requestId === requestId);
    if (!line) await new Promise((r) => setTimeout(r, 20));
  }
  expect(line).toMatchObject({ level: 'warn', msg: expect.stringMatching(/^request aborted/) });
});
