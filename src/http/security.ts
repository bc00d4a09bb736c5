// Security headers for every answer, and CORS for browser clients calling POST /graphql directly.
//
// The service answers JSON to Hasura and API clients, so the default policy lets a response load
// nothing and be framed nowhere; the playground page loosens it to exactly what it needs
// (src/http/playground.ts). CORS is for bearer tokens in the Authorization header, never
// cookies: no credentials, so no ambient authority a foreign page could borrow.
import cors from 'cors';
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

/**
 * The headers helmet sets, and no-store, read once at start-up and then set by the front door
 * (src/http/front-door.ts) on every answer: the same policy for a fraction of the per-request cost.
 */
export function securityHeaders(): Array<[string, string]> {
  const middleware = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"], frameAncestors: ["'none'"] },
    },
    // Helmet's other defaults: HSTS, nosniff, frame denial, no referrer, same-origin CORP/COOP.
    xFrameOptions: { action: 'deny' },
  });
  const headers = new Map<string, string>();
  // Helmet only sets and removes headers, and calls next() synchronously.
  const recorder = {
    setHeader: (name: string, value: string) => headers.set(name, value),
    removeHeader: (name: string) => headers.delete(name),
  };
  let done = false;
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, () => (done = true));
  if (!done || headers.size === 0) throw new Error('helmet did not set its headers synchronously');
  // Answers carry tokens: no cache may keep one. The playground's files say otherwise themselves.
  headers.set('Cache-Control', 'no-store');
  return [...headers];
}

/** Whether `origin` is allowed by the configured list; `http://host:*` allows any port of that host. */
export function originAllowed(allowed: readonly string[], origin: string): boolean {
  const candidate = origin.toLowerCase();
  return allowed.some((entry) => {
    if (!entry.endsWith(':*')) return entry === candidate;
    const base = entry.slice(0, -2);
    return candidate === base || (candidate.startsWith(`${base}:`) && /^\d{1,5}$/.test(candidate.slice(base.length + 1)));
  });
}

/** CORS middleware; plain node:http, so it serves both the Express routes and the direct POST path. */
export type Cors = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/** CORS for the GraphQL endpoint; `undefined` when no origin is allowed (no CORS headers at all). */
export function graphqlCors(origins: '*' | readonly string[]): Cors | undefined {
  if (origins !== '*' && origins.length === 0) return undefined;
  return cors({
    origin: origins === '*' ? '*' : (origin, done) => done(null, origin !== undefined && originAllowed(origins, origin)),
    methods: ['GET', 'POST'],
    // What a GraphQL client sends: its token, JSON, a trace id, Apollo's CSRF preflight header.
    allowedHeaders: ['authorization', 'content-type', 'x-request-id', 'apollo-require-preflight'],
    exposedHeaders: ['x-request-id'],
    credentials: false,
    // Browsers cap this anyway (Chromium: 2 h); 10 min keeps a changed list from lingering.
    maxAge: 600,
  });
}
