// Security headers for every answer, CORS for browser clients calling /graphql directly, and the
// constant-time check of a secret sent in a header.
//
// The service answers JSON to Hasura and API clients, so the default policy lets a response load
// nothing and be framed nowhere; the playground page loosens it to exactly what it needs
// (src/http/playground.ts). CORS is for bearer tokens in the Authorization header, never
// cookies: no credentials, so no ambient authority a foreign page could borrow.
import { sameSecret } from '../auth/constant-time';
import type { FastifyCorsOptions } from '@fastify/cors';
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';
import { pathOf } from './request-log';

/**
 * The headers helmet sets (HSTS, nosniff, frame denial, no referrer, same-origin CORP/COOP, and a
 * policy that lets a response load nothing), read from helmet once at start-up and then set by the
 * pipeline on every answer. @fastify/helmet would build helmet's middleware anew for every request;
 * the headers never change, so computing them once gives the same policy for a fraction of the cost.
 */
export function securityHeaders(): Array<[string, string]> {
  return helmetHeaders({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"], frameAncestors: ["'none'"] },
    },
    xFrameOptions: { action: 'deny' },
  });
}

/** What helmet's middleware sets with these options; the playground uses it for its own policy. */
export function helmetHeaders(options: HelmetOptions): Array<[string, string]> {
  const headers = new Map<string, string>();
  // Helmet only sets and removes headers, and calls next() synchronously.
  const recorder = {
    setHeader: (name: string, value: string) => headers.set(name.toLowerCase(), value),
    removeHeader: (name: string) => headers.delete(name.toLowerCase()),
  };
  let done = false;
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, () => (done = true));
  if (!done || headers.size === 0) throw new Error('helmet did not set its headers synchronously');
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

/** The only path browsers may call cross-origin: the webhooks, probes and metrics are not for them. */
const CORS_PATHS = new Set(['/graphql']);

/** CORS for the GraphQL endpoint; `undefined` when no origin is allowed (no CORS headers at all). */
export function corsOptions(origins: '*' | readonly string[]): FastifyCorsOptions | undefined {
  if (origins !== '*' && origins.length === 0) return undefined;
  const options: FastifyCorsOptions = {
    origin: origins === '*' ? '*' : (origin, done) => done(null, origin !== undefined && originAllowed(origins, origin)),
    methods: ['GET', 'POST'],
    // What a GraphQL client sends: its token, JSON, a trace id, Apollo's CSRF preflight header.
    allowedHeaders: 'authorization,content-type,x-request-id,apollo-require-preflight',
    exposedHeaders: ['x-request-id'],
    credentials: false,
    // Browsers cap this anyway (Chromium: 2 h); 10 min keeps a changed list from lingering.
    maxAge: 600,
  };
  return {
    // Per request: CORS headers only on the GraphQL endpoint.
    delegator: (request, done) => done(null, CORS_PATHS.has(pathOf(request.url)) ? options : { origin: false }),
  };
}

/** Whether a header carries `secret`; constant-time whatever the lengths, since digests are compared. */
export function secretMatches(given: string | string[] | undefined, secret: string): boolean {
  return typeof given === 'string' && sameSecret(given, secret);
}

/** The Content-Security-Policy header helmet renders for these directives (no defaults added). */
export function contentSecurityPolicy(directives: PolicyDirectives): string {
  const header = helmetHeaders({ contentSecurityPolicy: { useDefaults: false, directives } }).find(([name]) => name === 'content-security-policy');
  if (!header) throw new Error('helmet did not render a Content-Security-Policy');
  return header[1];
}

type PolicyDirectives = Record<string, Iterable<string>>;

/**
 * The policy of the service's own pages (/account/security, the link pages): their script, style
 * and the GraphQL endpoint of this origin, nothing else.
 */
export function pagePolicy(): string {
  return contentSecurityPolicy({
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    // The GraphQL endpoint of this service.
    connectSrc: ["'self'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'none'"],
  });
}
