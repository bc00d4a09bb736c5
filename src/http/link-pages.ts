// GET /reset-password and GET /verify-email: the pages emailed links open unless the app has its
// own (PASSWORD_RESET_URL, EMAIL_VERIFY_URL). Each is a small form that finishes its flow through
// the GraphQL API, like any client: reset (user_password_reset_validate, then _confirm), email
// verification (user_email_verify) and change of email (user_email_change_confirm, `type=email_change`).
// Everything comes from this service (no CDN, works offline) under a Content-Security-Policy of
// 'self'; the page speaks the link's `lang`, else the browser's language, else DEFAULT_LOCALE.
// Verification waits for a click: mail scanners that open links must not use them up.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { escapeHtml } from '../html';
import { isLocale, resolveLocale, type Locale } from '../locales';
import { LINK_PAGE_TEXTS, type LinkPageTexts } from './link-page-texts';
import { LINK_PAGE_SCRIPT } from './link-page-script';
import { pagePolicy } from './security';

export const RESET_PAGE_PATH = '/reset-password';
export const VERIFY_PAGE_PATH = '/verify-email';
const ASSETS_PATH = '/account/pages';

const STYLE = `body { font: 16px/1.5 system-ui, sans-serif; max-width: 32rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }
h1 { font-size: 1.5rem; }
label { display: block; margin-top: 0.75rem; }
input { font: inherit; padding: 0.3rem 0.5rem; width: 100%; box-sizing: border-box; }
button { font: inherit; margin-top: 1rem; padding: 0.4rem 1rem; cursor: pointer; }
#message { min-height: 1.5rem; margin: 1rem 0; }
#message.error { color: #a40000; }
#message.ok { color: #1d5e20; }
#message:focus { outline: 2px solid #0a66c2; outline-offset: 2px; }
[hidden] { display: none !important; }
`;


type PageKind = 'reset' | 'verify' | 'email_change';

interface LinkQuery {
  email?: string;
  lang?: string;
  type?: string;
}

/** The link's language, else the browser's first one the service speaks, else DEFAULT_LOCALE. */
export function pageLocale(lang: string | undefined, acceptLanguage: string | undefined, fallback: Locale): Locale {
  if (lang) return resolveLocale(lang, fallback);
  for (const part of (acceptLanguage ?? '').split(',')) {
    const language = part.split(';')[0]!.trim().toLowerCase().split('-')[0];
    if (isLocale(language)) return language;
  }
  return fallback;
}

function page(kind: PageKind, locale: Locale, texts: LinkPageTexts, appName: string, email: string): string {
  const fill = (text: string) => escapeHtml(text).replace('{email}', `<strong>${escapeHtml(email)}</strong>`);
  const [title, intro, submit] =
    kind === 'reset'
      ? [texts.resetTitle, texts.resetIntro, texts.resetSubmit]
      : kind === 'verify'
        ? [texts.verifyTitle, texts.verifyIntro, texts.verifySubmit]
        : [texts.changeTitle, texts.changeIntro, texts.changeSubmit];
  const fields =
    kind === 'reset'
      ? `<label for="password">${escapeHtml(texts.newPassword)}</label>
<input id="password" name="password" type="password" autocomplete="new-password" required aria-describedby="message">
<label for="password2">${escapeHtml(texts.repeatPassword)}</label>
<input id="password2" name="password2" type="password" autocomplete="new-password" required>
`
      : '';
  // The texts the script shows, as data attributes: no inline script under the CSP.
  const data = Object.entries(texts)
    .map(([key, value]) => ` data-${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}="${escapeHtml(value)}"`)
    .join('');
  // Relative asset URLs: the pages work behind a path prefix.
  return `<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)} · ${escapeHtml(appName)}</title>
<link rel="stylesheet" href="account/pages/page.css">
</head>
<body>
<main id="page" data-kind="${kind}"${data}>
<h1>${escapeHtml(title)}</h1>
<p id="intro">${fill(intro)}</p>
<p id="message" role="status" aria-live="polite" tabindex="-1"></p>
<form id="form" novalidate>
${fields}<button id="submit" type="submit">${escapeHtml(submit)}</button>
</form>
</main>
<script src="account/pages/link.js"></script>
</body>
</html>
`;
}

/** GET /reset-password, GET /verify-email and their two files under /account/pages/. */
export function linkPages(app: FastifyInstance, options: { appName: string; defaultLocale: Locale }): void {
  const policy = pagePolicy();
  const assets: Record<string, { type: string; body: string }> = {
    'link.js': { type: 'text/javascript; charset=utf-8', body: LINK_PAGE_SCRIPT },
    'page.css': { type: 'text/css; charset=utf-8', body: STYLE },
  };

  const serve = (kindOf: (query: LinkQuery) => PageKind) => (request: FastifyRequest<{ Querystring: LinkQuery }>, reply: FastifyReply) => {
    const kind = kindOf(request.query);
    request.notes.operation = kind === 'reset' ? 'reset_page' : 'verify_page';
    const locale = pageLocale(request.query.lang, request.headers['accept-language'], options.defaultLocale);
    const email = typeof request.query.email === 'string' ? request.query.email.slice(0, 254) : '';
    // no-store: the address holds a one-time token.
    return reply
      .header('content-security-policy', policy)
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(page(kind, locale, LINK_PAGE_TEXTS[locale], options.appName, email));
  };
  app.get(RESET_PAGE_PATH, serve(() => 'reset'));
  app.get(VERIFY_PAGE_PATH, serve((query) => (query.type === 'email_change' ? 'email_change' : 'verify')));
  app.get<{ Params: { name: string } }>(`${ASSETS_PATH}/:name`, (request, reply) => {
    const asset = assets[request.params.name];
    if (!asset) return reply.callNotFound();
    request.notes.operation = 'link_page';
    return reply.header('cache-control', 'no-cache').type(asset.type).send(asset.body);
  });
}
