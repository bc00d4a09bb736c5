// Sign in with a provider, from the first redirect to the tokens.
//
//   start     GET /signin/provider/{p}?redirect_to=…  → a request row (keyed hash of `state`,
//             10 minutes) and the provider's authorization URL with state, PKCE S256 and nonce
//   callback  GET|POST /signin/provider/{p}/callback  → the row deleted (single use); the provider's
//             answer checked; the account found, linked or created; a one-time code row (keyed
//             hash, 60 seconds) and redirect_to?code=…  — or redirect_to?error=…
//   redeem    user_signin_code(code)                  → the code row deleted (single use); tokens
//   native    user_signin_idtoken(provider, id_token, nonce) → the ID token verified; tokens
//
// The PKCE verifier and the nonce are HMACs of the state, so the stored row holds nothing that
// could finish a sign-in, and the state itself is stored only as a keyed hash.
import { createHmac, randomBytes } from 'node:crypto';
import type { Clock } from '../clock';
import type { Database } from '../db/database';
import { AuthError, InvalidInputError, UnauthenticatedError } from '../auth/errors';
import type { SignInClient, SignIns, SignInUser, TokenPair } from '../auth/sign-in';
import type { Logger } from '../logger';
import type { ProviderAccounts } from './provider-accounts';
import { ProviderFailure, type FlowChecks, type ProviderClient } from './provider-client';
import type { AllowedRedirects } from './redirect-urls';

/** Seconds between the start and the callback. */
export const STATE_TTL = 10 * 60;
/** Seconds the app has to redeem its one-time code. */
export const CODE_TTL = 60;

/** 256 random bits, base64url: the shape of every state and one-time code. */
const SECRET = /^[A-Za-z0-9_-]{43}$/;
const MAX_ID_TOKEN_LENGTH = 16 * 1024;
const MAX_NONCE_LENGTH = 512;

/** A request the routes answer without leaving the service: no redirect, a status and a reason. */
export class SignInRequestError extends Error {
  constructor(
    readonly status: 400 | 404,
    message: string,
  ) {
    super(message);
    this.name = 'SignInRequestError';
  }
}

export interface ProviderSignInsDeps {
  db: Database;
  clock: Clock;
  logger: Logger;
  /** By provider id. */
  providers: ReadonlyMap<string, ProviderClient>;
  redirects: AllowedRedirects;
  /** PUBLIC_URL: the callback URLs registered at the providers are built from it, never from request headers. */
  publicUrl: string;
  accounts: ProviderAccounts;
  /** The gate every first factor passes: tokens, or MFA_REQUIRED for an account with a second factor. */
  signIns: SignIns;
  /** Derived for these uses only (DerivedKeys): one for state/verifier/nonce, one for code hashes. */
  stateKey: Buffer;
  codeKey: Buffer;
}

export class ProviderSignIns {
  constructor(private readonly deps: ProviderSignInsDeps) {}

  /** The callback URL of a provider, as registered at the provider. */
  callbackUrl(providerId: string): string {
    return `${this.deps.publicUrl}/signin/provider/${encodeURIComponent(providerId)}/callback`;
  }

  /** Where to send the browser: the provider, or redirect_to?error=… when the provider cannot be reached. */
  async start(providerId: string, redirectTo: string | undefined): Promise<URL> {
    const provider = this.provider(providerId);
    const target = redirectTo === undefined ? this.deps.redirects.fallback : this.deps.redirects.check(redirectTo);
    if (!target) {
      throw new SignInRequestError(400, redirectTo === undefined ? 'redirect_to is required.' : 'redirect_to is not an allowed URL (ALLOWED_REDIRECT_URLS).');
    }
    const state = randomBytes(32).toString('base64url');
    const checks = this.checks(providerId, state);
    let location: URL;
    try {
      location = await provider.authorizationUrl(checks);
    } catch (error) {
      return this.failed(target, error, providerId);
    }
    const now = this.deps.clock.now();
    const { prisma } = this.deps.db;
    // Abandoned sign-ins and unredeemed codes go on the way: both tables stay as small as their TTLs.
    await prisma.providerSignInRequest.deleteMany({ where: { expiresAt: { lt: now } } });
    await prisma.providerSignInCode.deleteMany({ where: { expiresAt: { lt: now } } });
    await prisma.providerSignInRequest.create({
      data: {
        stateHash: this.stateHash(state),
        provider: providerId,
        redirectTo: target.href,
        createdAt: now,
        expiresAt: new Date(now.getTime() + STATE_TTL * 1000),
      },
    });
    return location;
  }

  /**
   * The provider's answer (query or form parameters). A state that is unknown, used, expired or
   * for another provider is a SignInRequestError (400: there is no trustworthy redirect_to to
   * report to); everything after that ends at redirect_to, with a code or an error.
   */
  async callback(providerId: string, params: URLSearchParams): Promise<URL> {
    const provider = this.provider(providerId);
    const state = params.get('state');
    const now = this.deps.clock.now();
    const request = state && SECRET.test(state) ? await this.takeRequest(state) : undefined;
    if (!state || !request || request.provider !== providerId || request.expiresAt <= now) {
      throw new SignInRequestError(400, 'This sign-in is invalid or has expired. Start again.');
    }
    const target = new URL(request.redirectTo);
    try {
      const url = new URL(this.callbackUrl(providerId));
      url.search = params.toString();
      const profile = await provider.finish(url, this.checks(providerId, state));
      const user = await this.deps.accounts.resolve(profile);
      const code = await this.issueCode(user, providerId);
      target.searchParams.set('code', code);
      return target;
    } catch (error) {
      return this.failed(target, error, providerId);
    }
  }

