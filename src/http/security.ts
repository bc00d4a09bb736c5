// Security headers for every answer, and CORS for browser clients calling /graphql directly.
//
// The service answers JSON to Hasura and API clients, so the default policy lets a response load
// nothing and be framed nowhere; the playground page loosens it to exactly what it needs
// (src/http/playground.ts). CORS is for bearer tokens in the Authorization header, never
// cookies: no credentials, so no ambient authority a foreign page could borrow.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyCorsOptions } from '@fastify/cors';
import type { FastifyHelmetOptions } from '@fastify/helmet';
import { pathOf } from './request-log';

/** Helmet's defaults (HSTS, nosniff, no referrer, same-origin CORP/COOP) with a policy that allows nothing. */
export const HELMET_OPTIONS: FastifyHelmetOptions = {
  global: true,
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"], frameAncestors: ["'none'"] },
  },
  xFrameOptions: { action: 'deny' },
};

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
  if (typeof given !== 'string') return false;
  return timingSafeEqual(digest(given), digest(secret));
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
