import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import type { Context } from './context';

/**
 * One listener for every request: it keeps nothing of its own, so none is built per request
 * (bench/README.md).
 */
const listener: GraphQLRequestListener<Context> = {
  async didResolveOperation({ operation, contextValue }) {
    const selections = operation?.selectionSet.selections ?? [];
    // The usual document selects one root field: its name, with nothing to collect or dedupe.
    const only = selections.length === 1 && selections[0]!.kind === 'Field' ? selections[0]!.name.value : undefined;
    if (only !== undefined) {
      contextValue.notes.operation = only;
      return;
    }
    const roots = selections.flatMap((s) => (s.kind === 'Field' ? [s.name.value] : []));
    // Unique: "{ a: user_login(…) b: user_login(…) }" is one operation, however often repeated.
    contextValue.notes.operation = [...new Set(roots)].join(',') || operation?.operation;
  },
  async willSendResponse({ response, contextValue }) {
    if (response.body.kind !== 'single') return;
    const errors = response.body.singleResult.errors;
    if (!errors?.length) return;
    const codes = errors.map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
    contextValue.notes.errors = [...new Set(codes)];
  },
};

/**
 * Names each request's operation for its log line (and metrics) by its root fields
 * ("user_login"): bounded by the schema, unlike the client-chosen operation name. Also notes the
 * error codes of the answer, so that a refused login or a rate limit shows in the log line of an
 * answer that is, as GraphQL goes, HTTP 200.
 */
export const operationNamePlugin: ApolloServerPlugin<Context> = {
  async requestDidStart() {
    return listener;
  },
};
