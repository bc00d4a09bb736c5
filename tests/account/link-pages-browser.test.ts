// The service's own reset and verification pages in a real browser (Debian's Chromium, headless),
// opened from the links the SMTP server captured, in English and in Spanish: each flow completes,
// no request leaves the service, and screenshots are CI artefacts (artifacts/link-page-*.png).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { LoginDocument, RegisterDocument, ResetDocument } from '../generated/graphql';
import { linkIn } from '../support/links';
import { codeOf } from '../support/service';
import { setupTestService } from '../support/setup';

const ARTIFACTS = path.resolve(__dirname, '../../artifacts');

let browser: Browser;
const requests: string[] = [];
const problems: string[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  mkdirSync(ARTIFACTS, { recursive: true });
}, 60_000);
afterAll(async () => {
  await browser?.close();
});
// After the browser's hooks, so the browser closes its connections before the service stops.
const t = setupTestService({ mailbox: true });

async function newPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 800, height: 700 } });
  page.on('request', (request) => requests.push(request.url()));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return page;
}

/**
 * The emailed link, opened on the running service: links are built from PUBLIC_URL, which in tests
 * names port 0, so the captured path and query are sent to the port the service really has.
 */
function onService(link: URL): string {
  return `${t.service.url}${link.pathname}${link.search}`;
}

async function register(username: string, locale: string) {
  const res = await t.service.request(RegisterDocument, { arg: { username, email: `${username}@example.com`, password: 'the first password 1', locale } });
  expect(res.errors).toBeUndefined();
  return res.data!.user_register;
}

async function nextMail(send: () => Promise<unknown>) {
  const before = t.mailbox.received.length;
  await send();
  return (await t.mailbox.waitFor(before + 1))[before]!;
}

const CASES = [
  { locale: 'en', done: 'Your password has been changed. You can now sign in with it.', verified: 'Thank you: your email address is confirmed.', button: 'Confirm my email address' },
  { locale: 'es', done: 'Tu contraseña ha cambiado. Ya puedes iniciar sesión con ella.', verified: 'Gracias: tu dirección de correo está confirmada.', button: 'Confirmar mi dirección de correo' },
];

describe.each(CASES)('in $locale', ({ locale, done, verified, button }) => {
  it('the reset page sets a new password from the emailed link', async () => {
    const username = `reset_${locale}`;
    const user = await register(username, locale);
    const mail = await nextMail(async () => {
      await t.service.request(ResetDocument, { arg: { email: user.email } });
      const row = await t.service.services.db.prisma.passwordResetRequest.findFirstOrThrow({ where: { userId: user.id } });
      await t.events.deliver('password_reset_requested', await t.events.forRow('password_reset_requested', row.id));
    });
    const link = linkIn(mail, 'http://localhost:0/reset-password');
    expect(link.searchParams.get('lang')).toBe(locale);

    const page = await newPage();
    await page.goto(onService(link));
    expect(await page.getAttribute('html', 'lang')).toBe(locale);
    // The token leaves the address bar at once.
    expect(new URL(page.url()).searchParams.has('token')).toBe(false);
    const password = page.locator('#password');
    await expect(password.isEnabled()).resolves.toBe(true);
    // Labelled fields: found by their labels, as assistive technology finds them.
    await page.getByLabel(locale === 'en' ? 'New password, again' : 'Repite la nueva contraseña').fill('a different one 2');
    await password.fill('the second password 2');
    await page.locator('#submit').click();
    await page.locator('#message.error').waitFor();
    expect(await page.locator('#message').getAttribute('aria-live')).toBe('polite');

    await page.locator('#password2').fill('the second password 2');
    await page.locator('#submit').click();
    await page.locator('#message', { hasText: done }).waitFor();
    expect(await page.locator('#form').isHidden()).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, `link-page-reset-${locale}.png`) });
    await page.close();

    expect((await t.service.request(LoginDocument, { arg: { username, password: 'the second password 2' } })).errors).toBeUndefined();
    expect(codeOf(await t.service.request(LoginDocument, { arg: { username, password: 'the first password 1' } }))).toBe('UNAUTHENTICATED');
  });

  it('the verification page confirms the address from the welcome email, and a used link says so', async () => {
    const user = await register(`verify_${locale}`, locale);
    const mail = await nextMail(async () => t.events.deliver('user_registered', await t.events.forRow('user_registered', user.id)));
    const link = linkIn(mail, 'http://localhost:0/verify-email');

    const page = await newPage();
    await page.goto(onService(link));
    expect(await page.getAttribute('html', 'lang')).toBe(locale);
    await page.getByRole('button', { name: button }).click();
    await page.locator('#message', { hasText: verified }).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, `link-page-verify-${locale}.png`) });
    const stored = await t.service.services.db.prisma.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(stored.emailVerifiedAt).not.toBeNull();

    // The same link again: refused, and the page says so in its language.
    await page.goto(onService(link));
    await page.getByRole('button', { name: button }).click();
    await page.locator('#message.error').waitFor();
    await page.close();
  });
});

it('never left the service, and the pages logged no error (CSP included)', () => {
  expect(requests.length).toBeGreaterThan(0);
  expect(requests.filter((url) => !url.startsWith(t.service.url) && !url.startsWith('data:'))).toEqual([]);
  expect(problems).toEqual([]);
});
