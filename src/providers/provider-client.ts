// What the sign-in flow needs from a provider, whatever its protocol (OpenID Connect or GitHub's
// OAuth 2.0): where to send the browser, and who came back.

/** Who the provider says signed in. */
export interface ProviderProfile {
  provider: string;
  /** The provider's stable id for the account: OIDC `sub`, GitHub's numeric user id. */
  subject: string;
  email: string | undefined;
  /** Only a provider's explicit statement counts: no claim means unverified. */
  emailVerified: boolean;
  /** Hints for a new account's username, best first (a login name, a display name). */
  usernameHints: string[];
}

/** The per-sign-in secrets of one attempt: generated at the start, checked at the callback. */
export interface FlowChecks {
  state: string;
  /** PKCE (S256) code verifier. */
  codeVerifier: string;
  /** OIDC nonce; unused by plain OAuth 2.0 providers. */
  nonce: string;
  /** The service's callback URL for this provider, registered at the provider. */
  redirectUri: string;
}

export interface ProviderClient {
  readonly id: string;
  /** Where to send the browser: the provider's authorization endpoint with state, PKCE and nonce. */
  authorizationUrl(checks: FlowChecks): Promise<URL>;
  /**
   * The provider's answer at the callback (`callbackUrl` carries its query or form parameters):
   * checks state, exchanges the code with the PKCE verifier, verifies the ID token (signature,
   * issuer, audience, expiry, nonce) and reads the profile. Throws `ProviderFailure` on anything wrong.
   */
  finish(callbackUrl: URL, checks: FlowChecks): Promise<ProviderProfile>;
  /** OIDC only: a native app's ID token, verified against the provider's published keys. */
  verifyIdToken?(idToken: string, nonce: string | undefined): Promise<ProviderProfile>;
}

/**
 * Why a provider sign-in failed, in the words the app hears: `code` goes to the app as
 * `?error=<code>`, `description` as `error_description`. `cause` is only logged.
 */
export class ProviderFailure extends Error {
  constructor(
    readonly code: 'ACCESS_DENIED' | 'PROVIDER_ERROR' | 'UNAUTHENTICATED',
    readonly description: string,
    options?: { cause?: unknown },
  ) {
    super(description, options);
    this.name = 'ProviderFailure';
  }
}

/** An email claim's verification flag: `true`, or the string "true" some providers (Apple) send. */
export function verifiedFlag(value: unknown): boolean {
  return value === true || value === 'true';
}
