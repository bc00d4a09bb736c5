// The shape of the provider configuration (OIDC_PROVIDERS, the built-in providers' variables,
// ALLOWED_REDIRECT_URLS). src/config.ts reads the environment and calls these; nothing here does.
import { z } from 'zod';

/** Any OpenID Connect issuer, found by discovery (Google, Microsoft, Apple and OIDC_PROVIDERS entries). */
export interface OidcProviderSettings {
  kind: 'oidc';
  /** The `{provider}` in the routes and in user_identities.provider. */
  id: string;
  issuer: string;
  clientId: string;
  clientSecret: string | undefined;
  scopes: string[];
  /**
   * Apple only: its client secret is a short-lived JWT signed with a key from the developer
   * account, and it answers the callback with a form POST when asked for name or email.
   */
  apple?: { teamId: string; keyId: string; privateKey: string };
}

/** GitHub (OAuth 2.0, not OIDC), on github.com or a GitHub Enterprise Server. */
export interface GithubProviderSettings {
  kind: 'github';
  id: 'github';
  /** https://github.com, or a GitHub Enterprise Server's address. */
  baseUrl: string;
  /** https://api.github.com, or <baseUrl>/api/v3 on GitHub Enterprise Server. */
  apiUrl: string;
  clientId: string;
  clientSecret: string;
  scopes: string[];
}

export type ProviderSettings = OidcProviderSettings | GithubProviderSettings;

export interface ProvidersConfig {
  providers: ProviderSettings[];
  /** Where a sign-in may send the browser back to (parsed, exact-prefix match). */
  allowedRedirectUrls: string[];
  /** Seconds a provider may take to answer one request (discovery, token, user info). */
  timeout: number;
}

const PROVIDER_ID = /^[a-z][a-z0-9_-]{0,31}$/;
const OIDC_SCOPES = ['openid', 'email', 'profile'];

const oidcEntry = z.object({
  id: z.string().regex(PROVIDER_ID, 'id must be lower-case letters, digits, _ or - (at most 32)'),
  issuer: z.url({ protocol: /^https?$/, error: 'issuer must be an http(s) URL' }),
  client_id: z.string().min(1, 'client_id is required'),
  client_secret: z.string().min(1).optional(),
  scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'scopes must be OAuth scope tokens')).optional(),
});

/** OIDC_PROVIDERS: a JSON array of `{id, issuer, client_id, client_secret?, scopes?}`. */
export const oidcProvidersSchema = z
  .string()
  .transform((value, ctx): OidcProviderSettings[] => {
    let json: unknown;
    try {
      json = JSON.parse(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON array of {"id","issuer","client_id","client_secret","scopes"}' });
      return z.NEVER;
    }
    const parsed = z.array(oidcEntry).safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      ctx.addIssue({ code: 'custom', message: `entry ${String(issue?.path[0] ?? '')}: ${issue?.message ?? 'is invalid'}` });
      return z.NEVER;
    }
    return parsed.data.map((entry) => ({
      kind: 'oidc',
      id: entry.id,
      issuer: entry.issuer,
      clientId: entry.client_id,
      clientSecret: entry.client_secret,
      scopes: withOpenid(entry.scopes ?? OIDC_SCOPES),
    }));
  });

/** ALLOWED_REDIRECT_URLS: a comma list of absolute URLs (any scheme, so native apps' own schemes work). */
export const redirectUrlsSchema = z
  .string()
  .transform((value, ctx): string[] => {
    const urls = value
      .split(',')
      .map((u) => u.trim())
      .filter(Boolean);
    for (const url of urls) {
      if (!URL.canParse(url) || new URL(url).username || new URL(url).password || url.includes('\\')) {
        ctx.addIssue({ code: 'custom', message: `must be a comma list of absolute URLs without credentials (got "${url}")` });
        return z.NEVER;
      }
    }
    return urls;
  });

/** The environment variables of the built-in providers, already validated by the config schema. */
export interface BuiltInProviderVariables {
  GOOGLE_CLIENT_ID?: string;
  GOOGLE_CLIENT_SECRET?: string;
  MICROSOFT_CLIENT_ID?: string;
  MICROSOFT_CLIENT_SECRET?: string;
  MICROSOFT_TENANT: string;
  APPLE_CLIENT_ID?: string;
  APPLE_TEAM_ID?: string;
  APPLE_KEY_ID?: string;
  APPLE_PRIVATE_KEY?: string;
  GITHUB_CLIENT_ID?: string;
  GITHUB_CLIENT_SECRET?: string;
  GITHUB_BASE_URL: string;
}

