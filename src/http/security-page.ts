// GET /account/security: a small page of the service's own where a person signs in (a password,
// then a TOTP code when asked; or a passkey), adds a passkey, and sets up an authenticator app by
// scanning its QR code. Everything it loads comes from this service — its script, its stylesheet
// and @simplewebauthn/browser's bundle from node_modules — so it works offline, under a
// Content-Security-Policy of 'self'.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { escapeHtml } from '../html';
import { pagePolicy } from './security';
import { SECURITY_PAGE_SCRIPT } from './security-page-script';

export const SECURITY_PAGE_PATH = '/account/security';

const STYLE = `body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }
h1 { font-size: 1.5rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; }
label { display: block; margin-top: 0.75rem; }
input { font: inherit; padding: 0.3rem 0.5rem; width: 100%; max-width: 20rem; box-sizing: border-box; }
button { font: inherit; margin-top: 0.75rem; padding: 0.35rem 0.9rem; cursor: pointer; }
#message { min-height: 1.5rem; margin: 1rem 0; }
#message.error { color: #a40000; }
#message.ok { color: #1d5e20; }
#status { font-weight: 600; }
#totp-qr svg { width: 12rem; height: 12rem; }
#totp-secret, #recovery-codes { font-family: ui-monospace, monospace; }
[hidden] { display: none !important; }
`;


function page(appName: string): string {
  // Relative asset URLs (security/…): the page works behind a path prefix.
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>Sign-in security · ${escapeHtml(appName)}</title>
<link rel="stylesheet" href="security/page.css">
</head>
<body>
<main>
<h1>Sign-in security · ${escapeHtml(appName)}</h1>
<p id="message" role="status" aria-live="polite"></p>
<p id="status"></p>

<section aria-labelledby="signin-title">
<h2 id="signin-title">Sign in</h2>
<form id="signin-form">
<label for="username">Username or email</label>
<input id="username" name="username" autocomplete="username webauthn">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password">
<button id="signin" type="submit">Sign in</button>
<button id="passkey-signin" type="button">Sign in with a passkey</button>
</form>
<form id="mfa-step" hidden>
<label for="mfa-code">Code from the authenticator app, or a recovery code</label>
<input id="mfa-code" name="code" inputmode="numeric" autocomplete="one-time-code">
<button id="mfa-verify" type="submit">Verify</button>
</form>
</section>

<div id="account" hidden>
<section aria-labelledby="passkeys-title">
<h2 id="passkeys-title">Passkeys</h2>
<form id="passkey-form">
<label for="passkey-name">Name for the new passkey (optional)</label>
<input id="passkey-name" name="name" placeholder="Laptop">
<button id="passkey-add" type="submit">Add a passkey</button>
</form>
</section>

<section aria-labelledby="totp-title">
<h2 id="totp-title">Authenticator app</h2>
<button id="totp-setup" type="button">Set up an authenticator app</button>
<div id="totp-qr"></div>
<p>Secret (if you cannot scan): <span id="totp-secret"></span></p>
<form id="totp-enable-form" hidden>
<label for="totp-code">Code the app shows</label>
<input id="totp-code" name="code" inputmode="numeric" autocomplete="one-time-code">
<button id="totp-enable" type="submit">Turn on two-step sign-in</button>
</form>
<div id="recovery" hidden>
<h3>Recovery codes</h3>
<p>Each works once, instead of a code from the app. They are shown only now.</p>
<ol id="recovery-codes"></ol>
</div>
<form id="totp-disable-form">
<label for="totp-disable-code">Turn two-step sign-in off with a current code or a recovery code</label>
<input id="totp-disable-code" name="code" autocomplete="one-time-code">
<button id="totp-disable" type="submit">Turn off</button>
</form>
</section>
</div>
</main>
<script src="security/webauthn.js"></script>
<script src="security/page.js"></script>
</body>
</html>
`;
}

/** GET /account/security and its three files under /account/security/, registered on the app. */
export function securityPage(app: FastifyInstance, appName: string): void {
  const html = page(appName);
  const policy = pagePolicy();
  // The browser build (UMD, a SimpleWebAuthnBrowser global; the package's `unpkg` file), read once:
  // a missing package fails start-up. Its `exports` hide package.json; the CommonJS entry is in script/.
  const packageDir = path.resolve(path.dirname(require.resolve('@simplewebauthn/browser')), '..');
  const webauthn = readFileSync(path.join(packageDir, 'dist/bundle/index.umd.min.js'), 'utf8');
  const assets: Record<string, { type: string; body: string }> = {
    'page.js': { type: 'text/javascript; charset=utf-8', body: SECURITY_PAGE_SCRIPT },
    'page.css': { type: 'text/css; charset=utf-8', body: STYLE },
    'webauthn.js': { type: 'text/javascript; charset=utf-8', body: webauthn },
  };

  app.get(SECURITY_PAGE_PATH, (request: FastifyRequest, reply: FastifyReply) => {
    request.notes.operation = 'security_page';
    // Revalidated each time: a new version of the page shows up without stale caches.
    return reply.header('content-security-policy', policy).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(html);
  });
  app.get<{ Params: { name: string } }>(`${SECURITY_PAGE_PATH}/:name`, (request, reply) => {
    const asset = assets[request.params.name];
    if (!asset) return reply.callNotFound();
    request.notes.operation = 'security_page';
    return reply.header('cache-control', 'no-cache').type(asset.type).send(asset.body);
  });
}
