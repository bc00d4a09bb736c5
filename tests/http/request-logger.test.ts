// request.log — the logger a route or the error handler writes through — is made only when
// something logs through it (src/http/app.ts). Made late or not, its lines carry the request's id
// and go through the same redaction as every other line.
import { Writable } from 'node:stream';
import pg from 'pg';
import { createHttpApp } from '../../src/http/app';
import { createLogger } from '../../src/logger';
import { Metrics } from '../../src/metrics';

function capture(): { lines: Array<Record<string, unknown>>; stream: Writable } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

describe('request.log', () => {
  const { lines, stream } = capture();
  // Never connects: the metrics only read the pool's counts at scrape time.
  const pool = new pg.Pool({ max: 1 });
  let app: Awaited<ReturnType<typeof createHttpApp>>;
  let base = '';

  beforeAll(async () => {
    app = await createHttpApp({ logger: createLogger('info', stream), metrics: new Metrics(pool), trustProxy: false, corsOrigins: [] });
    app.get('/explodes', async () => {
      throw Object.assign(new Error('the disk is on fire'), { password: 'hunter2-secret' });
    });
    app.get('/notes', async (request) => {
      request.log.warn({ token: 'refresh-token-secret', step: 'notes' }, 'a route says something');
      request.log.child({ part: 'inner' }).info('and a child of it too');
      return { ok: true, level: request.log.level };
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await app.close();
    await pool.end();
  });

  it("logs the error handler's 500 with the request id, the secret in the error redacted", async () => {
    const response = await fetch(`${base}/explodes`, { headers: { 'x-request-id': 'boom-1' } });
    expect(response.status).toBe(500);
    const line = lines.find((l) => l.msg === 'could not answer a request');
    expect(line).toMatchObject({ level: 'error', requestId: 'boom-1', err: { message: 'the disk is on fire', password: '[redacted]' } });
    expect(JSON.stringify(lines)).not.toContain('hunter2-secret');
  });

  it("a route's own lines, and its child logger's, carry the request id and are redacted", async () => {
    const response = await fetch(`${base}/notes`, { headers: { 'x-request-id': 'notes-1' } });
    expect(await response.json()).toEqual({ ok: true, level: 'info' });
    expect(lines.find((l) => l.msg === 'a route says something')).toMatchObject({
      level: 'warn',
      requestId: 'notes-1',
      step: 'notes',
      token: '[redacted]',
    });
    expect(lines.find((l) => l.msg === 'and a child of it too')).toMatchObject({ level: 'info', requestId: 'notes-1', part: 'inner' });
    expect(JSON.stringify(lines)).not.toContain('refresh-token-secret');
  });
});