export type ProviderSettingsResult = { providers: ProviderSettings[] } | { variable: string; reason: string };

/**
 * The configured providers, built-in ones first. A half-configured provider answers the variable
 * that is missing instead of throwing, so config.ts reports it the way it reports every variable.
 */
export function providerSettings(env: BuiltInProviderVariables, custom: OidcProviderSettings[]): ProviderSettingsResult {
  const providers: ProviderSettings[] = [];
  const need = (...names: (keyof BuiltInProviderVariables)[]) => {
    const name = names.find((n) => !env[n]);
    return name && { variable: name, reason: `is required when any of ${names.join(', ')} is set` };
  };

  if (env.GOOGLE_CLIENT_ID || env.GOOGLE_CLIENT_SECRET) {
    const missing = need('GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET');
    if (missing) return missing;
    providers.push({
      kind: 'oidc',
      id: 'google',
      issuer: 'https://accounts.google.com',
      clientId: env.GOOGLE_CLIENT_ID ?? '',
      clientSecret: env.GOOGLE_CLIENT_SECRET,
      scopes: OIDC_SCOPES,
    });
  }
  if (env.MICROSOFT_CLIENT_ID || env.MICROSOFT_CLIENT_SECRET) {
    const missing = need('MICROSOFT_CLIENT_ID', 'MICROSOFT_CLIENT_SECRET');
    if (missing) return missing;
    providers.push({
      kind: 'oidc',
      id: 'microsoft',
      issuer: `https://login.microsoftonline.com/${env.MICROSOFT_TENANT}/v2.0`,
      clientId: env.MICROSOFT_CLIENT_ID ?? '',
      clientSecret: env.MICROSOFT_CLIENT_SECRET,
      scopes: OIDC_SCOPES,
    });
  }
  if (env.APPLE_CLIENT_ID || env.APPLE_TEAM_ID || env.APPLE_KEY_ID || env.APPLE_PRIVATE_KEY) {
    const missing = need('APPLE_CLIENT_ID', 'APPLE_TEAM_ID', 'APPLE_KEY_ID', 'APPLE_PRIVATE_KEY');
    if (missing) return missing;
    providers.push({
      kind: 'oidc',
      id: 'apple',
      issuer: 'https://appleid.apple.com',
      clientId: env.APPLE_CLIENT_ID ?? '',
      clientSecret: undefined,
      scopes: ['openid', 'email', 'name'],
      apple: { teamId: env.APPLE_TEAM_ID ?? '', keyId: env.APPLE_KEY_ID ?? '', privateKey: env.APPLE_PRIVATE_KEY ?? '' },
    });
  }
  if (env.GITHUB_CLIENT_ID || env.GITHUB_CLIENT_SECRET) {
    const missing = need('GITHUB_CLIENT_ID', 'GITHUB_CLIENT_SECRET');
    if (missing) return missing;
    const baseUrl = env.GITHUB_BASE_URL.replace(/\/+$/, '');
    providers.push({
      kind: 'github',
      id: 'github',
      baseUrl,
      // github.com serves its API from its own host; Enterprise Server under /api/v3.
      apiUrl: new URL(baseUrl).hostname === 'github.com' ? 'https://api.github.com' : `${baseUrl}/api/v3`,
      clientId: env.GITHUB_CLIENT_ID ?? '',
      clientSecret: env.GITHUB_CLIENT_SECRET ?? '',
      // read:user for the profile, user:email for /user/emails (which says which addresses are verified).
      scopes: ['read:user', 'user:email'],
    });
  }
  for (const entry of custom) {
    if (providers.some((p) => p.id === entry.id)) return { variable: 'OIDC_PROVIDERS', reason: `uses the id "${entry.id}" twice (or for a built-in provider)` };
    providers.push(entry);
  }
  return { providers };
}

function withOpenid(scopes: string[]): string[] {
  return scopes.includes('openid') ? scopes : ['openid', ...scopes];
}
