// GitHub: OAuth 2.0 without OpenID Connect, so there is no ID token. openid-client's OAuth 2.0
// functions do the protocol (authorization URL with state and PKCE S256, the code exchange); the
// profile comes from GitHub's REST API: GET /user for the stable numeric id and login, and
// GET /user/emails, the only place GitHub says which addresses are verified.
// GITHUB_BASE_URL points all of it at a GitHub Enterprise Server.
import * as oidc from 'openid-client';
import type { GithubProviderSettings } from './provider-config';
import { failure, type ProviderClientOptions } from './oidc-provider-client';
import { ProviderFailure, type FlowChecks, type ProviderClient, type ProviderProfile } from './provider-client';

/** GET /user, the fields used (https://docs.github.com/en/rest/users/users#get-the-authenticated-user). */
interface GithubUser {
  id: number;
  login: string;
  name: string | null;
}

/** GET /user/emails entries (https://docs.github.com/en/rest/users/emails). */
interface GithubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

export class GithubProviderClient implements ProviderClient {
  readonly id = 'github';
  private readonly config: oidc.Configuration;

  constructor(
    private readonly settings: GithubProviderSettings,
    private readonly options: ProviderClientOptions,
  ) {
    this.config = new oidc.Configuration(
      {
        issuer: settings.baseUrl,
        authorization_endpoint: `${settings.baseUrl}/login/oauth/authorize`,
        token_endpoint: `${settings.baseUrl}/login/oauth/access_token`,
      },
      settings.clientId,
      settings.clientSecret,
    );
    this.config.timeout = options.timeout;
    if (options.allowHttp) oidc.allowInsecureRequests(this.config);
  }

  authorizationUrl(checks: FlowChecks): Promise<URL> {
    return oidc.calculatePKCECodeChallenge(checks.codeVerifier).then((challenge) =>
      oidc.buildAuthorizationUrl(this.config, {
        redirect_uri: checks.redirectUri,
        scope: this.settings.scopes.join(' '),
        state: checks.state,
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }),
    );
  }

  async finish(callbackUrl: URL, checks: FlowChecks): Promise<ProviderProfile> {
    let accessToken: string;
    try {
      const tokens = await oidc.authorizationCodeGrant(this.config, callbackUrl, {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
      });
      accessToken = tokens.access_token;
    } catch (error) {
      throw failure(error);
    }
    const user = await this.api<GithubUser>(accessToken, '/user');
    const emails = await this.api<GithubEmail[]>(accessToken, '/user/emails');
    if (typeof user?.id !== 'number' || typeof user.login !== 'string' || !Array.isArray(emails)) {
      throw new ProviderFailure('PROVIDER_ERROR', 'GitHub did not answer as expected.');
    }
    // The primary address when GitHub has verified it; else any verified one; else the primary,
    // unverified (which can start a new account but never joins an existing one).
    const valid = emails.filter((e) => typeof e?.email === 'string' && e.email.includes('@'));
    const chosen = valid.find((e) => e.primary && e.verified === true) ?? valid.find((e) => e.verified === true) ?? valid.find((e) => e.primary);
    return {
      provider: this.id,
      subject: String(user.id),
      email: chosen?.email,
      emailVerified: chosen?.verified === true,
      usernameHints: [user.login, ...(user.name ? [user.name] : [])],
    };
  }

  private async api<T>(accessToken: string, path: string): Promise<T | undefined> {
    try {
      const response = await oidc.fetchProtectedResource(
        this.config,
        accessToken,
        new URL(this.settings.apiUrl + path),
        'GET',
        undefined,
        new Headers({ accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' }),
      );
      if (response.status !== 200) throw new ProviderFailure('PROVIDER_ERROR', `GitHub answered ${response.status} for ${path}.`);
      return (await response.json()) as T;
    } catch (error) {
      throw failure(error);
    }
  }
}
