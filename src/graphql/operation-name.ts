import type { ApolloServerPlugin } from '@apollo/server';
import type { Context } from './context';

/**
 * Names each request's operation for its log line (and metrics) by its root fields
 * ("user_login"): bounded by the schema, unlike the client-chosen operation name.
 */
export const operationNamePlugin: ApolloServerPlugin<Context> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation, contextValue }) {
        const roots = operation?.selectionSet.selections.flatMap((s) => (s.kind === 'Field' ? [s.name.value] : [])) ?? [];
        contextValue.notes.operation = roots.join(',') || operation?.operation;
      },
    };
  },
};
