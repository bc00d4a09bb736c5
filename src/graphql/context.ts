import { bearerToken, type Caller } from '../auth/access-tokens';
import { UnauthenticatedError } from '../auth/errors';
import type { RequestNotes } from '../http/request-log';
import type { Services } from '../services';

export interface Context {
  services: Services;
  /**
   * The caller named by `Authorization: Bearer <access token>`, verified on first use. Never
   * taken from `x-hasura-*` headers: Hasura fills those from client headers for unauthenticated
   * callers, so anyone can claim any user id there.
   */
  caller(): Caller;
  /** What the request log line says about this request. */
  notes: RequestNotes;
}

export function createContext(services: Services, authorization: string | undefined, notes: RequestNotes = {}): Context {
  let caller: Caller | undefined;
  return {
    services,
    notes,
    caller() {
      if (caller) return caller;
      const token = bearerToken(authorization);
      if (!token) throw new UnauthenticatedError('This operation needs an access token: Authorization: Bearer <access token>.');
      caller = services.tokens.verify(token);
      return caller;
    },
  };
}
