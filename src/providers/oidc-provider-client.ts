// Any OpenID Connect issuer (Google, Microsoft, Apple, Keycloak, Okta, Auth0 …), through
// openid-client: discovery, the authorization URL with state, PKCE S256 and nonce, the code
// exchange and every ID-token check. A native app's ID token (no code exchange) is verified with
// jose against the issuer's published keys, with the same issuer, audience, expiry and nonce rules.
import { createHash } from 'node:crypto';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, importPKCS8, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { Clock } from '../clock';
import type { OidcProviderSettings } from './provider-config';
import { ProviderFailure, verifiedFlag, type FlowChecks, type ProviderClient, type ProviderProfile } from './provider-client';

export interface ProviderClientOptions {
  /** Seconds per request to the provider. */
  timeout: number;
  clock: Clock;
  /** Plain-http providers (a Keycloak on the local network, a test provider on loopback). */
  allowHttp: boolean;
}

/** Apple's client secrets may live six months; a fresh one per exchange costs one signature. */
const APPLE_SECRET_SECONDS = 300;
/** ID tokens a native app sends were issued moments ago; allow this much clock difference. */
const CLOCK_TOLERANCE_SECONDS = 30;

/** openid-client's error codes that mean "the ID token does not verify", not "the provider failed". */
const TOKEN_CHECK_CODES = new Set(['OAUTH_JWT_TIMESTAMP_CHECK_FAILED', 'OAUTH_JWT_CLAIM_COMPARISON_FAILED', 'OAUTH_KEY_SELECTION_FAILED']);

export class OidcProviderClient implements ProviderClient {
  readonly id: string;
  private discovered: Promise<oidc.Configuration> | undefined;
  private keys: ReturnType<typeof createRemoteJWKSet> | undefined;

  constructor(
    private readonly settings: OidcProviderSettings,
    private readonly options: ProviderClientOptions,
  ) {
    this.id = settings.id;
  }

  async authorizationUrl(checks: FlowChecks): Promise<URL> {
    const config = await this.configuration();
    return oidc.buildAuthorizationUrl(config, {
      redirect_uri: checks.redirectUri,
      scope: this.settings.scopes.join(' '),
      state: checks.state,
      nonce: checks.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(checks.codeVerifier),
      code_challenge_method: 'S256',
      // Apple sends name and email only in a form POST to the callback.
      ...(this.settings.apple ? { response_mode: 'form_post' } : {}),
    });
  }

  async finish(callbackUrl: URL, checks: FlowChecks): Promise<ProviderProfile> {
    const config = await this.configuration();
    let claims: oidc.IDToken | undefined;
    let accessToken: string;
    try {
      const tokens = await oidc.authorizationCodeGrant(
        config,
        callbackUrl,
        { pkceCodeVerifier: checks.codeVerifier, expectedState: checks.state, expectedNonce: checks.nonce, idTokenExpected: true },
      );
      claims = tokens.claims();
      accessToken = tokens.access_token;
    } catch (error) {
      throw failure(error);
    }
    if (!claims) throw new ProviderFailure('PROVIDER_ERROR', 'The provider sent no ID token.');
    let email = typeof claims.email === 'string' ? claims.email : undefined;
    let verified = verifiedFlag(claims.email_verified);
    if (!email) {
      // Some issuers put the email only in the UserInfo answer.
      try {
        const info = await oidc.fetchUserInfo(config, accessToken, claims.sub);
        email = typeof info.email === 'string' ? info.email : undefined;
        verified = verifiedFlag(info.email_verified);
      } catch (error) {
        throw failure(error);
      }
    }
    return this.profile(claims, email, verified);
  }

