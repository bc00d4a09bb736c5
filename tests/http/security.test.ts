// Security headers on every answer, and CORS for browser clients.
import { originAllowed } from '../../src/http/security';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestService, type TestService } from '../support/service';

let db: TestDatabase;
let service: TestService;
beforeAll(async () => {
  db = await createTestDatabase();
  service = await startTestService(db, { env: { CORS_ORIGINS: 'https://app.example.com,http://localhost:*' } });
});
afterAll(async () => {
  await service.stop();
  await db.drop();
});

const post = (url: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"query":"{ __typename }"}' });

describe('security headers', () => {
  it('come with every GraphQL answer: nothing to load, no framing, no sniffing, HSTS', async () => {
    const response = await post(service.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('x-powered-by')).toBeNull();
  });
});

describe('CORS', () => {
  it('lets an allowed origin send a preflighted POST with Authorization, without credentials', async () => {
    const preflight = await fetch(`${service.url}/graphql`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')?.split(',')).toEqual(expect.arrayContaining(['authorization', 'content-type']));
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
    expect(preflight.headers.get('vary')).toContain('Origin');

    const response = await post(service.url, { origin: 'https://app.example.com', authorization: 'Bearer x' });
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(response.headers.get('access-control-expose-headers')).toBe('x-request-id');
  });

  it('allows any port of a host listed with :*', async () => {
    const response = await post(service.url, { origin: 'http://localhost:5173' });
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });

  it('gives other origins nothing to read', async () => {
    for (const origin of ['https://evil.example.com', 'https://app.example.com.evil.io', 'http://app.example.com']) {
      const response = await post(service.url, { origin });
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('is off by default outside development', async () => {
    const plain = await startTestService(db);
    try {
      expect(plain.config.corsOrigins).toEqual([]);
      const response = await post(plain.url, { origin: 'http://localhost:3000' });
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await plain.stop();
    }
  });

  it('matches origins exactly, ports included', () => {
    const allowed = ['https://app.example.com', 'http://localhost:*'];
    expect(originAllowed(allowed, 'https://app.example.com')).toBe(true);
    expect(originAllowed(allowed, 'https://app.example.com:8443')).toBe(false);
    expect(originAllowed(allowed, 'http://localhost')).toBe(true);
    expect(originAllowed(allowed, 'http://localhost:3000')).toBe(true);
    expect(originAllowed(allowed, 'http://localhost:3000.evil.io')).toBe(false);
    expect(originAllowed(allowed, 'http://localhost.evil.io')).toBe(false);
    expect(originAllowed(allowed, 'https://localhost:3000')).toBe(false);
  });
});
