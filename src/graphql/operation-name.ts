import type { ApolloServerPlugin } from '@apollo/server';
import type { Context } from './context';

/**
 * Names each request's operation for its log line (and metrics) by its root fields
 * ("user_login"): bounded by the schema, unlike the client-chosen operation name. Also notes the
 * error codes of the answer, so that a refused login or a rate limit shows in the log line of an
 * answer that is, as GraphQL goes, HTTP 200.
 */
export const operationNamePlugin: ApolloServerPlugin<Context> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation, contextValue }) {
        const roots = operation?.selectionSet.selections.flatMap((s) => (s.kind === 'Field' ? [s.name.value] : [])) ?? [];
        // Unique: "{ a: user_login(…) b: user_login(…) }" is one operation, however often repeated.
        contextValue.notes.operation = [...new Set(roots)].join(',') || operation?.operation;
      },
      async willSendResponse({ response, contextValue }) {
        if (response.body.kind !== 'single') return;
        const codes = (response.body.singleResult.errors ?? []).map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
        if (codes.length) contextValue.notes.errors = [...new Set(codes)];
      },
    };
  },
};