  /** user_signin_code: the one-time code from the callback, for tokens. */
  async redeemCode(code: string, client: SignInClient = {}): Promise<TokenPair> {
    if (!code) throw new InvalidInputError({ code: ['This field may not be blank.'] });
    const invalid = () => new UnauthenticatedError('The sign-in code is invalid or has expired.');
    if (!SECRET.test(code)) throw invalid();
    const now = this.deps.clock.now();
    // Deleting is the single use: of two redemptions of one code, exactly one deletes the row.
    const row = await this.deps.db.prisma.providerSignInCode
      .delete({ where: { codeHash: this.codeHash(code) }, select: { expiresAt: true, userId: true } })
      .catch(() => undefined);
    if (!row || row.expiresAt <= now) throw invalid();
    const user = await this.deps.db.prisma.user.findUnique({
      where: { id: row.userId },
      select: { id: true, username: true, email: true, roleId: true, isActive: true, role: { select: { name: true } } },
    });
    if (!user?.isActive) throw invalid();
    return this.complete({ id: user.id, username: user.username, email: user.email, roleId: user.roleId, role: user.role.name }, client);
  }

  /** user_signin_idtoken: a native app signed in with the provider's SDK and hands over the ID token. */
  async signInWithIdToken(input: { provider: string; idToken: string; nonce: string | undefined }, client: SignInClient = {}): Promise<TokenPair> {
    const provider = this.deps.providers.get(input.provider);
    if (!provider?.verifyIdToken) {
      throw new InvalidInputError({ provider: [provider ? 'This provider issues no ID tokens.' : 'Unknown provider.'] });
    }
    if (!input.idToken) throw new InvalidInputError({ id_token: ['This field may not be blank.'] });
    if (input.idToken.length > MAX_ID_TOKEN_LENGTH || (input.nonce?.length ?? 0) > MAX_NONCE_LENGTH) {
      throw new UnauthenticatedError('The ID token could not be verified.');
    }
    let user: SignInUser;
    try {
      user = await this.deps.accounts.resolve(await provider.verifyIdToken(input.idToken, input.nonce));
    } catch (error) {
      if (error instanceof ProviderFailure) {
        this.deps.logger.info({ provider: input.provider, reason: describe(error) }, 'ID-token sign-in refused');
        throw new UnauthenticatedError(error.description);
      }
      throw error;
    }
    return this.complete(user, client);
  }

  /**
   * The one point where a provider sign-in ends: both the redirect flow (via its one-time code) and
   * the native ID-token flow. The provider is one factor; an account with a second one gets
   * MFA_REQUIRED and a ticket here, exactly as a password sign-in does.
   */
  private complete(user: SignInUser, client: SignInClient): Promise<TokenPair> {
    return this.deps.signIns.complete(user, ['oauth'], client);
  }

  private provider(id: string): ProviderClient {
    const provider = this.deps.providers.get(id);
    if (!provider) throw new SignInRequestError(404, 'Unknown provider.');
    return provider;
  }

  private async takeRequest(state: string): Promise<{ provider: string; redirectTo: string; expiresAt: Date } | undefined> {
    // Deleting is the single use: of two callbacks with one state, exactly one deletes the row.
    return this.deps.db.prisma.providerSignInRequest
      .delete({ where: { stateHash: this.stateHash(state) }, select: { provider: true, redirectTo: true, expiresAt: true } })
      .catch(() => undefined);
  }

  private async issueCode(user: SignInUser, providerId: string): Promise<string> {
    const code = randomBytes(32).toString('base64url');
    const now = this.deps.clock.now();
    await this.deps.db.prisma.providerSignInCode.create({
      data: { codeHash: this.codeHash(code), userId: user.id, provider: providerId, createdAt: now, expiresAt: new Date(now.getTime() + CODE_TTL * 1000) },
    });
    return code;
  }

  private checks(providerId: string, state: string): FlowChecks {
    return {
      state,
      codeVerifier: this.derive('pkce-verifier', state).toString('base64url'),
      nonce: this.derive('nonce', state).toString('base64url'),
      redirectUri: this.callbackUrl(providerId),
    };
  }

  private stateHash(state: string): string {
    return this.derive('state', state).toString('hex');
  }

  private codeHash(code: string): string {
    return createHmac('sha256', this.deps.codeKey).update(code).digest('hex');
  }

  /** One key, three uses kept apart by a label: the state's stored hash, its PKCE verifier, its nonce. */
  private derive(use: 'state' | 'pkce-verifier' | 'nonce', state: string): Buffer {
    return createHmac('sha256', this.deps.stateKey).update(`${use}:${state}`).digest();
  }

  /** redirect_to?error=<code>&error_description=…; the cause goes to the log only. */
  private failed(target: URL, error: unknown, providerId: string): URL {
    let code: string;
    let description: string;
    // ACCOUNT_EXISTS, a disabled account, or the provider's failure: the app hears which.
    if (error instanceof ProviderFailure || error instanceof AuthError) {
      code = error.code;
      description = error.message;
      this.deps.logger.info({ provider: providerId, error: code, reason: describe(error) }, 'provider sign-in refused');
    } else {
      code = 'INTERNAL_SERVER_ERROR';
      description = 'The sign-in could not be completed.';
      this.deps.logger.error({ err: error, provider: providerId }, 'provider sign-in failed');
    }
    target.searchParams.set('error', code);
    target.searchParams.set('error_description', description);
    return target;
  }
}

/** A failure and its causes in one line, for the log (never a token: libraries' messages name checks, not values). */
function describe(error: Error): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 4; depth++) {
    parts.push(current.message);
    current = current.cause;
  }
  return parts.join(' <- ');
}
