// A stop drains before it closes: during SHUTDOWN_DELAY readiness is 503 and every answer says
// `Connection: close`, while requests — also on connections kept alive from before the stop — are
// still answered. Only then does the listener close. Checked by counts and the order of events.
import http from 'node:http';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestService } from '../support/service';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

interface Answer {
  status: number;
  connection: string | undefined;
  reusedSocket: boolean;
}

function get(url: string, agent: http.Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, reusedSocket: req.reusedSocket }));
    });
    req.on('error', reject);
  });
}

it('readiness turns 503 and connections are asked to close before the listener closes; no request in between fails', async () => {
  const service = await startTestService(db, { env: { SHUTDOWN_DELAY: '1500ms' } });
  const events: string[] = [];
  const errors: unknown[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const { httpServer } = service.server;
  const listenerClosed = new Promise<void>((resolve) => httpServer.once('close', resolve)).then(() => events.push('listener closed'));
  try {
    // A connection kept alive from before the stop.
    expect(await get(`${service.url}/readyz`, agent)).toMatchObject({ status: 200, connection: 'keep-alive' });

    const stopped = service.stop().then(() => events.push('stopped'));
    // Right after the signal, on the kept-alive connection: answered, not reset.
    const ready = await get(`${service.url}/readyz`, agent).catch((error: unknown) => errors.push(error));
    expect(ready).toEqual({ status: 503, connection: 'close', reusedSocket: true });
    events.push('readiness 503');
    expect(httpServer.listening).toBe(true);

    // More requests during the delay, each on a new connection that the answer then closes.
    for (let i = 0; i < 5; i++) {
      const answer = await get(`${service.url}/healthz`, agent).catch((error: unknown) => errors.push(error));
      expect(answer).toEqual({ status: 200, connection: 'close', reusedSocket: false });
    }
    events.push('5 requests served while draining');

    await Promise.all([stopped, listenerClosed]);
    expect(errors).toEqual([]);
    expect(events).toEqual(['readiness 503', '5 requests served while draining', 'listener closed', 'stopped']);
    // And now the port is closed.
    await expect(get(`${service.url}/healthz`, new http.Agent())).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  } finally {
    agent.destroy();
    await service.stop();
  }
});

it('stops at once with SHUTDOWN_DELAY=0 (the default outside production)', async () => {
  const service = await startTestService(db);
  expect(service.config.http.shutdownDelay).toBe(0);
  await service.stop();
  expect(service.server.httpServer.listening).toBe(false);
});
