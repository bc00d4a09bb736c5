import type { AuthChecker } from 'type-graphql';
import type { Context } from './context';

/** `@Authorized()` operations need a valid access token; failure is UNAUTHENTICATED, never a 500. */
export const authChecker: AuthChecker<Context> = ({ context }) => {
  context.caller();
  return true;
};
