// The one place where a user who has proved who they are becomes a session and a pair of tokens.
// Every first-factor route (password, provider, …) ends here, so a rule that applies to every
// sign-in (a second factor, a claim) has exactly one place to go.
import type { AccessTokens } from './access-tokens';
import type { Sessions } from './sessions';

export interface TokenPair {
  access: string;
  refresh: string;
}

/** The user as a sign-in needs them: enough to start a session and build the access token. */
export interface SignInUser {
  id: number;
  username: string;
  email: string;
  roleId: number;
  role: string;
}

export interface SignInFactors {
  /** How the user proved who they are (the `amr` claim): ["pwd"], ["oauth"] … */
  amr: string[];
}

export class SignIn {
  private readonly sessions: Sessions;
  private readonly tokens: AccessTokens;

  constructor(deps: { sessions: Sessions; tokens: AccessTokens }) {
    this.sessions = deps.sessions;
    this.tokens = deps.tokens;
  }

  /** A new session and its tokens. */
  async issueTokens(user: SignInUser, factors: SignInFactors): Promise<TokenPair> {
    const session = await this.sessions.start(user.id, user.roleId, factors.amr);
    const access = this.tokens.sign({
      userId: user.id,
      username: user.username,
      email: user.email,
      role: user.role,
      sessionId: session.sessionId,
      amr: factors.amr,
    });
    return { access, refresh: session.refreshToken };
  }
}
