// GET /reset-password and GET /verify-email as HTTP: a strict Content-Security-Policy, no caching
// of an address that holds a token, the language chosen from the link or the browser, and the
// address from the query shown as text, never as markup.
import { setupTestService } from '../support/setup';

const t = setupTestService({ env: { DEFAULT_LOCALE: 'fr' } });

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${t.service.url}${path}`, { headers });

it('serves both pages under a self-only policy, never cached', async () => {
  for (const path of ['/reset-password?token=x&email=a%40b.c', '/verify-email?token=x&email=a%40b.c']) {
    const res = await get(path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
  }
  expect((await get('/account/pages/link.js')).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  expect((await get('/account/pages/nothing.js')).status).toBe(404);
});

it("speaks the link's lang, else the browser's language, else DEFAULT_LOCALE", async () => {
  const lang = async (path: string, headers?: Record<string, string>) => /<html lang="(\w+)">/.exec(await (await get(path, headers)).text())?.[1];
  expect(await lang('/reset-password?lang=de')).toBe('de');
  expect(await lang('/reset-password?lang=es-AR', { 'accept-language': 'de' })).toBe('es');
  expect(await lang('/verify-email', { 'accept-language': 'pt-BR, es;q=0.8, en;q=0.5' })).toBe('es');
  expect(await lang('/verify-email', { 'accept-language': 'ja' })).toBe('fr');
  expect(await lang('/verify-email?lang=xx')).toBe('fr');
});

it('shows the address as text and picks the change-of-email page by type', async () => {
  const html = await (await get('/verify-email?type=email_change&lang=en&email=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E')).text();
  expect(html).not.toContain('<img');
  expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  expect(html).toContain('Confirm your new email address');
  expect(html).toContain('data-kind="email_change"');
});
