import { bearerToken, type Caller } from '../auth/access-tokens';
import { UnauthenticatedError } from '../auth/errors';
import type { RequestOrigin } from '../auth/rate-limits';
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
  /** The client's address, for per-client rate limits; set only with TRUST_PROXY. */
  origin: RequestOrigin;
}

export function createContext(
  services: Services,
  authorization: string | undefined,
  notes: RequestNotes = {},
  origin: RequestOrigin = {},
): Context {
  let caller: Caller | undefined;
  return {
    services,
    notes,
    origin,
    caller() {
      if (caller) return caller;
      const token = bearerToken(authorization);
      if (!token) throw new UnauthenticatedError('This operation needs an access token: Authorization: Bearer <access token>.');
      caller = services.tokens.verify(token);
      return caller;
    },
  };
}
