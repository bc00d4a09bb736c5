// Every GraphQL error leaves with a precise `extensions.code`. Domain failures keep
// their code and details; anything unexpected becomes INTERNAL_SERVER_ERROR without its message,
// stack or SQL, and is logged here instead.
import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { AuthError, InvalidInputError, MfaRequiredError, RateLimitedError } from '../auth/errors';
import type { Logger } from '../logger';

export function createErrorFormatter(logger: Logger, development: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const { locations, path } = formatted;
    if (original instanceof AuthError) {
      const extensions: Record<string, unknown> = { code: original.code };
      if (original instanceof InvalidInputError) extensions.fields = original.fields;
      if (original instanceof RateLimitedError) extensions.retryAfter = original.retryAfter;
      if (original instanceof MfaRequiredError) {
        extensions.ticket = original.ticket;
        extensions.expiresAt = original.expiresAt.toISOString();
      }
      return { message: original.message, locations, path, extensions };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') {
      return { message: formatted.message, locations, path, extensions: { code } };
    }
    logger.error({ err: original, path }, 'unexpected error in a GraphQL operation');
    return {
      message: development && original instanceof Error ? original.message : 'Internal server error.',
      locations,
      path,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}
