import { bearerToken, type AccessTokens, type Caller } from '../auth/access-tokens';
import { UnauthenticatedError } from '../auth/errors';
import type { RequestOrigin } from '../auth/rate-limits';
import type { RequestNotes } from '../http/request-log';
import type { Services } from '../services';

/**
 * What resolvers may call: the domain's rules, never the database, the clock, the configuration or
 * the mailer behind them. A resolver that needs another domain service adds its name here.
 */
export type DomainServices = Pick<
  Services,
  | 'accounts'
  | 'passwordChanges'
  | 'passwordResets'
  | 'signIns'
  | 'totp'
  | 'passkeys'
  | 'providerSignIns'
  | 'emailVerifications'
  | 'emailChanges'
  | 'accountDeletion'
  | 'userSessions'
  | 'emailSignIns'
  | 'anonymousUsers'
>;

export interface Context {
  services: DomainServices;
  /**
   * The caller named by `Authorization: Bearer <access token>`, verified on first use. Never
   * taken from `x-hasura-*` headers: Hasura fills those from client headers for unauthenticated
   * callers, so anyone can claim any user id there.
   */
  caller(): Caller;
  /** The caller when the request carries an Authorization header (verified: a bad one is UNAUTHENTICATED); else undefined. */
  callerIfAny(): Caller | undefined;
  /** What the request log line says about this request. */
  notes: RequestNotes;
  /** The client's address, for per-client rate limits; set only with TRUST_PROXY. */
  origin: RequestOrigin;
}

export interface ContextRequest {
  /** The `Authorization` header, as sent. */
  authorization: string | undefined;
  notes: RequestNotes;
  origin: RequestOrigin;
}

export async function createContext(
  services: DomainServices,
  tokens: Pick<AccessTokens, 'verify'>,
  request: ContextRequest,
): Promise<Context> {
  // Verified before the operation runs (verification may need the key ring, which is async);
  // the outcome is only revealed when an operation asks for the caller, so a bad header does not
  // stop the operations that need none (user_login, user_refresh).
  let outcome: { caller: Caller } | { error: unknown } | undefined;
  if (request.authorization !== undefined) {
    try {
      const token = bearerToken(request.authorization);
      outcome = token ? { caller: await tokens.verify(token) } : undefined;
    } catch (error) {
      outcome = { error };
    }
  }
  const caller = (): Caller => {
    if (!outcome) throw new UnauthenticatedError('This operation needs an access token: Authorization: Bearer <access token>.');
    if ('error' in outcome) throw outcome.error;
    return outcome.caller;
  };
  return {
    services,
    notes: request.notes,
    origin: request.origin,
    caller,
    callerIfAny: () => (request.authorization === undefined ? undefined : caller()),
  };
}
