// What a client gets wrong is logged quietly: no error-level line and no stack trace, so anyone
// cannot fill the error log (and page an operator) at will. The client gets a precise code.
import { setupTestService } from '../support/setup';

const t = setupTestService();

const parsed = () => t.service.logs.map((line) => JSON.parse(line) as { level: string; msg: string; err?: { stack?: string } });

it.each([
  ['a persisted-query hash that does not match its query', 'application/json'],
  ['the same through the Express route (another content type)', 'application/json; charset=utf-8; x=1'],
])('%s: 400 BAD_REQUEST, logged below warn and without a stack', async (_, contentType) => {
  const before = t.service.logs.length;
  const res = await fetch(`${t.service.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: JSON.stringify({ query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }),
  });
  expect(res.status).toBe(400);
  const body = (await res.json()) as { errors: { extensions: { code: string } }[] };
  expect(body.errors[0]!.extensions.code).toBe('BAD_REQUEST');

  const lines = parsed().slice(before);
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) {
    expect(['debug', 'info']).toContain(line.level);
    expect(JSON.stringify(line)).not.toMatch(/\bat .+\.(js|ts):\d+/);
    expect(line.err).toBeUndefined();
  }
});
