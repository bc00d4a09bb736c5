import { bearerToken, type AccessTokens, type Caller } from '../auth/access-tokens';
import { UnauthenticatedError } from '../auth/errors';
import type { RequestOrigin } from '../auth/rate-limits';
import type { RequestNotes } from '../http/request-log';
import type { Services } from '../services';

/**
 * What resolvers may call: the domain's rules, never the database, the clock, the configuration or
 * the mailer behind them. A resolver that needs another domain service adds its name here.
 */
export type DomainServices = Pick<Services, 
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
>;

export interface Context {
  services: DomainServices;
  /**
   * The caller named by `Authorization: Bearer <access token>`, verified on first use. Never
   * taken from `x-hasura-*` headers: Hasura fills those from client headers for unauthenticated
   * callers, so anyone can claim any user id there.
   */
  caller(): Caller;
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

export function createContext(services: DomainServices, tokens: Pick<AccessTokens, 'verify'>, request: ContextRequest): Context {
  let caller: Caller | undefined;
  return {
    services,
    notes: request.notes,
    origin: request.origin,
    caller() {
      if (caller) return caller;
      const token = bearerToken(request.authorization);
      if (!token) throw new UnauthenticatedError('This operation needs an access token: Authorization: Bearer <access token>.');
      caller = tokens.verify(token);
      return caller;
    },
  };
}