  async verifyIdToken(idToken: string, nonce: string | undefined): Promise<ProviderProfile> {
    const config = await this.configuration();
    const metadata = config.serverMetadata();
    if (!metadata.jwks_uri) throw new ProviderFailure('PROVIDER_ERROR', 'The provider publishes no keys.');
    this.keys ??= createRemoteJWKSet(new URL(metadata.jwks_uri), { timeoutDuration: this.options.timeout * 1000 });
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(idToken, this.keys, {
        audience: this.settings.clientId,
        currentDate: this.options.clock.now(),
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
      }));
    } catch (error) {
      throw new ProviderFailure('UNAUTHENTICATED', 'The ID token could not be verified.', { cause: error });
    }
    // Microsoft's multi-tenant discovery names the issuer with a {tenantid} placeholder.
    const issuer = metadata.issuer.replace('{tenantid}', typeof payload.tid === 'string' ? payload.tid : '{tenantid}');
    if (payload.iss !== issuer) throw new ProviderFailure('UNAUTHENTICATED', 'The ID token is from another issuer.');
    // A token bound to a nonce is only accepted with that nonce, and a nonce given must be in the
    // token: otherwise a token captured from another app's sign-in could be replayed here.
    if (payload.nonce !== undefined || nonce !== undefined) {
      if (typeof payload.nonce !== 'string' || nonce === undefined || !nonceMatches(payload.nonce, nonce, !!this.settings.apple)) {
        throw new ProviderFailure('UNAUTHENTICATED', 'The ID token is not for this nonce.');
      }
    }
    const email = typeof payload.email === 'string' ? payload.email : undefined;
    return this.profile(payload as oidc.IDToken, email, verifiedFlag(payload.email_verified));
  }

  private profile(claims: oidc.IDToken | JWTPayload, email: string | undefined, emailVerified: boolean): ProviderProfile {
    const hint = (name: string) => (typeof claims[name] === 'string' ? [claims[name] as string] : []);
    return {
      provider: this.id,
      subject: String(claims.sub),
      email,
      emailVerified: email !== undefined && emailVerified,
      usernameHints: [...hint('preferred_username'), ...hint('nickname'), ...(email ? [email.split('@')[0] ?? ''] : []), ...hint('given_name'), ...hint('name')],
    };
  }

  private configuration(): Promise<oidc.Configuration> {
    this.discovered ??= oidc
      .discovery(
        new URL(this.settings.issuer),
        this.settings.clientId,
        this.settings.clientSecret,
        // Apple's client secret is a JWT made for each exchange; everyone else gets openid-client's default.
        this.settings.apple ? this.appleClientAuth(this.settings.apple) : undefined,
        { timeout: this.options.timeout, execute: this.options.allowHttp ? [oidc.allowInsecureRequests] : [] },
      )
      .then((config) => {
        config.timeout = this.options.timeout;
        // OIDC lets a client skip the ID token's signature when it came straight from the token
        // endpoint over TLS; check it anyway (against the published keys), so that neither a
        // plain-http provider nor a tampering proxy can put words in the provider's mouth.
        oidc.enableNonRepudiationChecks(config);
        return config;
      })
      .catch((error: unknown) => {
        // Not cached: the next sign-in tries discovery again.
        this.discovered = undefined;
        throw new ProviderFailure('PROVIDER_ERROR', 'The provider could not be reached.', { cause: error });
      });
    return this.discovered;
  }

  private appleClientAuth(apple: NonNullable<OidcProviderSettings['apple']>): oidc.ClientAuth {
    const clientId = this.settings.clientId;
    const clock = this.options.clock;
    // openid-client awaits a client authentication that returns a promise (oauth4webapi's
    // ClientAuth allows it); its own type says void, hence the cast.
    const auth = async (_as: oidc.ServerMetadata, _client: oidc.ClientMetadata, body: URLSearchParams): Promise<void> => {
      const now = Math.floor(clock.now().getTime() / 1000);
      const key = await importPKCS8(apple.privateKey.replace(/\\n/g, '\n'), 'ES256');
      const secret = await new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: apple.keyId })
        .setIssuer(apple.teamId)
        .setSubject(clientId)
        .setAudience('https://appleid.apple.com')
        .setIssuedAt(now)
        .setExpirationTime(now + APPLE_SECRET_SECONDS)
        .sign(key);
      body.set('client_id', clientId);
      body.set('client_secret', secret);
    };
    return auth as unknown as oidc.ClientAuth;
  }
}

/** Apple's native SDKs put the SHA-256 (hex) of the app's nonce in the token. */
function nonceMatches(inToken: string, given: string, apple: boolean): boolean {
  if (inToken === given) return true;
  return apple && inToken === createHash('sha256').update(given).digest('hex');
}

/** An openid-client failure as the app should hear it. */
export function failure(error: unknown): ProviderFailure {
  if (error instanceof ProviderFailure) return error;
  if (error instanceof oidc.AuthorizationResponseError) {
    return error.error === 'access_denied'
      ? new ProviderFailure('ACCESS_DENIED', 'The sign-in was cancelled at the provider.', { cause: error })
      : new ProviderFailure('PROVIDER_ERROR', 'The provider refused the sign-in.', { cause: error });
  }
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && TOKEN_CHECK_CODES.has(code)) {
    return new ProviderFailure('UNAUTHENTICATED', 'The ID token could not be verified.', { cause: error });
  }
  if (error instanceof Error && (/signature/i.test(error.message) || (error.cause instanceof Error && /signature/i.test(error.cause.message)))) {
    return new ProviderFailure('UNAUTHENTICATED', 'The ID token could not be verified.', { cause: error });
  }
  return new ProviderFailure('PROVIDER_ERROR', 'The provider did not answer as expected.', { cause: error });
}
