// Security headers on every answer, CORS for browser clients, and the playground's page and assets
// (served by the service itself, under a policy that allows only what the page needs).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { originAllowed } from '../../src/http/security';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestService, type TestService } from '../support/service';

const HASURA_QUERY_BODY = readFileSync(path.resolve(__dirname, '../fixtures/hasura/introspection-request-body.json'), 'utf8');
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

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
      expect(plain.config.http.corsOrigins).toEqual([]);
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

describe('playground', () => {
  it('serves GraphiQL to a browser at GET /graphql, under a same-origin-only policy', async () => {
    const response = await fetch(`${service.url}/graphql`, { headers: { accept: BROWSER_ACCEPT } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp.split(';').sort()).toEqual(
      [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "font-src 'self' data:",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ].sort(),
    );
    expect(csp).not.toContain('unsafe');
    const html = await response.text();
    // No inline script, and nothing from another origin.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    // The empty data: icon spares the browser a request for /favicon.ico.
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!).filter((url) => url !== 'data:,');
    expect(urls.length).toBeGreaterThanOrEqual(6);
    for (const url of urls) {
      expect(url).toMatch(/^playground\//);
      const asset = await fetch(new URL(url, `${service.url}/graphql`));
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toMatch(url.endsWith('.css') ? /^text\/css/ : /^(text|application)\/javascript/);
    }
  });

  it('leaves GraphQL over GET and POST to the GraphQL server', async () => {
    const get = await fetch(`${service.url}/graphql?query=%7B__typename%7D`, { headers: { accept: 'application/json', 'apollo-require-preflight': 'true' } });
    expect(get.status).toBe(200);
    expect(await get.json()).toEqual({ data: { __typename: 'Query' } });
    // Hasura's introspection request, as Hasura sends it.
    const introspection = await fetch(`${service.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: HASURA_QUERY_BODY });
    expect(introspection.status).toBe(200);
    expect(((await introspection.json()) as { data: { __schema: { queryType: { name: string } } } }).data.__schema.queryType.name).toBe('Query');
  });

  it('redirects /graphql/ to /graphql, where its relative asset URLs resolve', async () => {
    const response = await fetch(`${service.url}/graphql/?query=x`, { headers: { accept: BROWSER_ACCEPT }, redirect: 'manual' });
    expect(response.status).toBe(301);
    expect(new URL(response.headers.get('location')!, `${service.url}/graphql/`).toString()).toBe(`${service.url}/graphql?query=x`);
  });

  it('is not served with PLAYGROUND=false', async () => {
    const closed = await startTestService(db, { env: { PLAYGROUND: 'false' } });
    try {
      const page = await fetch(`${closed.url}/graphql`, { headers: { accept: BROWSER_ACCEPT } });
      expect(page.headers.get('content-type')).not.toMatch(/^text\/html/);
      expect((await fetch(`${closed.url}/playground/graphiql.js`)).status).toBe(404);
      expect((await post(closed.url)).status).toBe(200);
    } finally {
      await closed.stop();
    }
  });
});
