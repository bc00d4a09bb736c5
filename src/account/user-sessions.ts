// The sessions a user can see and end: one per sign-in, with the browser that made it and when it
// was last used. Only a caller whose own session is still live may look or act.
import type { Caller } from '../auth/access-tokens';
import { InvalidInputError } from '../auth/errors';
import type { SessionView, Sessions } from '../auth/sessions';
import type { Reauthentication } from './reauthentication';

export interface UserSessionView extends SessionView {
  /** The session of the access token that asked. */
  current: boolean;
}

const NO_SUCH_SESSION = 'No such session of yours is active.';

export class UserSessions {
  constructor(private readonly deps: { sessions: Sessions; reauthentication: Reauthentication }) {}

  async list(caller: Caller): Promise<UserSessionView[]> {
    await this.deps.reauthentication.liveUser(caller);
    const sessions = await this.deps.sessions.list(caller.userId);
    return sessions.map((session) => ({ ...session, current: session.id === caller.sessionId }));
  }

  /** Ends one of the caller's sessions (the caller's own too); an unknown or ended one is BAD_USER_INPUT. */
  async revoke(caller: Caller, sessionId: string): Promise<void> {
    await this.deps.reauthentication.liveUser(caller);
    if (!(await this.deps.sessions.revoke(caller.userId, sessionId))) throw new InvalidInputError({ id: [NO_SUCH_SESSION] });
  }

  /** Ends every session of the caller, the caller's own included. */
  async logoutAll(caller: Caller): Promise<void> {
    await this.deps.reauthentication.liveUser(caller);
    await this.deps.sessions.endAll(caller.userId, 'logout_all');
  }
}
